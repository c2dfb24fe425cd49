"""What approved examples read, and how their tables are brought forward in a ranking."""

from __future__ import annotations

import pytest

from backend.domain import AccessPolicy, Example, RowFilter
from backend.example_tables import cache_order, examples_first, tables_read
from backend.sql_guard import KnownTables

KNOWN = KnownTables.from_schema(
    {
        "Customers": ["id", "name", "country", "credit_limit"],
        "orders": ["id", "customer_id", "placed_on", "total"],
        "order_lines": ["id", "order_id", "amount"],
        "vessels": ["id", "name"],
    }
)
EVERYONE = AccessPolicy()


def _read(*sql: str, policy: AccessPolicy = EVERYONE) -> set[str]:
    examples = [Example(f"question {i}", s) for i, s in enumerate(sql)]
    return set(tables_read(examples, policy, known=KNOWN, dialect="mysql"))


def test_the_tables_of_every_example_are_read_in_the_schema_spelling() -> None:
    assert _read(
        "SELECT c.name, SUM(o.total) FROM customers c JOIN orders o ON o.customer_id = c.id "
        "GROUP BY c.name",
        "SELECT COUNT(*) FROM vessels",
    ) == {"Customers", "orders", "vessels"}


@pytest.mark.parametrize(
    "sql",
    [
        "WITH recent AS (SELECT * FROM orders WHERE placed_on > '2025-01-01') "
        "SELECT COUNT(*) FROM recent",
        "SELECT id FROM orders WHERE customer_id IN (SELECT id FROM vessels)",
        "SELECT * FROM (SELECT id FROM orders) AS o",
    ],
)
def test_names_that_are_not_tables_count_for_nothing(sql: str) -> None:
    assert "orders" in _read(sql)
    assert _read(sql) <= {"orders", "vessels"}


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM orders",
        "SELECT * FROM orders; DROP TABLE vessels",
        "SELECT * FROM suppliers",
        "SELECT * FROM mysql.user",
        "not sql at all",
        "",
    ],
)
def test_an_example_the_guard_refuses_reads_nothing(sql: str) -> None:
    assert _read(sql) == set()
    assert _read(sql, "SELECT COUNT(*) FROM vessels") == {"vessels"}


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (AccessPolicy(allowed_tables=frozenset({"orders", "vessels"})), {"vessels"}),
        (AccessPolicy(denied_columns=frozenset({("customers", "credit_limit")})), {"vessels"}),
        (AccessPolicy(allowed_tables=frozenset({"customers", "vessels"})), {"vessels"}),
    ],
)
def test_an_example_reading_what_the_policy_hides_reads_nothing(
    policy: AccessPolicy, expected: set[str]
) -> None:
    hidden_use = (
        "SELECT c.credit_limit, o.total FROM customers c JOIN orders o ON o.customer_id = c.id"
    )
    assert _read(hidden_use, "SELECT name FROM vessels", policy=policy) == expected


def test_row_filters_do_not_change_what_an_example_reads() -> None:
    filtered = AccessPolicy(row_filters=(RowFilter("customers", "country = :user.country"),))
    assert _read("SELECT name FROM customers", policy=filtered) == {"Customers"}


def test_the_tables_read_come_first_each_group_in_the_ranking_order() -> None:
    ranked = ["clients_tls", "Customers", "audit_log", "orders", "vessels"]
    assert examples_first(ranked, {"orders": 1, "customers": 1}) == [
        "Customers",
        "orders",
        "clients_tls",
        "audit_log",
        "vessels",
    ]


def test_a_table_more_examples_read_comes_before_one_fewer_read() -> None:
    ranked = ["clients_tls", "Customers", "audit_log", "orders", "vessels", "order_lines"]
    read = {"customers": 1, "order_lines": 3, "orders": 3, "vessels": 2}
    assert examples_first(ranked, read) == [
        "orders",
        "order_lines",
        "vessels",
        "Customers",
        "clients_tls",
        "audit_log",
    ]


def test_counts_are_read_whatever_their_case_and_zero_counts_for_nothing() -> None:
    ranked = ["audit_log", "Orders", "vessels"]
    assert examples_first(ranked, {"orders": 1, "ORDERS": 1, "vessels": 1}) == [
        "Orders",
        "vessels",
        "audit_log",
    ]
    assert examples_first(ranked, {"vessels": 0}) == ranked


def test_nothing_is_added_that_the_ranking_does_not_hold() -> None:
    ranked = ["clients_tls", "audit_log"]
    assert examples_first(ranked, {"customers": 2}) == ranked
    assert examples_first(ranked, {}) == ranked
    assert examples_first([], {"customers": 1}) == []


def test_each_table_counts_the_examples_that_read_it() -> None:
    sql = [
        "SELECT COUNT(*) FROM orders",
        "SELECT o.id FROM orders o JOIN order_lines l ON l.order_id = o.id JOIN orders p ON 1=1",
        "SELECT name FROM vessels",
        "DELETE FROM vessels",
    ]
    examples = [Example(f"q{i}", s) for i, s in enumerate(sql)]
    counts = tables_read(examples, EVERYONE, known=KNOWN, dialect="mysql")
    assert counts == {"orders": 2, "order_lines": 1, "vessels": 1}


def test_the_cache_order_puts_the_most_read_tables_first_the_same_way_every_time() -> None:
    reads = {"orders": 5, "Customers": 2, "order_lines": 2, "vessels": 0}
    first = cache_order(["clients_tls", "order_lines", "orders", "customers", "vessels"], reads)
    second = cache_order(["customers", "orders", "audit_log", "order_lines"], reads)
    assert first == ["orders", "customers", "order_lines", "clients_tls", "vessels"]
    assert second == ["orders", "customers", "order_lines", "audit_log"]
    assert cache_order(["b", "a"], {}) == ["b", "a"], "no reads: the ranking's order"
