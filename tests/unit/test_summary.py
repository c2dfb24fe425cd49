"""summarise: one or two deterministic sentences per chart kind, numbers as the chart shows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from backend.charts import ChartSpec, choose_chart
from backend.domain import ColumnDoc, TableDoc
from backend.knowledge.model import Entry, Knowledge
from backend.result_columns import column_hints
from backend.summary import summarise


def text(values: list[str]) -> pd.Series:
    return pd.Series(values, dtype="str")


def say(frame: pd.DataFrame, spec: ChartSpec | None = None, **options: Any) -> str:
    return summarise(frame, spec or choose_chart(frame), **options)


COUNTRIES = [
    "Germany",
    "France",
    "Italy",
    "Spain",
    "Austria",
    "Belgium",
    "Poland",
    "Sweden",
    "Finland",
    "Norway",
    "Denmark",
    "Ireland",
]


def test_kpi_states_the_value() -> None:
    assert say(pd.DataFrame({"total_revenue": [1_234_567.0]})) == "Total revenue is €1.2M."


def test_kpi_mentions_other_measures_of_the_row() -> None:
    frame = pd.DataFrame(
        {
            "total_revenue": [1_234_567.0],
            "orders": pd.Series([3400], dtype="Int64"),
            "avg_basket": [35.2],
        }
    )
    assert say(frame) == "Total revenue is €1.2M. Also: orders 3,400, average basket 35.2."


def test_kpi_mentions_at_most_two_other_measures() -> None:
    frame = pd.DataFrame(
        {"revenue": [5.0], "refunds": [1.0], "fees": [np.nan], "visits": [7.0], "orders": [2.0]}
    )
    assert say(frame) == "Revenue is €5. Also: refunds 1, visits 7."


def test_a_null_total_is_a_table_not_a_kpi() -> None:
    frame = pd.DataFrame({"SUM(amount)": pd.Series([None], dtype=object)})
    assert say(frame) == "1 row."


def test_bar_names_the_leader_the_runner_up_and_the_count() -> None:
    revenue = [310_000.0, 250_000.0, *np.linspace(100_000, 10_000, 10)]
    frame = pd.DataFrame({"country": text(COUNTRIES), "revenue": revenue})
    assert say(frame) == (
        "Germany leads with €310K in revenue, followed by France (€250K); 12 countries in total."
    )


def test_bar_of_averages_says_highest() -> None:
    frame = pd.DataFrame({"country": text(["FR", "DE", "IT"]), "avg_price": [48.0, 52.0, 30.0]})
    assert say(frame) == (
        "DE has the highest average price (€52), followed by FR (€48); 3 countries in total."
    )


def test_bar_with_two_categories_skips_the_count() -> None:
    frame = pd.DataFrame({"plan": text(["basic", "pro"]), "customers": [120.0, 80.0]})
    assert say(frame) == "Basic leads with 120 in customers, followed by pro (80)."


def test_stacked_bar_ranks_category_totals() -> None:
    frame = pd.DataFrame(
        {
            "country": text(["DE", "DE", "FR", "FR", "IT"]),
            "channel": text(["web", "shop", "web", "shop", "web"]),
            "revenue": [1.0, 2.0, 3.0, 4.0, 1.0],
        }
    )
    assert say(frame).startswith("FR leads with €7 in revenue, followed by DE (€3)")


def test_donut_gives_the_largest_share() -> None:
    frame = pd.DataFrame(
        {
            "status": text(["delivered", "returned", "open"]),
            "COUNT(*)": pd.Series([1240, 260, 500], dtype="Int64"),
        }
    )
    assert say(frame) == (
        "Delivered makes up the largest share: 62% (1,240 of 2,000); 3 statuses in total."
    )


def test_donut_of_shares_states_only_the_percent() -> None:
    frame = pd.DataFrame({"channel": text(["web", "shop"]), "revenue_share": [0.7, 0.3]})
    assert say(frame) == "Web makes up the largest share: 70%; 2 channels in total."


def test_line_gives_start_end_change_and_peak() -> None:
    frame = pd.DataFrame(
        {
            "month": text(["2024-01", "2024-06", "2025-12", "2026-09"]),
            "revenue": [80_000.0, 100_000.0, 150_000.0, 120_000.0],
        }
    )
    assert say(frame) == (
        "Revenue went from €80K in Jan 2024 to €120K in Sep 2026 (+50%), "
        "peaking at €150K in Dec 2025."
    )


def test_line_of_a_rate_changes_in_points() -> None:
    frame = pd.DataFrame(
        {
            "day": pd.Series(pd.date_range("2024-03-01", periods=3), dtype="datetime64[us]"),
            "conversion_rate": [0.031, 0.025, 0.021],
        }
    )
    assert (
        say(frame) == "Conversion rate went from 3.1% in 1 Mar 2024 to 2.1% in 3 Mar 2024 (-1 pp)."
    )


def test_line_with_series_sums_them_and_names_the_leader() -> None:
    frame = pd.DataFrame(
        {
            "year": pd.Series([2023, 2023, 2024, 2024], dtype="Int64"),
            "channel": text(["web", "shop"] * 2),
            "revenue": [100_000.0, 200_000.0, 300_000.0, 150_000.0],
        }
    )
    assert say(frame) == (
        "Revenue across all channels went from €300K in 2023 to €450K in 2024 (+50%). "
        "Web is highest in 2024 (€300K)."
    )


def test_line_of_averages_with_series_only_names_the_leader() -> None:
    frame = pd.DataFrame(
        {
            "month": pd.Series([1, 1, 2, 2], dtype="Int64"),
            "channel": text(["web", "shop"] * 2),
            "avg_basket": [10.0, 20.0, 30.0, 25.0],
        }
    )
    assert say(frame) == "Web is highest in Feb (30)."


def test_scatter_describes_the_relation() -> None:
    x = np.arange(50, dtype="float64")
    frame = pd.DataFrame({"price": x, "units": 100 - 2 * x})
    assert say(frame) == "Units falls strongly as price rises across 50 rows (correlation -1)."


def test_histogram_gives_range_and_median() -> None:
    frame = pd.DataFrame({"amount": np.arange(1, 101, dtype="float64")})
    assert say(frame) == (
        "Amount ranges from €1.00 to €100.00, with a median of €50.50, across 100 rows."
    )


def test_empty_result_and_plain_table() -> None:
    assert say(pd.DataFrame({"name": text([])})) == "The query returned no rows."
    assert say(pd.DataFrame({"name": text(["a"] * 12)})) == "12 rows."
    assert say(pd.DataFrame({"name": text(["a"])})) == "1 row."


def test_a_spec_that_does_not_fit_is_summarised_as_a_table() -> None:
    frame = pd.DataFrame({"country": text(["DE", "FR"]), "revenue": [1.0, 2.0]})
    assert say(frame, ChartSpec("line", "country", "revenue")) == "2 rows."


def test_summary_uses_locale_and_currency_and_ignores_the_question() -> None:
    frame = pd.DataFrame({"total_revenue": [1_234_567.0]})
    spec = choose_chart(frame)
    assert summarise(frame, spec, "Wie viel Umsatz?", locale="de", currency="CHF") == (
        "Total revenue is 1,2\u00a0Mio.\u00a0CHF."  # German numbers, English sentence
    )


# -- Spanish -------------------------------------------------------------------------------


def diga(frame: pd.DataFrame, spec: ChartSpec | None = None) -> str:
    return say(frame, spec, locale="es").replace("\u00a0", " ")


def test_spanish_kpi_uses_the_glossary_and_spanish_numbers() -> None:
    frame = pd.DataFrame(
        {
            "total_revenue": [1_234_567.0],
            "orders": pd.Series([3400], dtype="Int64"),
            "avg_basket": [35.2],
        }
    )
    assert diga(frame) == "Ingresos totales: 1,2 M€. También: pedidos 3.400, cesta media 35,2."


def test_spanish_bars_name_leader_runner_up_and_count() -> None:
    revenue = [310_000.0, 250_000.0, *np.linspace(100_000, 10_000, 10)]
    frame = pd.DataFrame({"country": text(COUNTRIES), "revenue": revenue})
    assert diga(frame) == (
        "Germany lidera con 310 mil € en ingresos, seguido de France (250 mil €); "
        "12 países en total."
    )


def test_spanish_counts_of_unknown_words_say_values() -> None:
    frame = pd.DataFrame({"warehouse": text(["A", "B", "C"]), "avg_price": [3.0, 2.0, 1.0]})
    assert diga(frame) == (
        "A tiene el valor más alto de precio medio (3 €), seguido de B (2 €); "
        "3 valores de warehouse en total."
    )


def test_spanish_line_has_month_names_and_spanish_percent() -> None:
    frame = pd.DataFrame(
        {
            "month": text(["2024-01", "2024-06", "2025-12", "2026-09"]),
            "revenue": [80_000.0, 100_000.0, 150_000.0, 120_000.0],
        }
    )
    assert diga(frame) == (
        "Ingresos: de 80 mil € en enero 2024 a 120 mil € en septiembre 2026 (+50 %), "
        "con un máximo de 150 mil € en diciembre 2025."
    )


def test_spanish_line_with_series_and_points() -> None:
    series = pd.DataFrame(
        {
            "year": pd.Series([2023, 2023, 2024, 2024], dtype="Int64"),
            "channel": text(["web", "shop"] * 2),
            "revenue": [100_000.0, 200_000.0, 300_000.0, 150_000.0],
        }
    )
    assert diga(series) == (
        "Ingresos (suma de cada canal): de 300 mil € en 2023 a 450 mil € en 2024 (+50 %). "
        "Web tiene el valor más alto en 2024 (300 mil €)."
    )
    rate = pd.DataFrame(
        {
            "day": pd.Series(pd.date_range("2024-03-01", periods=3), dtype="datetime64[us]"),
            "conversion_rate": [0.031, 0.025, 0.021],
        }
    )
    assert diga(rate) == "Conversion rate: de 3,1 % en 1 mar 2024 a 2,1 % en 3 mar 2024 (-1 p. p.)."


def test_spanish_donut_scatter_histogram_and_tables() -> None:
    donut = pd.DataFrame(
        {
            "status": text(["delivered", "returned", "open"]),
            "COUNT(*)": pd.Series([1240, 260, 500], dtype="Int64"),
        }
    )
    assert diga(donut) == (
        "Delivered representa la mayor parte: 62 % (1.240 de 2.000); 3 estados en total."
    )
    x = np.arange(50, dtype="float64")
    scatter = pd.DataFrame({"price": x, "units": 100 - 2 * x})
    assert diga(scatter) == (
        "Unidades: baja claramente cuando precio sube, en 50 filas (correlación -1)."
    )
    amounts = pd.DataFrame({"amount": np.arange(1, 101, dtype="float64")})
    assert diga(amounts) == (
        "Importe: de 1,00 € a 100,00 €, con una mediana de 50,50 €, en 100 filas."
    )
    assert diga(pd.DataFrame({"name": text(["a"])})) == "1 fila."
    assert diga(pd.DataFrame({"name": text([])})) == "La consulta no ha devuelto ninguna fila."


def test_a_language_we_do_not_write_gets_english_sentences() -> None:
    frame = pd.DataFrame({"total_revenue": [1_234_567.0]})
    assert (
        summarise(frame, choose_chart(frame), locale="fr") == "Total revenue is 1,2\u00a0M\u00a0€."
    )


def test_a_capped_table_says_more_than_not_the_cap() -> None:
    frame = pd.DataFrame({"name": [f"n{i}" for i in range(1000)], "city": ["x"] * 1000})
    assert summarise(frame, ChartSpec("table")) == "1,000 rows."
    assert summarise(frame, ChartSpec("table"), truncated=True) == "More than 1,000 rows."
    spanish = summarise(frame, ChartSpec("table"), locale="es", truncated=True)
    assert spanish == "Más de 1.000 filas."


def test_a_capped_chart_says_it_counted_the_first_rows_only() -> None:
    frame = pd.DataFrame({"country": ["DE", "FR", "ES"], "revenue": [300.0, 200.0, 100.0]})
    plain = summarise(frame, ChartSpec("bar", x="country", y="revenue"))
    capped = summarise(frame, ChartSpec("bar", x="country", y="revenue"), truncated=True)
    assert capped == f"{plain} Counted on the first 3 rows only."
    spanish = summarise(
        frame, ChartSpec("bar", x="country", y="revenue"), locale="es", truncated=True
    )
    assert spanish.endswith(" Calculado solo con las primeras 3 filas.")


# -- one-number counts, read from the SQL (backend.result_columns) ---------------------------
SHOP = {
    "orders": TableDoc(
        "orders", (ColumnDoc("order_id", "INTEGER"), ColumnDoc("customer_id", "INTEGER"))
    ),
    "tickets": TableDoc("tickets", (ColumnDoc("ticket_id", "INTEGER"),)),
    "order_items": TableDoc(
        "order_items", (ColumnDoc("order_id", "INTEGER"), ColumnDoc("unit_price", "DECIMAL(12,2)"))
    ),
}
TICKETS_ES = Knowledge({("tickets", ""): Entry("tickets", synonyms_es=("incidencias",))})


def one_number(sql: str, name: str, value: object, locale: str = "en") -> str:
    frame = pd.DataFrame({name: [value]})
    hints = column_hints(
        sql, [name], dialect="mysql", tables=SHOP, knowledge=TICKETS_ES, language=locale
    )
    return say(frame, ChartSpec("kpi", y=name), locale=locale, hints=hints).replace("\u00a0", " ")


def test_a_count_of_a_tables_rows_says_there_are() -> None:
    assert one_number("SELECT COUNT(*) AS orders FROM orders", "orders", 1073) == (
        "There are 1,073 orders."
    )
    assert one_number("SELECT COUNT(o.order_id) AS n FROM orders o", "n", 1073) == (
        "There are 1,073 orders."
    )
    assert one_number("SELECT COUNT(*) AS orders FROM orders", "orders", 1073, "es") == (
        "Hay 1.073 pedidos."
    )


def test_spanish_takes_the_tables_synonym_else_its_english_name() -> None:
    assert one_number("SELECT COUNT(*) AS n FROM tickets", "n", 28, "es") == "Hay 28 incidencias."
    assert one_number("SELECT COUNT(*) AS n FROM order_items", "n", 28, "es") == (
        "Hay 28 order items."
    )


def test_other_counts_say_number_of() -> None:
    sql = "SELECT COUNT(DISTINCT customer_id) AS customers FROM orders"
    assert one_number(sql, "customers", 28) == "Number of customers: 28."
    assert one_number(sql, "customers", 28, "es") == "Número de clientes: 28."
    sql = "SELECT COUNT(DISTINCT customer_id) AS buyer_count FROM orders"
    assert one_number(sql, "buyer_count", 28) == "Buyer count: 28."
    assert one_number("SELECT COUNT(*) AS orders FROM orders", "orders", 1) == (
        "Number of orders: 1."
    )


def test_money_and_averages_keep_their_sentence() -> None:
    sql = "SELECT AVG(unit_price) AS avg_item_value FROM order_items"
    assert one_number(sql, "avg_item_value", 372.8811) == "Average item value is €372.88."
