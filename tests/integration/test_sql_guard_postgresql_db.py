"""The SQL guard's PostgreSQL rules proven on a real server: each payload below leaks or
acts when run unguarded (as the superuser the test cluster runs as, the worst case), and
the guard refuses it; the built-ins business questions use pass and run; every name of the
allow-list is a PostgreSQL built-in; and the read-only account the README describes
cannot plant a function that would hide behind an allowed name.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
import sqlalchemy as sa

from backend.dialects import POSTGRESQL
from backend.domain import AccessPolicy, RowFilter
from backend.errors import SqlRejected
from backend.sql_guard.functions import ALLOWED
from tests.support.guard_db import assert_leaks_then_refused, guard_for, rows

pytestmark = pytest.mark.postgresql

SCHEMA = {
    "employees": ["id", "name", "salary", "dept_id", "hired_on", "profile"],
    "depts": ["dept_id", "title"],
}
POLICY = AccessPolicy(denied_columns=frozenset({("employees", "salary")}))
DDL = [
    "CREATE TABLE employees (id INTEGER PRIMARY KEY, name VARCHAR(40), salary INTEGER,"
    " dept_id INTEGER, hired_on DATE, profile JSONB)",
    "INSERT INTO employees VALUES (1, 'Ann', 5000, 1, '2024-01-15', '{\"city\": \"Bilbao\"}'),"
    " (2, 'Bob', 7000, 2, '2024-03-02', '{\"city\": \"Vigo\"}')",
    "CREATE TABLE depts (dept_id INTEGER PRIMARY KEY, title VARCHAR(40))",
    "INSERT INTO depts VALUES (1, 'Sales'), (2, 'Ops')",
    "CREATE SEQUENCE ticket_seq",
    # A definer's-rights function, as a DBA might have written it for a report.
    "CREATE FUNCTION kk_pay(emp INTEGER) RETURNS INTEGER LANGUAGE sql SECURITY DEFINER"
    " AS 'SELECT salary FROM employees WHERE id = emp'",
    # An operator made on such a function: OPERATOR(public.###) reaches it by another name.
    "CREATE FUNCTION kk_pay_op(emp INTEGER, unused INTEGER) RETURNS INTEGER LANGUAGE sql"
    " SECURITY DEFINER AS 'SELECT salary FROM employees WHERE id = emp'",
    "CREATE OPERATOR public.### (LEFTARG = INTEGER, RIGHTARG = INTEGER, FUNCTION = kk_pay_op)",
]

guard = guard_for(SCHEMA, POLICY, dialect=POSTGRESQL)


@pytest.fixture(scope="module")
def engine(postgres_server_url: str) -> Iterator[sa.Engine]:
    from tests.support.postgresql import scratch_database

    with scratch_database(postgres_server_url) as url:
        created = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with created.begin() as conn:
            for statement in DDL:
                conn.exec_driver_sql(statement)
        yield created
        created.dispose()


STORED_CALLS = [
    "SELECT name, kk_pay(id) AS p FROM employees",
    "SELECT name, KK_PAY(id) AS p FROM employees",
    'SELECT name, "kk_pay"(id) AS p FROM employees',
    "SELECT name, kk_pay (id) AS p FROM employees",
    "SELECT name, kk_pay/* hidden */(id) AS p FROM employees",
    "SELECT name, public.kk_pay(id) AS p FROM employees",
    "SELECT SUM(kk_pay(id)) AS total FROM employees",
    "SELECT name FROM employees ORDER BY kk_pay(id) DESC",
    "SELECT dept_id FROM employees GROUP BY dept_id HAVING MAX(kk_pay(id)) > 6000",
    "WITH x AS (SELECT id, kk_pay(id) AS p FROM employees) SELECT id, p FROM x",
    "SELECT name FROM employees WHERE id IN (SELECT id FROM employees WHERE kk_pay(id) > 6000)",
    "SELECT name, CASE WHEN kk_pay(id) > 6000 THEN 'high' ELSE 'low' END AS band FROM employees",
    "SELECT name, RANK() OVER (ORDER BY kk_pay(id)) AS r FROM employees",
    "SELECT name || ':' || kk_pay(id)::text AS tag FROM employees",
    "SELECT e.name FROM employees e, LATERAL (SELECT kk_pay(e.id) AS p) x WHERE x.p > 6000",
]


@pytest.mark.parametrize("sql", STORED_CALLS)
def test_every_spelling_of_a_stored_function_call_is_refused(engine: sa.Engine, sql: str) -> None:
    assert sorted(rows(engine, STORED_CALLS[0])) == [("Ann", 5000), ("Bob", 7000)]
    with pytest.raises(SqlRejected, match=r"KK_PAY|kk_pay"):
        guard(sql)


# (payload, what it answers unguarded, which column of each row to compare)
LEAKS: list[tuple[str, object, int | None]] = [
    (
        "SELECT (xpath('//salary/text()', query_to_xml('SELECT salary FROM employees"
        " ORDER BY id', true, false, '')))[1]::text",
        [("5000",)],
        None,
    ),
    (
        "SELECT column_name FROM information_schema.columns WHERE column_name = 'salary'",
        [("salary",)],
        None,
    ),
    ("SELECT attname FROM pg_attribute WHERE attname = 'salary'", [("salary",)], None),
    ("SELECT relname FROM pg_class WHERE relname = 'employees'", [("employees",)], None),
    ("SELECT 'employees'::regclass::text", [("employees",)], None),
    ("SELECT current_user", [("postgres",)], None),
    ("SELECT user", [("postgres",)], None),
    ("SELECT usename FROM pg_user WHERE usesuper AND usename = 'postgres'", [("postgres",)], None),
    ("SELECT rolname FROM pg_authid WHERE rolname = 'postgres'", [("postgres",)], None),
    ("SELECT COUNT(*) > 0 FROM pg_stat_activity", [(True,)], None),
    ("SELECT current_setting('server_encoding')", [("UTF8",)], None),
    ("SELECT length(pg_read_file('PG_VERSION')) > 0", [(True,)], None),
    ("SELECT 'PG_VERSION' IN (SELECT pg_ls_dir('.'))", [(True,)], None),
    ("SELECT (pg_stat_file('PG_VERSION')).size > 0", [(True,)], None),
    ("SELECT set_config('application_name', 'owned', false)", [("owned",)], None),
    ("SELECT pg_advisory_lock(42) IS NULL", [(False,)], None),
    ("SELECT nextval('ticket_seq')", [(1,)], None),
    ("SELECT pg_sleep(0.01) IS NULL", [(False,)], None),
    ("SELECT txid_current() > 0", [(True,)], None),
    ("SELECT pg_backend_pid() > 0", [(True,)], None),
    ("SELECT kk_pay(2)", [(7000,)], None),
    # whole rows carry the denied salary: a source's name as a value, `e.*` in a call,
    # PostgreSQL's `(e).salary`, and a column alias list renaming salary by position
    ("SELECT to_jsonb(e) ->> 'salary' FROM employees e ORDER BY id", [("5000",), ("7000",)], None),
    ("SELECT (e).salary FROM employees e ORDER BY id", [(5000,), (7000,)], None),
    ("SELECT strpos(e::text, '7000') > 0 FROM employees e WHERE id = 2", [(True,)], None),
    ("SELECT concat(e.*) LIKE '%7000%' FROM employees e WHERE id = 2", [(True,)], None),
    ("SELECT jsonb_agg(e.*) -> 0 ->> 'salary' FROM employees e WHERE id = 1", [("5000",)], None),
    ("SELECT c FROM employees AS t(a, b, c) ORDER BY a", [(5000,), (7000,)], None),
    # catalog lookups through types sqlglot does not know: OID 10 is the bootstrap superuser
    ("SELECT ('{10}'::_regrole)::text", [("{postgres}",)], None),
    ("SELECT '10'::pg_catalog.regrole::text", [("postgres",)], None),
    ("SELECT ('{pg_authid}'::_regclass)::text", [("{pg_authid}",)], None),
    # system columns, and an operator that runs a definer's function
    ("SELECT COUNT(DISTINCT tableoid), COUNT(xmin) FROM depts", [(1, 2)], None),
    ("SELECT 2 OPERATOR(public.###) 0", [(7000,)], None),
]


@pytest.mark.parametrize(("sql", "leaked", "column"), LEAKS)
def test_payloads_that_work_unguarded_are_refused(
    engine: sa.Engine, sql: str, leaked: object, column: int | None
) -> None:
    assert_leaks_then_refused(engine, guard, sql, leaked, column=column)


# Built-ins business questions use: each passes the guard and runs on PostgreSQL.
BUILT_INS = [
    "SELECT COUNT(*), COUNT(DISTINCT dept_id), MIN(id), MAX(id), AVG(id), SUM(id) FROM employees",
    "SELECT dept_id, STRING_AGG(name, ', ' ORDER BY name), ARRAY_AGG(id) FROM employees"
    " GROUP BY dept_id",
    "SELECT name, ROW_NUMBER() OVER (ORDER BY id), DENSE_RANK() OVER (ORDER BY dept_id),"
    " LAG(name) OVER (ORDER BY id), NTILE(2) OVER (ORDER BY id), CUME_DIST() OVER"
    " (ORDER BY id) FROM employees",
    "SELECT STDDEV(id), VARIANCE(id), VAR_SAMP(id), STDDEV_POP(id), BIT_OR(id),"
    " BOOL_AND(id > 0), CORR(id, dept_id) FROM employees",
    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY id), mode() WITHIN GROUP"
    " (ORDER BY dept_id), COUNT(*) FILTER (WHERE dept_id = 1) FROM employees",
    "SELECT COALESCE(name, '-'), NULLIF(id, 1), GREATEST(id, 2), LEAST(id, 2),"
    " CASE WHEN id > 1 THEN 'b' ELSE 'a' END, id::text, CAST(hired_on AS TIMESTAMP)"
    " FROM employees",
    "SELECT UPPER(name), LOWER(name), INITCAP(name), LENGTH(name), char_length(name),"
    " SUBSTRING(name, 1, 2), SUBSTRING(name FROM 1 FOR 2), LEFT(name, 1), RIGHT(name, 1),"
    " TRIM(name), btrim(name), REPLACE(name, 'A', 'a'), LPAD(name, 5, '*'),"
    " CONCAT_WS('-', name, id), strpos(name, 'n'), POSITION('n' IN name), REVERSE(name),"
    " SPLIT_PART(name, 'n', 1), name || '!', REPEAT(name, 2), MD5(name) FROM employees",
    "SELECT name ILIKE 'a%', name ~* '^a', REGEXP_REPLACE(name, 'n+', 'N'),"
    " name SIMILAR TO 'A%', format('%s-%s', name, id), TRANSLATE(name, 'n', 'N')"
    " FROM employees",
    "SELECT ROUND(id / 3.0, 2), FLOOR(id / 3.0), CEIL(id / 3.0), ABS(-id), MOD(id, 2),"
    " id % 2, POWER(id, 2), SQRT(id), TRUNC(id / 3.0, 1), SIGN(id), LOG(id + 1), LN(id),"
    " EXP(1), PI(), DIV(id, 2), WIDTH_BUCKET(id, 0, 10, 5) FROM employees",
    "SELECT date_trunc('month', hired_on), EXTRACT(YEAR FROM hired_on), EXTRACT(DOW FROM"
    " hired_on), date_part('quarter', hired_on), to_char(hired_on, 'YYYY-MM'),"
    " AGE(DATE '2026-01-01', hired_on), hired_on + INTERVAL '1 month',"
    " CURRENT_DATE - hired_on, MAKE_DATE(2024, 1, 1) FROM employees",
    "SELECT CURRENT_DATE, CURRENT_TIMESTAMP, NOW(), LOCALTIMESTAMP, current_time,"
    " now()::date, CURRENT_DATE - INTERVAL '3 months', to_date('2024-01-02', 'YYYY-MM-DD'),"
    " to_timestamp(0), date_bin('1 day', TIMESTAMP '2024-01-02 10:00', TIMESTAMP '2024-01-01')"
    " FROM employees",
    "SELECT profile ->> 'city', profile -> 'city', jsonb_extract_path_text(profile, 'city'),"
    " jsonb_typeof(profile), jsonb_build_object('n', name), to_jsonb(name) FROM employees",
    "SELECT jsonb_agg(name), json_agg(id), jsonb_object_agg(name, id) FROM employees",
    "SELECT DISTINCT ON (dept_id) dept_id, name FROM employees ORDER BY dept_id, id DESC",
    "SELECT e.name, d.title FROM employees e JOIN depts d USING (dept_id)"
    " WHERE d.title IN ('Sales', 'Ops') ORDER BY e.name NULLS LAST",
    "SELECT SUM(CASE WHEN dept_id = 1 THEN 1 ELSE 0 END) * 100.0 / COUNT(*) FROM employees",
    "SELECT id FROM employees WHERE hired_on >= '2024-01-01' AND hired_on < '2025-01-01'",
]


@pytest.mark.parametrize("sql", BUILT_INS)
def test_business_built_ins_pass_and_run_on_postgresql(engine: sa.Engine, sql: str) -> None:
    assert rows(engine, guard(sql))


# Syntax PostgreSQL writes like a call but keeps out of pg_proc.
_SYNTAX = frozenset(
    {
        *("CAST", "EXISTS", "ANY", "ALL", "SOME", "COALESCE", "NULLIF", "GREATEST", "LEAST"),
        *("EXTRACT", "POSITION", "SUBSTRING", "TRIM", "OVERLAY"),
        *("CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "LOCALTIME", "LOCALTIMESTAMP"),
    }
)


def test_every_allowed_name_is_a_postgresql_built_in(engine: sa.Engine) -> None:
    built_in = {
        str(name).upper()
        for (name,) in rows(
            engine,
            "SELECT DISTINCT p.proname FROM pg_proc p JOIN pg_namespace n"
            " ON n.oid = p.pronamespace WHERE n.nspname = 'pg_catalog'",
        )
    }
    assert sorted(ALLOWED[POSTGRESQL] - _SYNTAX - built_in) == []


def test_a_read_only_account_cannot_plant_a_function_behind_a_built_in_name(
    engine: sa.Engine,
) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE ROLE kk_reader LOGIN")
        conn.exec_driver_sql("GRANT SELECT ON ALL TABLES IN SCHEMA public TO kk_reader")
    reader = engine.url.set(username="kk_reader").render_as_string(hide_password=False)
    connection = psycopg.connect(sa.make_url(reader).set(drivername="postgresql").__str__())
    try:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute(
                "CREATE FUNCTION md5(integer) RETURNS text LANGUAGE sql AS 'SELECT ''x'''"
            )
    finally:
        connection.close()
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP OWNED BY kk_reader")
            conn.exec_driver_sql("DROP ROLE kk_reader")


ROW_FILTERED = AccessPolicy(row_filters=(RowFilter("employees", "dept_id = 1"),))
row_guard = guard_for(SCHEMA, ROW_FILTERED, dialect=POSTGRESQL)


def test_a_row_filter_runs_on_postgresql_and_hides_the_other_rows(engine: sa.Engine) -> None:
    assert rows(engine, row_guard("SELECT name FROM employees ORDER BY id")) == [("Ann",)]
    assert rows(engine, row_guard("SELECT name FROM employees WHERE dept_id = 2")) == []


def test_a_users_condition_never_sees_a_filtered_row(engine: sa.Engine) -> None:
    # Division by zero on Bob's row (dept 2) only: pushed below the filter, it would
    # answer "is there a row of dept 2?" with an error. The filter's LIMIT keeps it above.
    probe = "SELECT name FROM employees WHERE 1 / (dept_id - 2) < 0"
    with pytest.raises(psycopg.errors.DivisionByZero):
        rows(engine, probe)
    assert rows(engine, row_guard(probe)) == [("Ann",)]
