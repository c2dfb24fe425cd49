"""Denied columns stay unread on real MariaDB where sqlglot and the database could disagree.

EXISTS cannot be made to test a denied column's value.

EXISTS ignores what its query selects, so the guard used to skip that select list; but a
set operation (INTERSECT, EXCEPT), GROUP BY position or HAVING inside it makes the
selected value decide whether a row exists: `EXISTS (SELECT e.salary INTERSECT SELECT
5200)` names the employee earning exactly 5200. Each payload is first run unguarded to
prove that MariaDB answers the guess, then through `check_sql`, which must refuse it.

Nor can a projection's implicit name hide a read: sqlglot names `CAST('salary' AS CHAR)`
"salary", MariaDB names it after its whole text, so a `salary` next to it (in a derived
table the outer query reads, or in ORDER BY) is employees.salary for the database.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from backend.domain import AccessPolicy
from tests.support.guard_db import assert_leaks_then_refused, guard_for, rows, seeded_engine

pytestmark = pytest.mark.mariadb

SCHEMA = {"employees": ["id", "name", "email", "salary"], "payroll": ["emp_id", "salary"]}
POLICY = AccessPolicy(denied_columns=frozenset({("employees", "email"), ("employees", "salary")}))
DDL = [
    "CREATE TABLE employees (id INT PRIMARY KEY, name VARCHAR(40), email VARCHAR(60), salary INT)",
    "INSERT INTO employees VALUES (1, 'Ann', 'ann@x.com', 5000), (2, 'Bob', 'bob@x.com', 7000)",
    "CREATE TABLE payroll (emp_id INT, salary INT)",
    "INSERT INTO payroll VALUES (1, 1)",
]
# Each returns Ann only: her salary or e-mail was guessed.
LEAKS = [
    "SELECT e.name FROM employees e WHERE EXISTS (SELECT e.salary INTERSECT SELECT 5000)",
    "SELECT e.name FROM employees e WHERE EXISTS (SELECT e.email INTERSECT SELECT 'ann@x.com')",
    "SELECT e.name FROM employees e WHERE NOT EXISTS (SELECT e.salary EXCEPT SELECT 5000)",
    "SELECT e.name FROM employees e WHERE EXISTS ((SELECT e.salary) INTERSECT (SELECT 5000))",
    "SELECT e.name FROM employees e WHERE EXISTS (SELECT e.salary INTERSECT ALL SELECT 5000)",
    "SELECT e.name FROM employees e WHERE NOT EXISTS (SELECT 5000 EXCEPT SELECT e.salary)",
    "SELECT e.name FROM employees e WHERE EXISTS (SELECT e2.salary FROM employees e2"
    " WHERE e2.id = e.id INTERSECT SELECT 5000)",
    "SELECT e.name FROM employees e WHERE EXISTS (SELECT e.salary = 5000 AS hit HAVING hit)",
    "SELECT e.name FROM employees e WHERE EXISTS (SELECT e.salary AS s HAVING s < 6000)",
]
# Each returns the salaries (or their order) through a projection named like the column.
IMPLICIT = "(SELECT salary FROM ({derived}) d)"
IMPLICIT_DERIVED = [
    "SELECT CAST('salary' AS CHAR)",
    "SELECT CONVERT('salary', CHAR)",
    "SELECT BINARY 'salary'",
    "SELECT DISTINCT CAST('salary' AS CHAR)",
    "SELECT CAST('salary' AS CHAR) UNION SELECT 1 LIMIT 1",
    "SELECT CAST('SALARY' AS CHAR)",
    "SELECT CAST(N'salary' AS CHAR)",
    "SELECT CAST(_utf8mb4'salary' AS CHAR(10))",
    "SELECT CAST('salary' AS BINARY) FROM DUAL",
]
IMPLICIT_LEAKS = [
    *[f"SELECT {IMPLICIT.format(derived=d)} FROM employees ORDER BY id" for d in IMPLICIT_DERIVED],
    "WITH d AS (SELECT CAST('salary' AS CHAR)) SELECT (SELECT salary FROM d) FROM employees"
    " ORDER BY id",
    "SELECT (SELECT salary + 0 FROM (SELECT CAST('salary' AS CHAR)) d) FROM employees ORDER BY id",
]
IMPLICIT_ORDER_LEAKS = [
    "SELECT name, CAST('salary' AS CHAR) FROM employees ORDER BY salary DESC",
    "SELECT name, CONVERT('salary', CHAR) FROM employees ORDER BY salary DESC",
    "SELECT name, BINARY 'salary' FROM employees ORDER BY salary DESC",
]
# Each returns the salaries: MariaDB tells `e` from `E`, a lower-cased check does not.
CASE_LEAKS = [
    "SELECT (SELECT e.salary FROM payroll E LIMIT 1) FROM employees e ORDER BY e.id",
    "SELECT (SELECT E.salary FROM payroll e LIMIT 1) FROM employees E ORDER BY E.id",
    "SELECT (SELECT e.salary + 0 FROM payroll E) FROM employees e ORDER BY e.id",
    "SELECT e.salary FROM payroll E JOIN employees e ON 1 = 1 ORDER BY e.id",
    "SELECT employees.salary FROM payroll AS EMPLOYEES JOIN employees ON 1 = 1"
    " ORDER BY employees.id",
    "WITH P AS (SELECT emp_id FROM payroll) SELECT p.salary FROM employees p JOIN P ON 1 = 1"
    " ORDER BY p.id",
]
LEGIT = [
    ("SELECT e.name FROM employees e WHERE EXISTS (SELECT e.name INTERSECT SELECT 'Ann')", 1),
    (
        "SELECT e.name FROM employees e"
        " WHERE EXISTS (SELECT * FROM employees e2 WHERE e2.id = e.id)",
        2,
    ),
    ("SELECT e.name FROM employees e WHERE EXISTS (SELECT e.*, 1)", 2),
    ("SELECT d.* FROM (SELECT UPPER(name) FROM employees) d", 2),
    ("SELECT * FROM (SELECT name, COUNT(*) FROM employees GROUP BY name) d", 2),
    ("SELECT name, COUNT(*) FROM employees GROUP BY 1 ORDER BY 2 DESC, 1", 2),
    ("SELECT name, 'x' FROM employees ORDER BY name", 2),
]


@pytest.fixture(scope="module")
def engine(mysql_server_url: str) -> Iterator[sa.Engine]:
    with seeded_engine(mysql_server_url, DDL) as created:
        yield created


guard = guard_for(SCHEMA, POLICY)


@pytest.mark.parametrize("sql", LEAKS)
def test_exists_oracle_on_a_denied_column_leaks_unguarded_and_is_refused(
    engine: sa.Engine, sql: str
) -> None:
    assert_leaks_then_refused(engine, guard, sql, [("Ann",)])


@pytest.mark.parametrize("sql", IMPLICIT_LEAKS)
def test_an_implicit_name_like_a_denied_column_leaks_unguarded_and_is_refused(
    engine: sa.Engine, sql: str
) -> None:
    assert_leaks_then_refused(engine, guard, sql, [(5000,), (7000,)])


@pytest.mark.parametrize("sql", IMPLICIT_ORDER_LEAKS)
def test_order_by_an_implicit_name_like_a_denied_column_leaks_unguarded_and_is_refused(
    engine: sa.Engine, sql: str
) -> None:
    assert_leaks_then_refused(engine, guard, sql, ["Bob", "Ann"], column=0)


@pytest.mark.parametrize("sql", CASE_LEAKS)
def test_aliases_alike_but_for_case_leak_unguarded_and_are_refused(
    engine: sa.Engine, sql: str
) -> None:
    assert_leaks_then_refused(engine, guard, sql, [(5000,), (7000,)])


@pytest.mark.parametrize(("sql", "count"), LEGIT)
def test_exists_over_allowed_columns_still_runs(engine: sa.Engine, sql: str, count: int) -> None:
    assert len(rows(engine, guard(sql))) == count
