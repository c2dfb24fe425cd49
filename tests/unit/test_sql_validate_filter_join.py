"""An inner join that reads nothing of its table and repeats rows is read as EXISTS.

An invented schema (a chain of garden shops: shops, their sales and staff, regions);
the shapes a small model writes, then the near-misses that must stay as written.
"""

from __future__ import annotations

import sqlite3
from collections import Counter

import pytest
import sqlglot

from backend.domain import AccessPolicy, RowFilter
from backend.schema_view import SchemaView
from backend.sql_guard import check_sql
from backend.sql_validate import validate_sql
from tests.support.invented_schemas import table

SHOPS = SchemaView(
    [
        table("regions", ["region_id", "region_name"]),
        table(
            "shops",
            ["shop_id", "shop_name", "region_id", "floor_area"],
            ("region_id", "regions", "region_id"),
        ),
        table(
            "sales", ["sale_id", "shop_id", "amount", "sold_on"], ("shop_id", "shops", "shop_id")
        ),
        table("staff", ["staff_id", "shop_id", "staff_name"], ("shop_id", "shops", "shop_id")),
    ]
)


def _check(sql: str, dialect: str = "mysql", policy: AccessPolicy | None = None):
    return validate_sql(sql, view=SHOPS, dialect=dialect, policy=policy or AccessPolicy())


def _same(a: str, b: str) -> bool:
    return sqlglot.parse_one(a, read="mysql") == sqlglot.parse_one(b, read="mysql")


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (  # a listing: each shop once, as many times as it has sales before
            "SELECT s.shop_name FROM shops AS s JOIN sales AS x ON s.shop_id = x.shop_id "
            "WHERE s.floor_area > 100",
            "SELECT s.shop_name FROM shops AS s WHERE s.floor_area > 100 "
            "AND EXISTS(SELECT 1 FROM sales AS x WHERE s.shop_id = x.shop_id)",
        ),
        (  # a sum of the shops' own figure, counted once per shop
            "SELECT SUM(shops.floor_area) AS area FROM shops "
            "INNER JOIN staff ON shops.shop_id = staff.shop_id WHERE shops.region_id = 2",
            "SELECT SUM(shops.floor_area) AS area FROM shops WHERE shops.region_id = 2 "
            "AND EXISTS(SELECT 1 FROM staff WHERE shops.shop_id = staff.shop_id)",
        ),
        (  # a ranking by window, inside a WITH query; an OR kept whole
            "WITH ranked AS (SELECT s.shop_name, ROW_NUMBER() OVER (ORDER BY s.floor_area "
            "DESC) AS rn FROM shops AS s JOIN sales AS x ON s.shop_id = x.shop_id "
            "WHERE s.region_id = 1 OR s.region_id = 2) SELECT shop_name FROM ranked WHERE rn <= 3",
            "WITH ranked AS (SELECT s.shop_name, ROW_NUMBER() OVER (ORDER BY s.floor_area "
            "DESC) AS rn FROM shops AS s WHERE (s.region_id = 1 OR s.region_id = 2) AND "
            "EXISTS(SELECT 1 FROM sales AS x WHERE s.shop_id = x.shop_id)) "
            "SELECT shop_name FROM ranked WHERE rn <= 3",
        ),
        (  # the join condition with a further filter on the joined table
            "SELECT s.shop_name FROM shops AS s JOIN sales AS x "
            "ON s.shop_id = x.shop_id AND x.amount > 500",
            "SELECT s.shop_name FROM shops AS s "
            "WHERE EXISTS(SELECT 1 FROM sales AS x WHERE s.shop_id = x.shop_id AND x.amount > 500)",
        ),
        (  # two such joins
            "SELECT s.shop_name FROM shops AS s JOIN sales AS x ON s.shop_id = x.shop_id "
            "JOIN staff AS t ON t.shop_id = s.shop_id",
            "SELECT s.shop_name FROM shops AS s WHERE EXISTS(SELECT 1 FROM sales AS x WHERE "
            "s.shop_id = x.shop_id) AND EXISTS(SELECT 1 FROM staff AS t "
            "WHERE t.shop_id = s.shop_id)",
        ),
        (  # a join the rest still needs is kept; only the one that repeats goes
            "SELECT r.region_name, s.shop_name FROM shops AS s "
            "JOIN regions AS r ON s.region_id = r.region_id "
            "JOIN staff AS t ON t.shop_id = s.shop_id",
            "SELECT r.region_name, s.shop_name FROM shops AS s "
            "JOIN regions AS r ON s.region_id = r.region_id "
            "WHERE EXISTS(SELECT 1 FROM staff AS t WHERE t.shop_id = s.shop_id)",
        ),
    ],
)
def test_a_join_that_only_repeats_rows_becomes_exists(sql: str, expected: str) -> None:
    checked = _check(sql)
    assert checked.ok and checked.repaired
    assert _same(checked.sql, expected), checked.sql


@pytest.mark.parametrize(
    "sql",
    [
        # counting: the joined rows are what is counted
        "SELECT COUNT(*) FROM shops AS s JOIN sales AS x ON s.shop_id = x.shop_id",
        "SELECT s.shop_name FROM shops AS s JOIN sales AS x ON s.shop_id = x.shop_id "
        "GROUP BY s.shop_name HAVING COUNT(*) > 2",
        "SELECT s.shop_name, COUNT(s.shop_id) AS n FROM shops AS s "
        "JOIN staff AS t ON t.shop_id = s.shop_id GROUP BY s.shop_name",
        # already once
        "SELECT DISTINCT s.shop_name FROM shops AS s JOIN sales AS x ON s.shop_id = x.shop_id",
        # the joined table is read
        "SELECT s.shop_name, x.amount FROM shops AS s JOIN sales AS x ON s.shop_id = x.shop_id",
        "SELECT s.shop_name FROM shops AS s JOIN sales AS x ON s.shop_id = x.shop_id "
        "WHERE x.amount > 10",
        "SELECT s.shop_name FROM shops AS s JOIN sales AS x ON s.shop_id = x.shop_id "
        "ORDER BY x.sold_on",
        "SELECT s.shop_name FROM shops AS s JOIN sales AS x ON s.shop_id = x.shop_id "
        "WHERE s.floor_area > (SELECT AVG(amount) FROM staff WHERE staff.shop_id = x.shop_id)",
        "SELECT s.shop_name FROM shops AS s JOIN sales AS x ON s.shop_id = x.shop_id "
        "JOIN staff AS t ON t.shop_id = x.shop_id WHERE t.staff_name = 'Ana'",
        "SELECT s.shop_name FROM shops AS s JOIN sales AS x ON s.shop_id = x.shop_id "
        "WHERE amount > 10",  # unqualified, still the joined table's
        # nothing is repeated: the join is on the joined table's whole primary key
        "SELECT s.shop_name FROM shops AS s JOIN regions AS r ON s.region_id = r.region_id",
        "SELECT x.amount FROM sales AS x JOIN shops AS s ON x.shop_id = s.shop_id",
        # outer, USING, NATURAL, CROSS and comma joins
        "SELECT s.shop_name FROM shops AS s LEFT JOIN sales AS x ON s.shop_id = x.shop_id",
        "SELECT shops.shop_name FROM shops JOIN sales USING (shop_id)",
        "SELECT shops.shop_name FROM shops NATURAL JOIN sales",
        "SELECT shops.shop_name FROM shops CROSS JOIN sales",
        "SELECT s.shop_name FROM shops AS s, sales AS x WHERE s.shop_id = x.shop_id",
        # a later RIGHT join keeps rows that the EXISTS would drop
        "SELECT r.region_name, s.shop_name FROM shops AS s JOIN sales AS x "
        "ON s.shop_id = x.shop_id RIGHT JOIN regions AS r ON r.region_id = s.region_id",
        # stars read the joined table too
        "SELECT * FROM shops AS s JOIN sales AS x ON s.shop_id = x.shop_id",
        "SELECT x.* FROM shops AS s JOIN sales AS x ON s.shop_id = x.shop_id",
        # an unqualified column in the ON could read the joined table inside EXISTS
        "SELECT s.shop_name FROM shops AS s JOIN sales AS x ON s.shop_id = x.shop_id "
        "AND floor_area > 10",
        # a table joined to itself pairs its rows on purpose
        "SELECT a.sale_id FROM sales AS a JOIN sales AS b ON a.shop_id = b.shop_id "
        "AND a.sale_id <> b.sale_id",
        # a joined WITH query
        "WITH big AS (SELECT shop_id FROM sales WHERE amount > 900) "
        "SELECT s.shop_name FROM shops AS s JOIN big ON s.shop_id = big.shop_id",
    ],
)
def test_near_misses_are_left_as_written(sql: str) -> None:
    checked = _check(sql)
    assert not checked.repaired, checked.sql


def test_a_select_with_a_column_the_schema_cannot_place_is_left_to_the_facts() -> None:
    sql = "SELECT s.shop_name, s.manager FROM shops AS s JOIN sales AS x ON s.shop_id = x.shop_id"
    checked = _check(sql)
    assert "EXISTS" not in checked.sql.upper()
    assert not checked.ok  # manager: the model is told


def test_a_count_inside_a_subquery_does_not_stop_the_outer_repair() -> None:
    sql = (
        "SELECT s.shop_name FROM shops AS s JOIN sales AS x ON s.shop_id = x.shop_id "
        "WHERE s.shop_id IN (SELECT shop_id FROM staff GROUP BY shop_id HAVING COUNT(*) > 1)"
    )
    checked = _check(sql)
    assert checked.repaired and "JOIN" not in checked.sql.upper()


@pytest.mark.parametrize("dialect", ["postgres", "sqlite"])
def test_the_repair_speaks_every_dialect(dialect: str) -> None:
    sql = "SELECT s.shop_name FROM shops AS s JOIN sales AS x ON s.shop_id = x.shop_id"
    checked = _check(sql, dialect)
    assert checked.ok and checked.repaired
    assert "EXISTS(SELECT 1 FROM sales AS x WHERE s.shop_id = x.shop_id)" in checked.sql


def test_a_hidden_table_is_never_rewritten_and_the_guard_still_refuses_it() -> None:
    policy = AccessPolicy(allowed_tables=frozenset({"shops", "regions"}))
    sql = "SELECT s.shop_name FROM shops AS s JOIN sales AS x ON s.shop_id = x.shop_id"
    checked = _check(sql, policy=policy)
    assert not checked.repaired
    with pytest.raises(Exception, match="sales"):
        check_sql(checked.sql, schema=SHOPS.known, dialect="mysql", row_limit=10, policy=policy)


def test_the_guard_filters_the_table_inside_exists_by_its_row_filter() -> None:
    """The repair never widens what is read: the joined table's rule holds inside EXISTS."""
    policy = AccessPolicy(row_filters=(RowFilter("sales", "amount < 1000"),))
    sql = "SELECT s.shop_name FROM shops AS s JOIN sales AS x ON s.shop_id = x.shop_id"
    repaired = _check(sql, policy=policy).sql
    assert "EXISTS" in repaired
    checked = check_sql(repaired, schema=SHOPS.known, dialect="mysql", row_limit=10, policy=policy)
    assert "sales" in checked.tables
    assert "1000" in checked.sql


# Found by a differential attack (each query run on SQLite before and after the check;
# none of these reads SUM/AVG, LIMIT or a window, so the rows must be the same multiset).


def _db() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.executescript(
        """
        CREATE TABLE regions (region_id INT PRIMARY KEY, region_name TEXT);
        CREATE TABLE shops (shop_id INT PRIMARY KEY, shop_name TEXT, region_id INT, floor_area INT);
        CREATE TABLE sales (sale_id INT PRIMARY KEY, shop_id INT, amount INT, sold_on INT);
        CREATE TABLE staff (staff_id INT PRIMARY KEY, shop_id INT, staff_name TEXT);
        INSERT INTO shops VALUES (1, 'a', 1, 100), (2, 'b', 1, 200), (3, 'c', 2, 300);
        INSERT INTO sales VALUES (1, 1, 5, 2020), (2, 1, 50, 2020), (3, 2, 500, 2021),
                                 (4, 2, 5, 2021), (5, 2, 7, 2021);
        """
    )
    return db


def _rows(db: sqlite3.Connection, sql: str) -> Counter:
    return Counter(db.execute(sql).fetchall())


@pytest.mark.parametrize(
    "sql",
    [
        # a schema-qualified column still reads the joined table: the repair drops the
        # join and leaves `main.sales.amount` naming nothing ("no such column")
        "SELECT s.shop_name FROM shops AS s JOIN sales ON s.shop_id = sales.shop_id "
        "WHERE main.sales.amount > 10",
        "SELECT main.x.amount FROM shops AS s JOIN sales AS x ON s.shop_id = x.shop_id",
        # `X.amount` in the subquery is its own `x` (SQLite and PostgreSQL compare aliases
        # case-insensitively, innermost first); the resolver takes the outer `X` by its
        # exact spelling, so the repair moves the join away and re-binds `X.amount`
        "SELECT X.sale_id, (SELECT MAX(s.floor_area) FROM shops AS s "
        "JOIN sales AS x ON s.shop_id = x.shop_id WHERE X.amount > 10) AS m FROM sales AS X",
        # a COUNT one level out counts the joined rows as surely as one in the same SELECT
        "SELECT COUNT(*) FROM (SELECT s.shop_id FROM shops AS s "
        "JOIN sales AS x ON s.shop_id = x.shop_id) AS d",
        "WITH j AS (SELECT s.shop_id FROM shops AS s JOIN sales AS x ON s.shop_id = x.shop_id) "
        "SELECT COUNT(*) FROM j",
    ],
)
def test_the_repaired_query_runs_and_returns_the_same_rows(sql: str) -> None:
    db = _db()
    repaired = validate_sql(sql, view=SHOPS, dialect="sqlite", policy=AccessPolicy()).sql
    assert _rows(db, repaired) == _rows(db, sql), repaired


@pytest.mark.parametrize(
    "sql",
    [
        # a sum of a constant counts the joined rows
        "SELECT SUM(1) FROM shops AS s JOIN sales AS x ON s.shop_id = x.shop_id",
        # the ON reads a column the role may not: left to the guard
        "SELECT s.shop_name FROM shops AS s JOIN sales AS x "
        "ON s.shop_id = x.shop_id AND x.amount > 5",
    ],
)
def test_counts_in_disguise_and_denied_columns_are_left_alone(sql: str) -> None:
    policy = AccessPolicy(denied_columns=frozenset({("sales", "amount")}))
    assert not _check(sql, policy=policy).repaired
