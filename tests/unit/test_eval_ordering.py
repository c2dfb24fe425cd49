"""Reading a gold query's ORDER BY with sqlglot: is it ordered, by which output columns."""

from __future__ import annotations

import pytest

from evaluation.ordering import key_columns, keyed_query, read_order


@pytest.mark.parametrize(
    ("sql", "ordered", "limited"),
    [
        ("SELECT a FROM t", False, False),
        ("SELECT a FROM t ORDER BY a", True, False),
        ("SELECT a FROM t ORDER BY a DESC LIMIT 3", True, True),
        ("SELECT a FROM t LIMIT 3", False, True),
        ("SELECT * FROM (SELECT a FROM t ORDER BY a) s", False, False),
        ("WITH c AS (SELECT a FROM t ORDER BY a) SELECT a FROM c", False, False),
        ("SELECT a FROM t UNION SELECT b FROM u ORDER BY a", True, False),
        ("SELECT a FROM t WHERE a IN (SELECT b FROM u ORDER BY b LIMIT 1)", False, False),
    ],
)
def test_only_a_top_level_order_by_orders(sql: str, ordered: bool, limited: bool) -> None:
    info = read_order(sql, "sqlite")
    assert (info.ordered, info.limited) == (ordered, limited)


def test_unparseable_sql_is_ordered_when_it_ends_with_order_by() -> None:
    assert read_order("SELECT a FROM t WHERE ??? ORDER BY a", "mysql").ordered
    assert not read_order("SELECT a FROM (SELECT ??? ORDER BY b) x", "mysql").ordered


@pytest.mark.parametrize(
    ("sql", "columns", "expected"),
    [
        (
            "SELECT name, SUM(x) AS total FROM t GROUP BY name ORDER BY total DESC",
            ["name", "total"],
            (1,),
        ),
        ("SELECT name, age FROM t ORDER BY 2, 1", ["name", "age"], (1, 0)),
        ("SELECT s.name, s.age FROM singer s ORDER BY s.age", ["name", "age"], (1,)),
        (
            "SELECT name, COUNT(*) FROM t GROUP BY name ORDER BY COUNT(*)",
            ["name", "COUNT(*)"],
            (1,),
        ),
        ("SELECT * FROM t ORDER BY age", ["name", "age"], (1,)),
        ("SELECT name FROM t ORDER BY age", ["name"], None),
    ],
)
def test_order_keys_are_found_among_the_output_columns(
    sql: str, columns: list[str], expected: tuple[int, ...] | None
) -> None:
    assert key_columns(read_order(sql, "sqlite"), columns) == expected


def test_keyed_query_returns_the_keys_and_drops_a_plain_limit() -> None:
    info = read_order("SELECT name FROM singer ORDER BY age DESC LIMIT 3", "sqlite")
    keyed = keyed_query(info, "sqlite")
    assert keyed is not None and keyed.limit == 3 and keyed.key_count == 1
    assert keyed.sql == "SELECT name, age AS _kk_order_0 FROM singer ORDER BY age DESC"


def test_keyed_query_uses_the_expression_behind_an_alias_or_ordinal() -> None:
    sql = "SELECT name, SUM(x) AS total FROM t GROUP BY name ORDER BY total DESC, 1"
    keyed = keyed_query(read_order(sql, "mysql"), "mysql")
    assert keyed is not None and keyed.limit is None
    assert "SUM(x) AS _kk_order_0, name AS _kk_order_1" in keyed.sql


def test_keyed_query_keeps_a_limit_with_offset_and_skips_distinct_and_unions() -> None:
    offset = keyed_query(
        read_order("SELECT a FROM t ORDER BY a LIMIT 2 OFFSET 1", "sqlite"), "sqlite"
    )
    assert offset is not None and offset.limit is None and "LIMIT 2" in offset.sql
    assert (
        keyed_query(read_order("SELECT DISTINCT a FROM t ORDER BY a", "sqlite"), "sqlite") is None
    )
    union = "SELECT a FROM t UNION SELECT b FROM u ORDER BY a"
    assert keyed_query(read_order(union, "sqlite"), "sqlite") is None
