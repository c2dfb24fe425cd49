"""A one-row WITH query used as a value without being read becomes a scalar subquery.

An invented schema (a bakery's batches); the shapes a small model writes, then the
near-misses that must stay as written: WITH queries that may return several rows, names
two of them offer, a WITH query read where it is defined, columns the SELECT has itself.
"""

from __future__ import annotations

import pytest
import sqlglot

from backend.domain import AccessPolicy, ColumnDoc, TableDoc
from backend.schema_view import SchemaView
from backend.sql_validate import validate_sql

BAKERY = SchemaView(
    [
        TableDoc(
            "batches",
            (
                ColumnDoc("id", "INT", primary_key=True),
                ColumnDoc("loaves", "INT"),
                ColumnDoc("baked_on", "DATE"),
                ColumnDoc("oven", "INT"),
            ),
        ),
        TableDoc("ovens", (ColumnDoc("id", "INT", primary_key=True), ColumnDoc("model", "TEXT"))),
    ]
)


def _check(sql: str, dialect: str = "mysql"):
    return validate_sql(sql, view=BAKERY, dialect=dialect, policy=AccessPolicy())


def _same(a: str, b: str) -> bool:
    return sqlglot.parse_one(a, read="mysql") == sqlglot.parse_one(b, read="mysql")


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (  # qualified by the WITH query's name
            "WITH low AS (SELECT MIN(loaves) AS fewest FROM batches) "
            "SELECT id FROM batches WHERE loaves > low.fewest",
            "WITH low AS (SELECT MIN(loaves) AS fewest FROM batches) "
            "SELECT id FROM batches WHERE loaves > (SELECT fewest FROM low)",
        ),
        (  # a bare name, in another case
            "WITH low AS (SELECT MIN(loaves) AS Fewest FROM batches) "
            "SELECT id FROM batches WHERE loaves = fewest",
            "WITH low AS (SELECT MIN(loaves) AS Fewest FROM batches) "
            "SELECT id FROM batches WHERE loaves = (SELECT Fewest FROM low)",
        ),
        (  # inside a later WITH query, and an expression of aggregates
            "WITH s AS (SELECT AVG(loaves) * 1.5 AS high, COUNT(*) AS n FROM batches), "
            "big AS (SELECT id FROM batches WHERE loaves > high) SELECT COUNT(*) FROM big",
            "WITH s AS (SELECT AVG(loaves) * 1.5 AS high, COUNT(*) AS n FROM batches), "
            "big AS (SELECT id FROM batches WHERE loaves > (SELECT high FROM s)) "
            "SELECT COUNT(*) FROM big",
        ),
        (  # in the SELECT list
            "WITH t AS (SELECT SUM(loaves) AS total FROM batches) "
            "SELECT oven, SUM(loaves) / t.total AS share FROM batches GROUP BY oven",
            "WITH t AS (SELECT SUM(loaves) AS total FROM batches) "
            "SELECT oven, SUM(loaves) / (SELECT total FROM t) AS share FROM batches GROUP BY oven",
        ),
    ],
)
def test_a_one_row_with_querys_column_is_read_as_a_value(sql: str, expected: str) -> None:
    checked = _check(sql)
    assert checked.ok and checked.repaired, [p.text for p in checked.problems]
    assert _same(checked.sql, expected), checked.sql


@pytest.mark.parametrize(
    "sql",
    [
        # several rows: GROUP BY, a bare column, LIMIT
        "WITH per AS (SELECT oven, MIN(loaves) AS fewest FROM batches GROUP BY oven) "
        "SELECT id FROM batches WHERE loaves > per.fewest",
        "WITH per AS (SELECT oven AS fewest FROM batches) "
        "SELECT id FROM batches WHERE loaves > fewest",
        "WITH low AS (SELECT MIN(loaves) AS fewest FROM batches LIMIT 2) "
        "SELECT id FROM batches WHERE loaves > fewest",
        # a window function is no aggregate of the whole table
        "WITH w AS (SELECT SUM(loaves) OVER () AS total FROM batches) "
        "SELECT id FROM batches WHERE loaves > total",
        # two WITH queries offer the name
        "WITH a AS (SELECT MIN(loaves) AS v FROM batches), b AS (SELECT MAX(loaves) AS v "
        "FROM batches) SELECT id FROM batches WHERE loaves > v",
        # used inside its own body
        "WITH low AS (SELECT MIN(loaves) AS fewest FROM batches WHERE loaves > fewest) "
        "SELECT * FROM low",
    ],
)
def test_what_may_not_be_one_value_is_left_for_the_facts(sql: str) -> None:
    assert not _check(sql).repaired


@pytest.mark.parametrize(
    "sql",
    [
        # the WITH query is read in the FROM: its column is in scope
        "WITH low AS (SELECT MIN(loaves) AS fewest FROM batches) "
        "SELECT b.id FROM batches AS b, low WHERE b.loaves > low.fewest",
        # the SELECT's own column of that name wins
        "WITH low AS (SELECT MIN(loaves) AS loaves FROM batches) "
        "SELECT id FROM batches WHERE loaves > 3",
    ],
)
def test_columns_in_scope_are_untouched(sql: str) -> None:
    checked = _check(sql)
    assert checked.ok and not checked.repaired


@pytest.mark.parametrize("dialect", ["postgres", "sqlite"])
def test_the_repair_speaks_every_dialect(dialect: str) -> None:
    checked = _check(
        "WITH low AS (SELECT MIN(loaves) AS fewest FROM batches) "
        "SELECT id FROM batches WHERE loaves > low.fewest",
        dialect,
    )
    assert checked.ok and "(SELECT fewest FROM low)" in checked.sql
