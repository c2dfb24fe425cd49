"""The guard's regenerated SQL runs on real MariaDB and SQLite and returns the right rows.

sqlglot's MySQL generator writes some MySQL-8-only spellings; these tests prove that what
`check_sql` returns (REGEXP, date functions, WITH, UNION, window functions, DUAL, JSON
arrows, MEDIAN) is accepted by MariaDB, and that row filters really filter.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator, Sequence
from decimal import Decimal

import pytest
import sqlalchemy as sa

from backend.domain import UNRESTRICTED, AccessPolicy, RowFilter
from backend.sql_guard import check_sql

SCHEMA: dict[str, list[str]] = {
    "regions": ["id", "name"],
    "customers": ["id", "name", "region_id"],
    "orders": ["id", "customer_id", "region_id", "amount", "ordered_at", "details"],
}
DDL = [
    "CREATE TABLE regions (id INTEGER PRIMARY KEY, name VARCHAR(40))",
    "CREATE TABLE customers (id INTEGER PRIMARY KEY, name VARCHAR(40), region_id INTEGER)",
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, region_id INTEGER,"
    " amount DECIMAL(10, 2), ordered_at DATE, details TEXT)",
    "INSERT INTO regions VALUES (1, 'North'), (2, 'South'), (3, 'East')",
    "INSERT INTO orders VALUES"
    " (1, 1, 1, 10.00, '2024-01-15', '{\"channel\": \"web\"}'),"
    " (2, 2, 3, 20.00, '2024-02-10', '{\"channel\": \"shop\"}'),"
    " (3, 2, 3, 30.00, '2024-02-20', '{\"channel\": \"web\"}'),"
    " (4, 3, 2, 40.00, '2024-03-05', '{\"channel\": \"web\"}'),"
    " (5, 4, 3, 50.00, '2024-03-25', '{\"channel\": \"shop\"}')",
]
# Inserted with driver parameters: the backslash must survive on both databases.
CUSTOMERS = [(1, "Ann", 1), (2, "Bob", 3), (3, "Cy", 2), (4, "O'Br\\ien", 3)]
REGION_FILTER = AccessPolicy(row_filters=(RowFilter("orders", "region_id = :user.region_id"),))
NAME_FILTER = AccessPolicy(row_filters=(RowFilter("customers", "name = :user.name"),))
USER = {"region_id": "3", "name": "O'Br\\ien"}

Rows = list[tuple[object, ...]]

# (sql, policy, rows expected) — run on both databases.
PORTABLE: list[tuple[str, AccessPolicy, Rows]] = [
    (
        "WITH t AS (SELECT customer_id, SUM(amount) AS total FROM orders GROUP BY customer_id)"
        " SELECT c.name, t.total FROM t JOIN customers c ON c.id = t.customer_id"
        " ORDER BY t.total DESC, c.name",
        UNRESTRICTED,
        [("Bob", 50.0), ("O'Br\\ien", 50.0), ("Cy", 40.0), ("Ann", 10.0)],
    ),
    (
        "SELECT name FROM regions UNION SELECT name FROM customers ORDER BY name LIMIT 3",
        UNRESTRICTED,
        [("Ann",), ("Bob",), ("Cy",)],
    ),
    (
        "SELECT id, RANK() OVER (PARTITION BY customer_id ORDER BY amount DESC) AS r"
        " FROM orders ORDER BY id",
        UNRESTRICTED,
        [(1, 1), (2, 2), (3, 1), (4, 1), (5, 1)],
    ),
    (
        "WITH RECURSIVE n AS (SELECT 1 AS i UNION ALL SELECT i + 1 FROM n WHERE i < 3)"
        " SELECT i FROM n ORDER BY i",
        UNRESTRICTED,
        [(1,), (2,), (3,)],
    ),
    (
        "SELECT c.name, SUM(o.amount) AS total FROM customers c"
        " JOIN orders o ON o.customer_id = c.id GROUP BY c.name ORDER BY c.name",
        REGION_FILTER,
        [("Bob", 50.0), ("O'Br\\ien", 50.0)],
    ),
    (
        "SELECT o.id FROM orders o WHERE o.region_id = 1 OR o.amount > 0 ORDER BY o.id",
        REGION_FILTER,
        [(2,), (3,), (5,)],
    ),
    ("SELECT id, name FROM customers", NAME_FILTER, [(4, "O'Br\\ien")]),
]

MARIADB_ONLY: list[tuple[str, Rows]] = [
    ("SELECT name FROM customers WHERE name REGEXP '^[AB]' ORDER BY name", [("Ann",), ("Bob",)]),
    (
        "SELECT name FROM customers WHERE name NOT REGEXP '^[AB]' ORDER BY id",
        [("Cy",), ("O'Br\\ien",)],
    ),
    ("SELECT REGEXP_LIKE(name, '^c') AS m FROM customers WHERE id = 3", [(1,)]),
    (
        "SELECT DATE_FORMAT(ordered_at, '%Y-%m') AS m, COUNT(*) AS n FROM orders"
        " GROUP BY m ORDER BY m",
        [("2024-01", 1), ("2024-02", 2), ("2024-03", 2)],
    ),
    (
        "SELECT id FROM orders WHERE ordered_at >= DATE_SUB('2024-03-20', INTERVAL 1 MONTH)"
        " AND YEAR(ordered_at) = 2024 ORDER BY id",
        [(3,), (4,), (5,)],
    ),
    ("SELECT DATEDIFF('2024-03-01', '2024-02-01') AS d FROM dual", [(29,)]),
    ("SELECT 1 + 1 AS two FROM DUAL", [(2,)]),
    ("SELECT details ->> '$.channel' AS ch FROM orders WHERE id = 2", [("shop",)]),
    ("SELECT DISTINCT MEDIAN(amount) OVER () AS m FROM orders", [(30.0,)]),
    ("SELECT UTC_DATE() > '2000-01-01' AS recent", [(1,)]),
    ("SELECT id FROM orders ORDER BY id LIMIT 50", [(1,), (2,), (3,)]),
]

SQLITE_ONLY: list[tuple[str, Rows]] = [
    (
        "SELECT strftime('%Y-%m', ordered_at) AS m, COUNT(*) AS n FROM orders"
        " GROUP BY m ORDER BY m",
        [("2024-01", 1), ("2024-02", 2), ("2024-03", 2)],
    ),
    (
        "SELECT id FROM orders WHERE ordered_at >= date('2024-03-20', '-1 month') ORDER BY id",
        [(3,), (4,), (5,)],
    ),
    ("SELECT name || '@' || region_id AS tag FROM customers WHERE id = 1", [("Ann@1",)]),
    ("SELECT id FROM orders ORDER BY id LIMIT -1", [(1,), (2,), (3,)]),
]


def normalise(rows: Sequence[Sequence[object]]) -> Rows:
    def value(item: object) -> object:
        if isinstance(item, Decimal):
            return float(item)
        if isinstance(item, dt.date):
            return item.isoformat()
        return item

    return [tuple(value(item) for item in row) for row in rows]


def guarded(sql: str, dialect: str, policy: AccessPolicy = UNRESTRICTED, limit: int = 100) -> str:
    return check_sql(
        sql,
        schema=SCHEMA,
        dialect=dialect,
        row_limit=limit,
        policy=policy,
        user_attributes=USER,
    ).sql


@pytest.fixture
def mariadb(mysql_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(mysql_url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        for statement in DDL:
            connection.exec_driver_sql(statement)
        connection.exec_driver_sql("INSERT INTO customers VALUES (%s, %s, %s)", CUSTOMERS)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_db() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    for statement in DDL:
        connection.execute(statement)
    connection.executemany("INSERT INTO customers VALUES (?, ?, ?)", CUSTOMERS)
    yield connection
    connection.close()


def run_mariadb(engine: sa.Engine, sql: str) -> Rows:
    # A raw DB-API cursor: SQLAlchemy's exec_driver_sql would %-format DATE_FORMAT patterns.
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(sql)
        return normalise(cursor.fetchall())
    finally:
        connection.close()


@pytest.mark.mariadb
@pytest.mark.parametrize(("sql", "policy", "expected"), PORTABLE)
def test_guarded_sql_runs_on_mariadb(
    mariadb: sa.Engine, sql: str, policy: AccessPolicy, expected: Rows
) -> None:
    assert run_mariadb(mariadb, guarded(sql, "mysql", policy)) == expected


@pytest.mark.parametrize(("sql", "policy", "expected"), PORTABLE)
def test_guarded_sql_runs_on_sqlite(
    sqlite_db: sqlite3.Connection, sql: str, policy: AccessPolicy, expected: Rows
) -> None:
    assert normalise(sqlite_db.execute(guarded(sql, "sqlite", policy)).fetchall()) == expected


@pytest.mark.mariadb
@pytest.mark.parametrize(("sql", "expected"), MARIADB_ONLY)
def test_mariadb_specific_sql_survives_regeneration(
    mariadb: sa.Engine, sql: str, expected: Rows
) -> None:
    assert run_mariadb(mariadb, guarded(sql, "mysql", limit=3)) == expected


@pytest.mark.parametrize(("sql", "expected"), SQLITE_ONLY)
def test_sqlite_specific_sql_survives_regeneration(
    sqlite_db: sqlite3.Connection, sql: str, expected: Rows
) -> None:
    assert normalise(sqlite_db.execute(guarded(sql, "sqlite", limit=3)).fetchall()) == expected
