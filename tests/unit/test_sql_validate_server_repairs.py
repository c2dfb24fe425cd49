"""Repairs of what the server would get wrong: YEAR() of a year kept as a number, and (on
MySQL and MariaDB) a LIMITed subquery under IN/ANY/ALL.

On MySQL and MariaDB `YEAR(1998)` is NULL (1998 is no date), so `WHERE YEAR(vintage) >
1990` finds nothing while looking right. An invented schema (a wine cellar) in the three
shapes a year takes: an integer named as a year, a text column whose values are years, and
the near-misses that must stay untouched (a real date, a YYYYMMDD date key, a text column
of other values, an integer that is no year).
"""

from __future__ import annotations

import pytest

from backend.domain import AccessPolicy, ColumnDoc, TableDoc
from backend.schema_view import SchemaView
from backend.sql_validate import validate_sql

CELLAR = SchemaView(
    [
        TableDoc(
            "Wines",
            (
                ColumnDoc("WineId", "INT", primary_key=True),
                ColumnDoc("VintageYear", "INT"),
                ColumnDoc("bottled", "VARCHAR(4)", sample_values=("1998", "2004", "2011")),
                ColumnDoc("label_code", "VARCHAR(8)", sample_values=("1998", "R-12")),
                ColumnDoc("released_on", "DATE"),
                ColumnDoc("DateKey", "INT"),
                ColumnDoc("stock", "INT"),
                ColumnDoc("harvest_yr", "SMALLINT"),
                ColumnDoc("Open_Year", "TEXT"),
                ColumnDoc("season_year", "VARCHAR(7)", sample_values=("2019/20", "2020/21")),
            ),
        ),
        TableDoc("Tastings", (ColumnDoc("WineId", "INT"), ColumnDoc("score", "INT"))),
    ]
)


def _check(sql: str, dialect: str = "mysql") -> str:
    checked = validate_sql(sql, view=CELLAR, dialect=dialect, policy=AccessPolicy())
    assert checked.ok, checked.problems
    return checked.sql


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT COUNT(*) FROM Wines WHERE YEAR(VintageYear) < 1980", "WHERE VintageYear < 1980"),
        (
            "SELECT COUNT(*) FROM Wines AS w WHERE YEAR(w.VintageYear) = 2001",
            "w.VintageYear = 2001",
        ),
        (
            "SELECT WineId FROM Wines WHERE EXTRACT(YEAR FROM bottled) > 2000",
            "WHERE bottled > 2000",
        ),
        (
            "SELECT YEAR(bottled) AS y, COUNT(*) FROM Wines GROUP BY YEAR(bottled)",
            "GROUP BY bottled",
        ),
        (
            "SELECT WineId FROM Wines WHERE YEAR(harvest_yr) BETWEEN 1990 AND 1999",
            "harvest_yr BETWEEN",
        ),
        ("SELECT COUNT(*) FROM Wines AS w WHERE YEAR(w.Open_Year) > 2010", "w.Open_Year > 2010"),
        (
            "WITH old AS (SELECT WineId FROM Wines WHERE YEAR(vintageyear) < 1990) "
            "SELECT COUNT(*) FROM old",
            "WHERE VintageYear < 1990",
        ),
        (
            "SELECT t.score FROM Tastings AS t JOIN Wines AS w ON t.WineId = w.WineId "
            "WHERE YEAR(w.VintageYear) = (SELECT MAX(YEAR(VintageYear)) FROM Wines)",
            "MAX(VintageYear)",
        ),
    ],
)
def test_year_of_a_year_number_becomes_the_column(sql: str, expected: str) -> None:
    repaired = _check(sql)
    assert expected in repaired
    assert "YEAR(" not in repaired.upper().replace("VINTAGEYEAR(", "")
    assert "EXTRACT" not in repaired.upper()


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT COUNT(*) FROM Wines WHERE YEAR(released_on) = 2020",  # a real date
        "SELECT COUNT(*) FROM Wines WHERE YEAR(DateKey) = 2020",  # YYYYMMDD: a valid date
        "SELECT COUNT(*) FROM Wines WHERE YEAR(label_code) = 1998",  # not all years
        "SELECT COUNT(*) FROM Wines WHERE YEAR(stock) = 2020",  # an integer that is no year
        "SELECT COUNT(*) FROM Wines WHERE YEAR(season_year) = 2020",  # named so, not years
        "SELECT YEAR(NOW()) - VintageYear FROM Wines",  # YEAR of something else
    ],
)
def test_other_year_calls_stay_as_written(sql: str) -> None:
    assert "YEAR(" in _check(sql).upper()


def test_sqlite_queries_are_repaired_the_same_way() -> None:
    assert "WHERE VintageYear < 1980" in _check(
        "SELECT COUNT(*) FROM Wines WHERE EXTRACT(YEAR FROM VintageYear) < 1980", "sqlite"
    )


def test_a_limited_subquery_under_in_is_read_from_a_derived_table_with_a_free_alias() -> None:
    sql = (
        "SELECT limited.WineId FROM Wines AS limited WHERE limited.WineId IN "
        "(SELECT WineId FROM Tastings ORDER BY score DESC LIMIT 3)"
    )
    repaired = _check(sql)
    assert (
        "IN (SELECT * FROM (SELECT WineId FROM Tastings ORDER BY score DESC LIMIT 3) AS limited_2)"
        in repaired
    )
    assert _check(repaired) == repaired  # a repaired query needs nothing more


def test_sqlite_keeps_its_limited_subqueries() -> None:
    sql = "SELECT WineId FROM Wines WHERE WineId IN (SELECT WineId FROM Tastings LIMIT 3)"
    assert "IN (SELECT WineId FROM Tastings LIMIT 3)" in _check(sql, "sqlite")


@pytest.mark.parametrize(
    ("sql", "division"),
    [
        (
            "SELECT WineId FROM Tastings GROUP BY WineId "
            "HAVING COUNT(*) / (SELECT COUNT(*) FROM Tastings) >= 0.05",
            "CAST(COUNT(*) AS DOUBLE PRECISION) / NULLIF((SELECT COUNT(*) FROM Tastings), 0)",
        ),
        (
            "SELECT SUM(CASE WHEN score > 90 THEN 1 ELSE 0 END) / COUNT(*) AS share FROM Tastings",
            "CAST(SUM(CASE WHEN score > 90 THEN 1 ELSE 0 END) AS DOUBLE PRECISION) "
            "/ NULLIF(COUNT(*), 0)",
        ),
        (
            "SELECT 100 * COUNT(score) / (SELECT COUNT(*) AS n FROM Wines) FROM Tastings",
            "CAST(100 * COUNT(score) AS DOUBLE PRECISION) / NULLIF((SELECT COUNT(*) AS n",
        ),
    ],
)
def test_postgresql_divides_counts_exactly_as_mysql_does(sql: str, division: str) -> None:
    repaired = _check(sql, "postgresql")
    assert division in repaired
    assert _check(repaired, "postgresql") == repaired


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT SUM(stock) / SUM(harvest_yr) FROM Wines",  # not a count: as written
        "SELECT stock / 2 FROM Wines",
    ],
)
def test_postgresql_leaves_other_divisions_as_written(sql: str) -> None:
    assert "CAST(" not in _check(sql, "postgresql")


@pytest.mark.parametrize("dialect", ["mysql", "sqlite"])
def test_other_dialects_keep_their_own_division(dialect: str) -> None:
    sql = "SELECT COUNT(*) / (SELECT COUNT(*) FROM Wines) FROM Tastings"
    assert "CAST(" not in _check(sql, dialect)


DIARY = SchemaView(
    [
        TableDoc(
            "Visits",
            (
                ColumnDoc("VisitId", "INT", primary_key=True),
                ColumnDoc("arrived_at", "DATETIME"),
                ColumnDoc("LeftAt", "timestamp without time zone"),
                ColumnDoc("booked_on", "DATE"),
                ColumnDoc("note", "VARCHAR(40)"),
            ),
        )
    ]
)


def _diary(sql: str, dialect: str = "mysql") -> str:
    checked = validate_sql(sql, view=DIARY, dialect=dialect, policy=AccessPolicy())
    assert checked.ok, checked.problems
    return checked.sql


@pytest.mark.parametrize("dialect", ["mysql", "postgresql", "sqlite"])
def test_a_timestamp_up_to_a_bare_date_keeps_that_whole_day(dialect: str) -> None:
    repaired = _diary(
        "SELECT COUNT(*) FROM Visits v WHERE v.arrived_at BETWEEN '2025-03-01' AND '2025-03-31'",
        dialect,
    )
    assert "(v.arrived_at >= '2025-03-01' AND v.arrived_at < '2025-04-01')" in repaired
    assert _diary(repaired, dialect) == repaired  # nothing more to do
    year_end = _diary("SELECT VisitId FROM Visits WHERE LeftAt <= '2024-12-31'", dialect)
    assert "WHERE LeftAt < '2025-01-01'" in year_end


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT VisitId FROM Visits WHERE booked_on BETWEEN '2025-03-01' AND '2025-03-31'",
        "SELECT VisitId FROM Visits WHERE arrived_at BETWEEN '2025-03-01' AND '2025-03-31 18:00'",
        "SELECT VisitId FROM Visits WHERE note <= '2025-03-31'",
        "SELECT VisitId FROM Visits WHERE arrived_at < '2025-03-31'",
        "SELECT VisitId FROM Visits WHERE arrived_at <= '2025-02-30'",  # no such day
    ],
)
def test_dates_times_and_other_comparisons_stay_as_written(sql: str) -> None:
    assert _diary(sql) == sql  # not repaired: the query as the model wrote it
