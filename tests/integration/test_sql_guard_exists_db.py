"""EXISTS cannot be made to test a denied column's value on real MariaDB.

EXISTS ignores what its query selects, so the guard used to skip that select list; but a
set operation (INTERSECT, EXCEPT), GROUP BY position or HAVING inside it makes the
selected value decide whether a row exists: `EXISTS (SELECT e.salary INTERSECT SELECT
5200)` names the employee earning exactly 5200. Each payload is first run unguarded to
prove that MariaDB answers the guess, then through `check_sql`, which must refuse it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from backend.domain import AccessPolicy
from backend.errors import SqlRejected
from backend.sql_guard import check_sql

pytestmark = pytest.mark.mariadb

SCHEMA = {"employees": ["id", "name", "email", "salary"]}
POLICY = AccessPolicy(denied_columns=frozenset({("employees", "email"), ("employees", "salary")}))
DDL = [
    "CREATE TABLE employees (id INT PRIMARY KEY, name VARCHAR(40), email VARCHAR(60), salary INT)",
    "INSERT INTO employees VALUES (1, 'Ann', 'ann@x.com', 5000), (2, 'Bob', 'bob@x.com', 7000)",
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
LEGIT = [
    ("SELECT e.name FROM employees e WHERE EXISTS (SELECT e.name INTERSECT SELECT 'Ann')", 1),
    (
        "SELECT e.name FROM employees e"
        " WHERE EXISTS (SELECT * FROM employees e2 WHERE e2.id = e.id)",
        2,
    ),
    ("SELECT e.name FROM employees e WHERE EXISTS (SELECT e.*, 1)", 2),
]


@pytest.fixture(scope="module")
def engine(mysql_server_url: str) -> Iterator[sa.Engine]:
    from tests.support.mariadb import scratch_database

    with scratch_database(mysql_server_url) as url:
        created = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with created.begin() as connection:
            for statement in DDL:
                connection.exec_driver_sql(statement)
        yield created
        created.dispose()


def rows(engine: sa.Engine, sql: str) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.exec_driver_sql(sql)]


def guard(sql: str) -> str:
    return check_sql(sql, schema=SCHEMA, dialect="mysql", row_limit=100, policy=POLICY).sql


@pytest.mark.parametrize("sql", LEAKS)
def test_exists_oracle_on_a_denied_column_leaks_unguarded_and_is_refused(
    engine: sa.Engine, sql: str
) -> None:
    assert rows(engine, sql) == [("Ann",)], "the payload no longer leaks: pick another"
    with pytest.raises(SqlRejected):
        guard(sql)


@pytest.mark.parametrize(("sql", "count"), LEGIT)
def test_exists_over_allowed_columns_still_runs(engine: sa.Engine, sql: str, count: int) -> None:
    assert len(rows(engine, guard(sql))) == count
