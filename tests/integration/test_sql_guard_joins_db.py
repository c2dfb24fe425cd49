"""NATURAL/USING joins cannot read a denied column on real MariaDB (security issue #18, 1).

Each attack is first run unguarded to prove that MariaDB really joins on the denied
column (only the employee whose e-mail or salary was guessed comes back), then through
`check_sql`, which must refuse it; legitimate NATURAL/USING joins still run.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from backend.domain import AccessPolicy
from tests.support.guard_db import assert_leaks_then_refused, guard_for, rows, seeded_engine

pytestmark = pytest.mark.mariadb

SCHEMA = {
    "employees": ["id", "name", "email", "salary", "dept_id"],
    "depts": ["dept_id", "title"],
}
POLICY = AccessPolicy(denied_columns=frozenset({("employees", "email"), ("employees", "salary")}))
DDL = [
    "CREATE TABLE employees (id INT PRIMARY KEY, name VARCHAR(40), email VARCHAR(60),"
    " salary INT, dept_id INT)",
    "INSERT INTO employees VALUES (1, 'Ann', 'ann@x.com', 5000, 1),"
    " (2, 'Bob', 'bob@x.com', 7000, 2)",
    "CREATE TABLE depts (dept_id INT PRIMARY KEY, title VARCHAR(40))",
    "INSERT INTO depts VALUES (1, 'Sales'), (2, 'Ops')",
]
GUESS = "SELECT name FROM employees {join} ORDER BY name"

# Joins that MariaDB makes on a denied column: each returns Ann only (her value guessed).
LEAKS = [
    "NATURAL JOIN (VALUES ('email'), ('ann@x.com')) t",
    "NATURAL JOIN (SELECT N'email' UNION SELECT 'ann@x.com') t",
    "NATURAL JOIN (SELECT _utf8'email' UNION SELECT 'ann@x.com') t",
    "NATURAL JOIN (SELECT _utf8mb4 'salary' UNION SELECT 5000) t",
    "NATURAL JOIN (SELECT 'EMAIL' UNION SELECT 'ann@x.com') t",
    "NATURAL JOIN (SELECT 'Salary' UNION ALL SELECT 5000) t",
    "NATURAL JOIN (SELECT * FROM (VALUES ('email'), ('ann@x.com')) u) t",
    "NATURAL LEFT JOIN (VALUES ('email'), ('ann@x.com')) t WHERE t.email IS NOT NULL",
    "NATURAL JOIN (SELECT 'ann@x.com' AS `EMAIL`) t",
    "NATURAL JOIN (SELECT 'ann@x.com' AS email) t",
    "JOIN (SELECT 'ann@x.com' AS email) t USING (email)",
    "JOIN (SELECT 'ann@x.com' AS `Email`) t USING (`EMAIL`)",
    "JOIN (VALUES ('email'), ('ann@x.com')) t USING (email)",
    "JOIN (SELECT N'salary' UNION SELECT 5000) t USING (SALARY)",
    "NATURAL JOIN (depts NATURAL JOIN (VALUES ('email'), ('ann@x.com')) t)",
]
LEAKS_VIA_WITH = [
    "WITH x AS (SELECT N'email' UNION SELECT 'ann@x.com') SELECT name FROM employees"
    " NATURAL JOIN x ORDER BY name",
    "WITH x(email) AS (SELECT 'ann@x.com') SELECT name FROM employees NATURAL JOIN x ORDER BY name",
    "WITH x AS (VALUES ('salary'), (5000)) SELECT name FROM employees NATURAL JOIN x ORDER BY name",
    "WITH x AS (SELECT 'salary' UNION SELECT 5000) SELECT e.name FROM depts"
    " NATURAL JOIN (employees e NATURAL JOIN x) ORDER BY e.name",
]
LEGIT = [
    ("SELECT name, title FROM employees NATURAL JOIN depts ORDER BY name", 2),
    ("SELECT name, title FROM employees JOIN depts USING (dept_id) ORDER BY name", 2),
    ("SELECT name FROM (employees NATURAL JOIN depts) ORDER BY name", 2),
    ("SELECT e.name FROM employees e NATURAL LEFT JOIN depts d ORDER BY e.name", 2),
    (
        "SELECT e.name FROM employees e JOIN (SELECT dept_id FROM depts) d USING (dept_id)"
        " ORDER BY e.name",
        2,
    ),
    (
        "WITH d AS (SELECT dept_id, title FROM depts) SELECT name FROM employees"
        " JOIN d USING (dept_id) ORDER BY name",
        2,
    ),
]


@pytest.fixture(scope="module")
def engine(mysql_server_url: str) -> Iterator[sa.Engine]:
    with seeded_engine(mysql_server_url, DDL) as created:
        yield created


guard = guard_for(SCHEMA, POLICY)


@pytest.mark.parametrize("sql", [GUESS.format(join=join) for join in LEAKS] + LEAKS_VIA_WITH)
def test_join_on_a_denied_column_leaks_unguarded_and_is_refused(
    engine: sa.Engine, sql: str
) -> None:
    assert_leaks_then_refused(engine, guard, sql, [("Ann",)])


@pytest.mark.parametrize(("sql", "count"), LEGIT)
def test_natural_and_using_joins_on_allowed_columns_still_run(
    engine: sa.Engine, sql: str, count: int
) -> None:
    assert len(rows(engine, guard(sql))) == count
