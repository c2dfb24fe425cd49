"""PostgreSQL spellings that reach past the guard's access rules, found by attacking it.

Each payload of `BYPASSES` passed the guard once and, on a real PostgreSQL, read a denied
column, the system catalogs or another schema's objects
(tests/integration/test_sql_guard_postgresql_db.py shows them leaking unguarded):

- a whole row: a source's name as a value (`to_jsonb(e)`, `e::text`, `(e).salary`, and
  `age(e)`, PostgreSQL's functional notation for `e.age`), `e.*` outside a select list;
- a column alias list on a table, renaming a denied column by position;
- casts to types sqlglot does not know: reg* array types, schema-qualified reg* types,
  `aclitem`;
- system columns (`xmin`, `ctid`, `tableoid`, …);
- `OPERATOR(schema.op)`, which runs whatever function the operator was made with;
- `SYSTEM_USER` (PostgreSQL 16), the authentication method and identity.

`STILL_REFUSED` are the other attacks of that round, refused before it; `STILL_ACCEPTED`
the nearby business spellings that must keep working.
"""

from __future__ import annotations

import pytest

from backend.domain import AccessPolicy, RowFilter
from backend.errors import SqlRejected
from backend.sql_guard import check_sql

SCHEMA: dict[str, list[str]] = {
    "employees": ["id", "name", "salary", "dept_id", "age", "profile"],
    "depts": ["dept_id", "title"],
    "secrets": ["id", "code"],
}
POLICY = AccessPolicy(
    allowed_tables=frozenset({"employees", "depts"}),
    denied_columns=frozenset({("employees", "salary"), ("employees", "age")}),
    row_filters=(RowFilter("employees", "dept_id = 1"),),
)


def guard(sql: str, dialect: str = "postgresql") -> str:
    return check_sql(sql, schema=SCHEMA, dialect=dialect, row_limit=100, policy=POLICY).sql


def rejection(sql: str, dialect: str = "postgresql") -> str:
    with pytest.raises(SqlRejected) as caught:
        guard(sql, dialect)
    return str(caught.value)


WHOLE_ROW = "stands for a whole row"
BYPASSES: list[tuple[str, str]] = [
    # whole-row references carry the denied columns
    ("SELECT to_jsonb(e) FROM employees e", WHOLE_ROW),
    ("SELECT to_jsonb(e.*) FROM employees e", WHOLE_ROW),
    ("SELECT to_json(e.*) AS j FROM employees e", WHOLE_ROW),
    ("SELECT json_agg(e.*) FROM employees e", WHOLE_ROW),
    ("SELECT jsonb_agg(e) FROM employees e", WHOLE_ROW),
    ("SELECT array_agg(e.*) FROM employees e", WHOLE_ROW),
    ("SELECT e::text FROM employees e", WHOLE_ROW),
    ("SELECT (e.*)::text FROM employees e", WHOLE_ROW),
    ("SELECT CAST(e.* AS text) FROM employees e", WHOLE_ROW),
    ("SELECT string_agg(e.*::text, ',') FROM employees e", WHOLE_ROW),
    ("SELECT employees::text FROM employees", WHOLE_ROW),
    ("SELECT to_jsonb(employees) FROM employees", WHOLE_ROW),
    ("SELECT age(e) FROM employees e", WHOLE_ROW),  # functional notation: e.age
    ("SELECT age(e.*) FROM employees e", WHOLE_ROW),
    ("SELECT (e).salary FROM employees e", WHOLE_ROW),
    ("SELECT (e.*).salary FROM employees e", WHOLE_ROW),
    ("SELECT format('%s', e.*) FROM employees e", WHOLE_ROW),
    ("SELECT concat(e.*) FROM employees e", WHOLE_ROW),
    ("SELECT concat_ws(',', e.*) FROM employees e", WHOLE_ROW),
    ("SELECT md5(e.*::text) FROM employees e", WHOLE_ROW),
    ("SELECT COUNT(DISTINCT e.*) FROM employees e", WHOLE_ROW),
    ("SELECT name FROM employees e ORDER BY e.*", WHOLE_ROW),
    ("SELECT name FROM employees e WHERE e.* = e.*", WHOLE_ROW),
    ("SELECT name FROM employees e WHERE e IS NOT NULL", WHOLE_ROW),
    ("SELECT jsonb_build_object('r', e.*) FROM employees e", WHOLE_ROW),
    ("SELECT name FROM employees e WHERE to_jsonb(e) ->> 'salary' > '6000'", WHOLE_ROW),
    ("SELECT to_jsonb(t) FROM employees AS t", WHOLE_ROW),
    ("SELECT d.title, (SELECT to_jsonb(e) FROM employees e LIMIT 1) FROM depts d", WHOLE_ROW),
    ("SELECT name FROM employees e WHERE EXISTS (SELECT 1 WHERE e::text LIKE '%7%')", WHOLE_ROW),
    # a column alias list renames a denied column by position
    ("SELECT c FROM employees AS t(a, b, c)", "by position"),
    ("SELECT t.c FROM employees AS t(a, b, c)", "by position"),
    ("SELECT b FROM employees AS t(a, b, c) ORDER BY c", "by position"),
    ("SELECT z FROM depts d JOIN employees AS e(i, n, z) ON d.dept_id = e.dept_id", "by position"),
    ("SELECT to_jsonb(t) FROM employees AS t(a, b, c)", "by position"),
    # types sqlglot does not know: their input and output read the system catalogs
    ("SELECT '{10}'::_regrole", "not a standard type"),
    ("SELECT CAST('{10}' AS _regrole)", "not a standard type"),
    ("SELECT '{10}'::\"_regrole\"", "not a standard type"),
    ("SELECT '{pg_authid}'::_regclass", "not a standard type"),
    ("SELECT ARRAY['10']::_regrole", "not a standard type"),
    ("SELECT ('{' || '10' || '}')::_regrole", "not a standard type"),
    ("SELECT CAST('10' AS pg_catalog.regrole)", "not a standard type"),
    ("SELECT '10'::pg_catalog.regrole::text", "not a standard type"),
    ("SELECT 'kk_reader=r/postgres'::aclitem", "not a standard type"),
    ("SELECT '1'::xid", "not a standard type"),
    ("SELECT '(1,2)'::tid", "not a standard type"),
    # system columns: transaction ids, row locations, catalog OIDs
    ("SELECT xmin FROM depts", "system column"),
    ("SELECT title, XMAX FROM depts", "system column"),
    ("SELECT d.ctid FROM depts d", "system column"),
    ("SELECT tableoid FROM depts", "system column"),
    ('SELECT "cmin", cmax FROM depts', "system column"),
    ("SELECT title FROM depts ORDER BY xmin", "system column"),
    # OPERATOR(schema.op) runs whatever function the operator was made with
    ("SELECT 2 OPERATOR(public.###) 0", "OPERATOR("),
    ("SELECT 2 OPERATOR(###) 0", "OPERATOR("),
    ("SELECT 2 operator ( public . <<< ) 0", "OPERATOR("),
    ("SELECT 1 OPERATOR(pg_catalog.+) 1", "OPERATOR("),
    ("SELECT title FROM depts WHERE dept_id OPERATOR(public.###) 0 > 0", "OPERATOR("),
    # a bracket-less function since PostgreSQL 16: the authentication method and identity
    ("SELECT system_user", "SYSTEM_USER"),
    ("SELECT title, SYSTEM_USER FROM depts", "SYSTEM_USER"),
]


@pytest.mark.parametrize(("sql", "reason"), BYPASSES)
def test_postgresql_guard_refuses_what_reached_past_it(sql: str, reason: str) -> None:
    assert reason.lower() in rejection(sql).lower()


STILL_REFUSED = [
    # catalog casts, metadata and server functions in their other spellings
    "SELECT 'pg_authid'::regclass",
    "SELECT '{pg_authid}'::regclass[]",
    "SELECT 10::regrole::text",
    "SELECT regrole '10'",
    "SELECT 10::oid::regrole",
    "SELECT 'now()'::regprocedure::text",
    "SELECT current_user",
    "SELECT session_user",
    "SELECT current_catalog",
    "SELECT current_schema",
    "SELECT version()",
    "SELECT current_setting('data_directory')",
    "SELECT to_regclass('pg_authid')",
    "SELECT pg_catalog.md5('x')",
    'SELECT U&"\\0070g_sleep"(0.1)',
    "SELECT xmlparse(document '<x/>')",
    "SELECT * FROM xmltable('/r' PASSING '<r/>' COLUMNS a text PATH '.')",
    "SELECT * FROM generate_series(1, 3)",
    "SELECT generate_series(1, 10)",
    "SELECT * FROM ROWS FROM (generate_series(1, 3))",
    "SELECT jsonb_path_query('{}', '$')",
    "SELECT ROW(e.*)::text FROM employees e",
    # hidden tables and denied columns in other shapes
    "TABLE employees",
    "TABLE secrets",
    'SELECT code FROM U&"\\0073ecrets"',
    'SELECT U&"\\0073alary" FROM employees',
    "SELECT name FROM pg_temp.employees",
    "SELECT name FROM public.employees",
    "SELECT name, (SELECT string_agg(code, ',') FROM secrets) FROM employees",
    "SELECT x FROM (VALUES ((SELECT code FROM secrets LIMIT 1))) v(x)",
    "SELECT ARRAY(TABLE secrets)",
    "SELECT to_jsonb(x) FROM (SELECT id, salary FROM employees) x",
    "SELECT x FROM (SELECT * FROM employees) AS t(a, b, x)",
    "SELECT salary FROM ONLY employees",
    'SELECT "salary" FROM employees',
    "SELECT Salary FROM employees",
    "SELECT DISTINCT ON (salary) name FROM employees",
    "SELECT name, RANK() OVER (ORDER BY salary) FROM employees",
    "SELECT count(*) FILTER (WHERE salary > 6000) FROM employees",
    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY salary) FROM employees",
    "SELECT x.s FROM employees e, LATERAL (SELECT e.salary AS s) x",
    "SELECT name FROM employees GROUP BY ROLLUP (name, salary)",
    "SELECT name FROM employees WHERE (name, salary) = ('Ann', 5000)",
    "SELECT name, dept_id FROM employees GROUP BY 1, 2 HAVING max(age) > 40",
    "SELECT u.x FROM employees e, unnest(ARRAY[e.salary]) u(x)",
    "SELECT x FROM employees e, LATERAL (VALUES (e.salary)) v(x)",
    "WITH employees AS (SELECT 1 AS salary) SELECT salary FROM employees",
    # statements hidden in strings and comments
    "SELECT /* /* nested */ 1; DROP TABLE depts; /* */ 2",
    "SELECT $a$ $b$ $a$ AS a, (SELECT code FROM secrets) AS b, $b$ $a$ AS c",
    "SELECT U&'\\' AS a, (SELECT code FROM secrets) AS b, '\\' AS c",
    "SELECT E'\\\\' AS a, (SELECT code FROM secrets) AS b, '\\' AS c",
    "EXPLAIN ANALYZE SELECT 1",
    "SELECT * FROM depts FOR KEY SHARE SKIP LOCKED",
    "SELECT * INTO TEMP t FROM depts",
    "WITH x AS (DELETE FROM depts RETURNING *) SELECT * FROM x",
]


@pytest.mark.parametrize("sql", STILL_REFUSED)
def test_postgresql_guard_still_refuses_the_other_attacks(sql: str) -> None:
    rejection(sql)


STILL_ACCEPTED = [
    "SELECT to_jsonb(d) FROM depts d",  # a whole row of a table without denied columns
    "SELECT d.* FROM depts d JOIN employees e ON e.dept_id = d.dept_id",
    "SELECT n FROM depts AS d(i, n)",
    "SELECT e.name, x.t FROM employees e, LATERAL (SELECT e.name AS t) x",
    "SELECT name, to_jsonb(profile) FROM employees",
    "SELECT CAST(dept_id AS TEXT), int4 '1', date '2024-01-01', interval '1 day' FROM depts",
    "SELECT id::numeric(10, 2), name::varchar(5), profile::jsonb, dept_id::bigint FROM employees",
    'SELECT title COLLATE "C" FROM depts ORDER BY 1',
    "SELECT x FROM unnest(ARRAY['a', 'b']) AS u(x)",
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT n FROM r",
    "SELECT $$it's$$ AS s, E'a\\tb' AS t",
]


@pytest.mark.parametrize("sql", STILL_ACCEPTED)
def test_postgresql_guard_still_accepts_business_spellings(sql: str) -> None:
    assert guard(sql)


MYSQL_STILL_REFUSED = [
    "SELECT CONCAT_WS(',', e.*) FROM employees e",
    "SELECT c FROM employees AS t(a, b, c)",
    "SELECT 2 OPERATOR(public.###) 0",
    "SELECT SYSTEM_USER()",
]


@pytest.mark.parametrize("sql", MYSQL_STILL_REFUSED)
def test_mysql_guard_refuses_the_same_shapes(sql: str) -> None:
    rejection(sql, "mysql")
