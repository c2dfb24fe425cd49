"""NATURAL and USING joins may not join on a denied column in any spelling (issue #18, 1).

The database names a derived table's unaliased columns after their literal text, case
and charset introducers aside; the guard does not model that, so it refuses NATURAL joins
over anything but real tables, and USING names that fold to a denied column. The same
payloads are proven to leak on MariaDB in tests/integration/test_sql_guard_joins_db.py.
"""

from __future__ import annotations

import pytest

from backend.domain import AccessPolicy
from backend.errors import SqlRejected
from backend.sql_guard import check_sql

SCHEMA = {
    "employees": ["id", "name", "email", "salary", "dept_id"],
    "depts": ["dept_id", "title"],
    "offices": ["id", "city", "email"],
}
POLICY = AccessPolicy(denied_columns=frozenset({("employees", "email"), ("employees", "salary")}))

REFUSED = [
    "SELECT name FROM employees NATURAL JOIN (SELECT N'email') t",
    "SELECT name FROM employees NATURAL JOIN (SELECT _utf8'email' UNION SELECT 'a@b.c') t",
    "SELECT name FROM employees NATURAL JOIN (SELECT _latin1 x'656d61696c') t",
    "SELECT name FROM employees NATURAL JOIN (VALUES ('email'), ('a@b.c')) t",
    "SELECT name FROM employees NATURAL JOIN (SELECT 5000) t",
    "SELECT name FROM employees NATURAL JOIN (SELECT 0x656d61696c) t",
    "SELECT name FROM employees NATURAL JOIN (SELECT b'1') t",
    "SELECT name FROM employees NATURAL JOIN (SELECT 1 + 1) t",
    "SELECT name FROM employees NATURAL JOIN (SELECT 'EMAIL' UNION SELECT 'a@b.c') t",
    "SELECT name FROM employees NATURAL JOIN (SELECT 'x' AS name2 UNION SELECT 'y') t",
    "SELECT name FROM employees NATURAL JOIN (SELECT * FROM depts) t",
    "SELECT name FROM employees NATURAL JOIN (SELECT 'a' AS `émail`) t",
    "SELECT name FROM employees NATURAL JOIN (SELECT 'a' AS `ＥＭＡＩＬ`) t",
    "SELECT name FROM employees NATURAL LEFT JOIN (SELECT 'a' AS city) t",
    "SELECT name FROM employees NATURAL RIGHT JOIN (SELECT 'a' AS city) t",
    "SELECT name FROM (SELECT 'salary' UNION SELECT 5000) t NATURAL JOIN employees",
    "SELECT name FROM depts NATURAL JOIN (employees NATURAL JOIN (VALUES ('email')) t)",
    "SELECT name FROM depts NATURAL JOIN employees NATURAL JOIN (SELECT 1 AS title) t",
    "WITH x AS (SELECT N'email') SELECT name FROM employees NATURAL JOIN x",
    "WITH x(city) AS (SELECT 'a') SELECT name FROM employees NATURAL JOIN x",
    "WITH x(email) AS (SELECT 'a') SELECT name FROM employees NATURAL JOIN x",
    "SELECT name FROM employees WHERE id IN"
    " (SELECT e.id FROM employees e NATURAL JOIN (VALUES ('email')) t)",
    "SELECT name FROM employees NATURAL JOIN offices",
    "SELECT name FROM employees JOIN offices USING (email)",
    "SELECT name FROM employees JOIN offices USING (`EMAIL`)",
    "SELECT name FROM employees JOIN offices USING (Email)",
    "SELECT name FROM employees JOIN offices USING (`émail`)",
    "SELECT name FROM employees JOIN offices USING (`ｅmail`)",
    "SELECT name FROM employees JOIN (SELECT 1 AS id) t USING (id, salary)",
    "SELECT name FROM employees JOIN (VALUES ('email')) t USING (email)",
    "SELECT o.city FROM offices o JOIN (SELECT id, salary FROM employees) e USING (salary)",
]
ALLOWED = [
    "SELECT name, title FROM employees NATURAL JOIN depts",
    "SELECT name FROM (employees NATURAL JOIN depts)",
    "SELECT e.name FROM employees e NATURAL LEFT JOIN depts d",
    "SELECT name FROM employees JOIN depts USING (dept_id)",
    "SELECT name FROM employees JOIN depts USING (`DEPT_ID`)",
    "SELECT e.name FROM employees e JOIN (SELECT dept_id FROM depts) d USING (dept_id)",
    "WITH d AS (SELECT dept_id FROM depts) SELECT name FROM employees JOIN d USING (dept_id)",
    # No table with denied columns is read: nothing hidden to join on.
    "SELECT city FROM offices NATURAL JOIN (SELECT N'email') t",
    "SELECT title FROM depts NATURAL JOIN (VALUES (1)) t",
]


def check(sql: str, dialect: str = "mysql") -> str:
    return check_sql(sql, schema=SCHEMA, dialect=dialect, row_limit=10, policy=POLICY).sql


@pytest.mark.parametrize("sql", REFUSED)
def test_join_that_may_match_a_denied_column_is_refused(sql: str) -> None:
    with pytest.raises(SqlRejected):
        check(sql)


@pytest.mark.parametrize("sql", [s for s in REFUSED if "N'" not in s and "_utf8" not in s])
def test_join_that_may_match_a_denied_column_is_refused_on_sqlite(sql: str) -> None:
    with pytest.raises(SqlRejected):
        check(sql.replace("`", '"'), "sqlite")


def test_natural_join_refusal_says_what_to_do() -> None:
    with pytest.raises(SqlRejected, match=r"NATURAL JOIN.*join with ON"):
        check("SELECT name FROM employees NATURAL JOIN (SELECT N'email') t")


def test_using_refusal_names_the_denied_column() -> None:
    with pytest.raises(SqlRejected, match=r"USING \(EMAIL\) joins on employees\.email"):
        check("SELECT name FROM employees JOIN offices USING (EMAIL)")


@pytest.mark.parametrize("sql", ALLOWED)
def test_natural_and_using_joins_on_allowed_columns_pass(sql: str) -> None:
    assert check(sql)
