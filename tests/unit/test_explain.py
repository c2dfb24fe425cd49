"""`explain_sql`: the sentence saying what a query computed, from its parse tree alone."""

from __future__ import annotations

import pytest

from backend.explain import explain_sql


def said(sql: str, language: str = "en", dialect: str = "mysql") -> str:
    message = explain_sql(sql, dialect)
    assert message is not None, sql
    return message.render(language)


REVENUE = (
    "SELECT c.region, SUM(s.amount) AS revenue FROM sales s JOIN clients c ON c.id = s.client_id "
    "WHERE s.sold_on >= '2023-01-01' AND s.sold_on < '2024-01-01' "
    "GROUP BY c.region ORDER BY revenue DESC LIMIT 5"
)


def test_a_grouped_ranked_sum_over_a_year_in_english_and_spanish() -> None:
    assert said(REVENUE) == (
        "Computed the sum of sales.amount from sales joined with clients, where sales.sold_on "
        "is from 2023-01-01 to 2023-12-31, by clients.region, top 5 by the sum of sales.amount."
    )
    assert said(REVENUE, "es") == (
        "Cálculo: la suma de sales.amount, a partir de sales unida con clients, donde "
        "sales.sold_on va del 2023-01-01 al 2023-12-31, por clients.region, los 5 primeros "
        "por la suma de sales.amount."
    )


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("d >= '2024-03-01' AND d < '2024-04-01'", "t.d is from 2024-03-01 to 2024-03-31"),
        ("d > '2024-02-29' AND d <= '2024-03-31'", "t.d is from 2024-03-01 to 2024-03-31"),
        ("d BETWEEN '2024-03-01' AND '2024-03-31'", "t.d is from 2024-03-01 to 2024-03-31"),
        ("'2024-03-01' <= d AND '2024-04-01' > d", "t.d is from 2024-03-01 to 2024-03-31"),
        ("d >= '2024-03-01 00:00:00'", "t.d is 2024-03-01 or later"),
        ("d < '2025-01-01'", "t.d is 2024-12-31 or earlier"),
        ("YEAR(d) = 2022", "t.d is in 2022"),
    ],
)
def test_date_ranges_are_stated_as_inclusive_days(where: str, expected: str) -> None:
    assert f"where {expected}." in said(f"SELECT COUNT(*) FROM t WHERE {where}")


@pytest.mark.parametrize(
    ("select", "expected"),
    [
        ("COUNT(*)", "the number of rows"),
        ("COUNT(1)", "the number of rows"),
        ("COUNT(buyer)", "the number of t.buyer values"),
        ("COUNT(DISTINCT buyer)", "the number of distinct t.buyer"),
        ("AVG(price)", "the average of t.price"),
        ("MIN(price)", "the smallest t.price"),
        ("MAX(price)", "the largest t.price"),
        ("SUM(qty * price)", "the sum of qty * price"),
        ("name, price", "t.name, t.price"),
        ("*", "every column"),
    ],
)
def test_measures(select: str, expected: str) -> None:
    assert said(f"SELECT {select} FROM t").startswith(f"Computed {expected} from t")


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("kind = 'B2B'", "t.kind is 'B2B'"),
        ("kind <> 'B2B'", "t.kind is not 'B2B'"),
        ("qty > 3", "t.qty is above 3"),
        ("qty >= 3", "t.qty is 3 or more"),
        ("qty < 3", "t.qty is below 3"),
        ("qty <= 3", "t.qty is 3 or less"),
        ("qty BETWEEN 1 AND 9", "t.qty is between 1 and 9"),
        ("kind IN ('a', 'b')", "t.kind is one of 'a', 'b'"),
        ("name LIKE 'Ac%'", "t.name matches 'Ac%'"),
        ("closed_on IS NULL", "t.closed_on is empty"),
        ("closed_on IS NOT NULL", "t.closed_on is not empty"),
        ("qty = 1 OR kind = 'x'", "qty = 1 OR kind = 'x'"),
    ],
)
def test_conditions(condition: str, expected: str) -> None:
    assert said(f"SELECT COUNT(*) FROM t WHERE {condition}").endswith(f"where {expected}.")


def test_many_conditions_are_counted_not_listed() -> None:
    sql = "SELECT COUNT(*) FROM t WHERE a = 1 AND b = 2 AND c = 3 AND d = 4 AND e = 5 AND f = 6"
    assert said(sql).endswith("t.c is 3, t.d is 4 and other conditions (2).")


def test_aliases_name_their_tables_and_group_by_position_or_alias() -> None:
    by_alias = (
        "SELECT k.label AS kind, COUNT(*) FROM items i JOIN kinds k ON k.id = i.kind_id "
        "GROUP BY kind"
    )
    assert said(by_alias) == (
        "Computed the number of rows from items joined with kinds, by kinds.label."
    )
    by_position = "SELECT label, AVG(weight) FROM items GROUP BY 1 ORDER BY 2"
    assert said(by_position).endswith(
        "by items.label, ordered by the average of items.weight, lowest first."
    )


def test_a_row_filtered_table_is_named_as_the_table_it_reads() -> None:
    sql = (
        "SELECT COUNT(*) FROM (SELECT * FROM sales WHERE region_id = '3') AS s "
        "JOIN clients AS c ON c.id = s.client_id"
    )
    assert said(sql) == "Computed the number of rows from sales joined with clients."


def test_a_limit_without_order() -> None:
    assert said("SELECT name FROM t LIMIT 10").endswith(", the first 10 rows.")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1 UNION SELECT 2",
        "SELECT 1",
        "DELETE FROM t",
        "SELECT FROM WHERE",
        "SELECT 1; SELECT 2",
        "SELECT " + "(" * 400 + "1" + ")" * 400 + " FROM t",
    ],
)
def test_what_is_not_one_plain_select_gets_no_sentence(sql: str) -> None:
    assert explain_sql(sql, "mysql") is None


def test_sqlite_queries_are_explained_too() -> None:
    assert said("SELECT COUNT(*) FROM t WHERE kind = 'x'", dialect="sqlite") == (
        "Computed the number of rows from t, where t.kind is 'x'."
    )


@pytest.mark.parametrize(
    ("key", "dialect", "expected"),
    [
        ("SUBSTRING(t.d, 1, 7)", "mysql", "month of t.d"),
        ("SUBSTR(t.d, 1, 4)", "mysql", "year of t.d"),
        ("LEFT(t.d, 10)", "mysql", "day of t.d"),
        ("DATE_FORMAT(t.d, '%Y-%m')", "mysql", "month of t.d"),
        ("DATE_FORMAT(t.d, '%Y%m')", "mysql", "month of t.d"),
        ("DATE_FORMAT(t.d, '%x-%v')", "mysql", "week of t.d"),
        ("DATE_FORMAT(t.d, '%Y')", "mysql", "year of t.d"),
        ("YEAR(t.d)", "mysql", "year of t.d"),
        ("QUARTER(t.d)", "mysql", "quarter of t.d"),
        ("MONTH(t.d)", "mysql", "month of the year of t.d"),
        ("EXTRACT(YEAR_MONTH FROM t.d)", "mysql", "month of t.d"),
        ("EXTRACT(MONTH FROM t.d)", "mysql", "month of the year of t.d"),
        ("DAYNAME(t.d)", "mysql", "weekday of t.d"),
        ("STRFTIME('%Y-%m', t.d)", "sqlite", "month of t.d"),
        ("strftime('%Y', t.d)", "sqlite", "year of t.d"),
        # Not a period: said as the SQL it is.
        ("SUBSTRING(t.d, 2, 7)", "mysql", "SUBSTRING(t.d, 2, 7)"),
        ("LEFT(t.name, 3)", "mysql", "LEFT(t.name, 3)"),
        ("DATE_FORMAT(t.d, '%H')", "mysql", "DATE_FORMAT(t.d, '%H')"),
    ],
)
def test_a_date_cut_to_a_period_is_grouped_and_ordered_in_words(
    key: str, dialect: str, expected: str
) -> None:
    sql = f"SELECT {key} AS p, COUNT(*) FROM t GROUP BY p ORDER BY p"
    sentence = said(sql, dialect=dialect)
    assert f", by {expected}, ordered by {expected}, lowest first." in sentence, sentence


def test_a_period_reads_in_spanish() -> None:
    sql = "SELECT SUBSTRING(o.d, 1, 7) AS mes, SUM(o.total) FROM orders o GROUP BY mes"
    assert said(sql, "es").endswith(", por mes de orders.d.")
    sql = "SELECT MONTH(o.d), COUNT(*) FROM orders o GROUP BY MONTH(o.d), o.region"
    assert said(sql, "es").endswith(", por mes del año de orders.d y orders.region.")
