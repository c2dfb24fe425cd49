"""Row filters in the SQL guard: every read of a filtered table sees only the user's rows.

Escape attempts are run for real on an in-memory SQLite database holding orders from three
regions; the user belongs to region 3, so no row of region 1 or 2 may ever come back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from backend.domain import AccessPolicy, AppliedRule, CheckedSql, RowFilter
from backend.errors import SqlRejected
from backend.sql_guard import check_sql

SCHEMA: dict[str, list[str]] = {
    "customers": ["id", "name", "region_id"],
    "orders": ["id", "customer_id", "region_id", "amount"],
    "regions": ["id", "name"],
}
REGION = "region_id = :user.region_id"
POLICY = AccessPolicy(row_filters=(RowFilter("orders", REGION),))
USER = {"region_id": "3"}
ORDERS = [(1, 1, 1, 10.0), (2, 1, 2, 20.0), (3, 2, 3, 30.0), (4, 2, 3, 40.0), (5, 3, 2, 50.0)]


def guard(
    sql: str,
    dialect: str = "sqlite",
    policy: AccessPolicy = POLICY,
    attributes: dict[str, str] | None = None,
) -> CheckedSql:
    return check_sql(
        sql,
        schema=SCHEMA,
        dialect=dialect,
        row_limit=1000,
        policy=policy,
        user_attributes=USER if attributes is None else attributes,
    )


@pytest.fixture
def db() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    connection.executescript(
        "CREATE TABLE regions (id INTEGER PRIMARY KEY, name TEXT);"
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, region_id INTEGER);"
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER,"
        " region_id INTEGER, amount REAL);"
        "INSERT INTO regions VALUES (1, 'North'), (2, 'South'), (3, 'East');"
        "INSERT INTO customers VALUES (1, 'Ann', 1), (2, 'Bob', 3), (3, 'Cy', 2);"
    )
    connection.executemany("INSERT INTO orders VALUES (?, ?, ?, ?)", ORDERS)
    yield connection
    connection.close()


def run(
    db: sqlite3.Connection, sql: str, policy: AccessPolicy = POLICY
) -> list[tuple[object, ...]]:
    return db.execute(guard(sql, policy=policy).sql).fetchall()


# Each query tries to see orders outside region 3; each must return only region 3.
REGION_ESCAPES: list[str] = [
    "SELECT region_id FROM orders",
    "SELECT region_id FROM orders WHERE region_id = 1 OR 1 = 1",
    "SELECT region_id FROM orders WHERE region_id <> 3 OR region_id = 3",
    "SELECT o2.region_id FROM orders o1 JOIN orders o2 ON o1.id <> o2.id",
    "SELECT o2.region_id FROM orders o1, orders o2",
    "SELECT (SELECT MAX(region_id) FROM orders) AS r",
    "SELECT (SELECT MIN(o.region_id) FROM orders o) AS r FROM customers",
    "SELECT region_id FROM (SELECT * FROM orders) x",
    "SELECT region_id FROM (SELECT * FROM (SELECT * FROM orders) a) b",
    "WITH x AS (SELECT * FROM orders) SELECT region_id FROM x",
    "WITH x AS (SELECT region_id FROM orders WHERE 1 = 1 OR region_id = 1) SELECT * FROM x",
    "SELECT 3 AS region_id UNION SELECT region_id FROM orders",
    "SELECT region_id FROM orders UNION ALL SELECT region_id FROM orders WHERE region_id = 2",
    "SELECT region_id FROM ORDERS",
    'SELECT region_id FROM "orders"',
    'SELECT region_id FROM "ORDERS"',
    "SELECT region_id FROM orders AS customers",
    "SELECT o.region_id FROM customers c LEFT JOIN orders o ON o.customer_id = c.id "
    "WHERE o.id IS NOT NULL",
    "SELECT o.region_id FROM customers c JOIN orders o ON 1 = 1",
    "SELECT region_id FROM orders GROUP BY region_id",
    "SELECT o.region_id FROM (orders o JOIN customers c ON c.id = o.customer_id)",
    "SELECT o.region_id FROM customers c JOIN (orders o JOIN regions r ON r.id <> o.region_id)"
    " ON 1 = 1",
    "SELECT region_id FROM orders WHERE id IN (SELECT id FROM orders WHERE region_id <> 3) "
    "OR region_id = 3",
    "SELECT DISTINCT region_id FROM orders o WHERE EXISTS "
    "(SELECT 1 FROM orders o2 WHERE o2.region_id <> o.region_id) OR 1 = 1",
]


@pytest.mark.parametrize("sql", REGION_ESCAPES)
def test_row_filter_cannot_be_escaped(db: sqlite3.Connection, sql: str) -> None:
    rows = run(db, sql)
    assert rows, "the user's own rows must stay visible"
    assert {row[0] for row in rows} == {3}


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT COUNT(*) FROM orders", [(2,)]),
        ("SELECT SUM(amount) FROM orders", [(70.0,)]),
        ("SELECT COUNT(*) FROM orders WHERE region_id = 1", [(0,)]),
        (
            "SELECT c.name, (SELECT COUNT(*) FROM orders o WHERE o.customer_id = c.id) "
            "FROM customers c ORDER BY c.id",
            [("Ann", 0), ("Bob", 2), ("Cy", 0)],
        ),
        (
            "SELECT COUNT(*) FROM customers c WHERE EXISTS "
            "(SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.region_id = 1)",
            [(0,)],
        ),
        (
            "SELECT r.name, COUNT(o.id) FROM regions r LEFT JOIN orders o "
            "ON o.region_id = r.id GROUP BY r.name ORDER BY r.name",
            [("East", 2), ("North", 0), ("South", 0)],
        ),
    ],
)
def test_row_filter_changes_aggregates_and_joins(
    db: sqlite3.Connection, sql: str, expected: list[tuple[object, ...]]
) -> None:
    assert run(db, sql) == expected


def test_row_filter_leaves_unfiltered_tables_alone(db: sqlite3.Connection) -> None:
    assert run(db, "SELECT COUNT(*) FROM customers") == [(3,)]


def test_row_filter_rewrites_aliased_reference_into_derived_table() -> None:
    checked = guard("SELECT o.amount FROM orders AS o WHERE o.amount > 1", dialect="mysql")
    assert checked.sql == (
        "SELECT o.amount FROM (SELECT * FROM orders WHERE region_id = '3' "
        "LIMIT 9223372036854775807) AS o "
        "WHERE o.amount > 1 LIMIT 1000"
    )


def test_row_filter_keeps_unaliased_name_for_column_references() -> None:
    checked = guard("SELECT ORDERS.amount FROM ORDERS", dialect="mysql")
    assert "(SELECT * FROM orders WHERE region_id = '3' LIMIT 9223372036854775807) AS ORDERS" in (
        checked.sql
    )


def test_row_filter_applies_in_every_union_branch_and_cte() -> None:
    sql = (
        "WITH a AS (SELECT id FROM orders) "
        "SELECT id FROM a UNION SELECT id FROM orders UNION SELECT id FROM orders o"
    )
    assert guard(sql, dialect="mysql").sql.count("WHERE region_id = '3'") == 3


def test_row_filter_rejects_schema_qualified_escape() -> None:
    with pytest.raises(SqlRejected, match="without a database prefix"):
        guard("SELECT region_id FROM main.orders")


def test_row_filter_rejects_cte_named_like_the_table() -> None:
    with pytest.raises(SqlRejected, match="same name as the table"):
        guard("WITH orders AS (SELECT * FROM orders) SELECT region_id FROM orders")


def test_row_filter_quotes_the_attribute_value(db: sqlite3.Connection) -> None:
    hostile = {"region_id": "3' OR '1'='1"}
    checked = guard("SELECT id FROM orders", attributes=hostile)
    assert "region_id = '3'' OR ''1''=''1'" in checked.sql
    assert db.execute(checked.sql).fetchall() == []


def test_row_filter_escapes_backslashes_for_mysql() -> None:
    checked = guard("SELECT id FROM orders", dialect="mysql", attributes={"region_id": "3\\'"})
    assert "region_id = '3\\\\'''" in checked.sql


def test_row_filter_rejects_missing_user_attribute() -> None:
    with pytest.raises(SqlRejected, match="no region_id attribute"):
        guard("SELECT id FROM orders", attributes={})


def test_row_filter_missing_attribute_is_fine_when_table_not_read() -> None:
    assert guard("SELECT id FROM customers", attributes={}).tables == frozenset({"customers"})


@pytest.mark.parametrize(
    ("predicate", "why"),
    [
        ("region_id = 1; DROP TABLE orders", "not valid"),
        ("region_id IN (SELECT id FROM regions)", "subqueries"),
        ("SLEEP(1) = 0", "SLEEP()"),
        ("region_id = @r", "user variables"),
        ("region_id = :other.region_id", "placeholder"),
        ("region_id = ?", "placeholder"),
        ("region_id =", "could not be parsed"),
        ("SELECT 1", "single condition"),
        ("regoin_id = :user.region_id", "orders has no column regoin_id"),
        ("customers.region_id = 3", "belongs to another table"),
    ],
)
def test_row_filter_rejects_unsafe_predicates(predicate: str, why: str) -> None:
    policy = AccessPolicy(row_filters=(RowFilter("orders", predicate),))
    with pytest.raises(SqlRejected, match="access rule on orders is not valid") as caught:
        guard("SELECT id FROM orders", policy=policy)
    assert why in str(caught.value)


def test_row_filter_accepts_compound_predicate() -> None:
    policy = AccessPolicy(
        row_filters=(RowFilter("orders", "(region_id = 1 OR amount > 5) AND orders.id > 0"),)
    )
    sql = guard("SELECT id FROM orders", policy=policy).sql
    assert "WHERE (region_id = 1 OR amount > 5) AND orders.id > 0" in sql


def test_two_filters_on_one_table_both_apply(db: sqlite3.Connection) -> None:
    policy = AccessPolicy(
        row_filters=(
            RowFilter("orders", "region_id = :user.region_id"),
            RowFilter("Orders", "amount > 35 OR customer_id = 99"),
        )
    )
    assert run(db, "SELECT id FROM orders", policy=policy) == [(4,)]


def test_row_filter_predicate_may_use_columns_the_user_cannot() -> None:
    policy = AccessPolicy(
        denied_columns=frozenset({("orders", "region_id")}),
        row_filters=(RowFilter("orders", "region_id = :user.region_id"),),
    )
    assert "region_id = '3'" in guard("SELECT id, amount FROM orders", policy=policy).sql
    with pytest.raises(SqlRejected, match=r"orders\.region_id"):
        guard("SELECT region_id FROM orders", policy=policy)
    with pytest.raises(SqlRejected, match="SELECT \\* on orders"):
        guard("SELECT * FROM orders", policy=policy)


# -- which rules shaped the result (CheckedSql.rules) ----------------------------------------


def test_checked_sql_names_the_row_filter_it_applied_with_the_users_value() -> None:
    checked = guard("SELECT COUNT(*) FROM orders o JOIN customers c ON c.id = o.customer_id")
    assert checked.rules == (AppliedRule("orders", "region_id = '3'"),)


def test_no_rule_is_named_when_the_sql_reads_no_filtered_table() -> None:
    assert guard("SELECT name FROM customers").rules == ()
    assert guard("SELECT COUNT(*) FROM orders", policy=AccessPolicy()).rules == ()


def test_hidden_columns_of_a_table_read_are_named_and_filters_are_anded() -> None:
    policy = AccessPolicy(
        denied_columns=frozenset({("customers", "region_id"), ("regions", "name")}),
        row_filters=(
            RowFilter("orders", "region_id = :user.region_id"),
            RowFilter("Orders", "amount > 15"),
        ),
    )
    checked = guard(
        "SELECT c.name, SUM(o.amount) FROM orders o JOIN customers c ON c.id = o.customer_id "
        "GROUP BY c.name",
        policy=policy,
    )
    assert checked.rules == (
        AppliedRule("customers", None, ("region_id",)),
        AppliedRule("orders", "(region_id = '3') AND (amount > 15)"),
    )


def test_the_admins_description_of_a_filter_is_named_with_the_users_values() -> None:
    described = "Only orders of region :user.region_id are counted."
    policy = AccessPolicy(row_filters=(RowFilter("orders", REGION, described),))
    checked = guard("SELECT COUNT(*) FROM orders", policy=policy)
    assert checked.rules == (
        AppliedRule("orders", "region_id = '3'", (), "Only orders of region 3 are counted."),
    )


def test_no_description_is_named_when_a_filter_lacks_one_or_a_value_is_missing() -> None:
    both = AccessPolicy(
        row_filters=(
            RowFilter("orders", REGION, "Your region only."),
            RowFilter("orders", "amount > 15"),
        )
    )
    assert guard("SELECT COUNT(*) FROM orders", policy=both).rules[0].description is None
    missing = AccessPolicy(row_filters=(RowFilter("orders", REGION, "Region :user.region_name."),))
    assert guard("SELECT COUNT(*) FROM orders", policy=missing).rules[0].description is None
