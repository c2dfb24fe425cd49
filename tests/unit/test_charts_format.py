"""Number formatting and column-name reading shared by charts and summaries."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from backend.charts.formatting import (
    NumberFormat,
    axis_format,
    format_count,
    format_value,
    number_format,
    plotly_separators,
)
from backend.charts.names import humanise, in_sentence, is_additive, plural, plural_label

EUR = NumberFormat("currency", "€")


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        (1_234_567, EUR, "€1.2M"),
        (310_000, EUR, "€310K"),
        (80_000.0, EUR, "€80K"),
        (999_960, EUR, "€1M"),
        (2.5e9, EUR, "€2.5B"),
        (-1_500_000, EUR, "-€1.5M"),
        (8_456, NumberFormat("currency", "€", integer=True), "€8,456"),
        (12.5, EUR, "€12.50"),
        (Decimal("12345.6"), NumberFormat(), "12.3K"),
        (1234.5678, NumberFormat(), "1,235"),
        (12.5, NumberFormat(), "12.5"),
        (0.00123, NumberFormat(), "0.0012"),
        (np.int64(7), NumberFormat(integer=True), "7"),
        (0.123, NumberFormat("percent", fraction=True), "12.3%"),
        (45.67, NumberFormat("percent"), "45.7%"),
        (150, NumberFormat("percent"), "150%"),
        (None, EUR, "–"),
        (float("nan"), EUR, "–"),
        (pd.NA, EUR, "–"),
        ("12", EUR, "–"),
    ],
)
def test_format_value_humanises(value: object, fmt: NumberFormat, expected: str) -> None:
    assert format_value(value, fmt) == expected


def test_format_value_in_full_when_not_compact() -> None:
    assert format_value(1_234_567, NumberFormat(integer=True), compact=False) == "1,234,567"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "€1,234.50"),
        ("de_DE", "1.234,50\u00a0€"),
        ("fi-FI", "1\u00a0234,50\u00a0€"),
        ("xx", "€1,234.50"),
    ],
)
def test_format_value_follows_locale(locale: str, expected: str) -> None:
    assert format_value(1234.5, EUR, locale) == expected


def test_counts_and_plotly_separators_follow_locale() -> None:
    assert format_count(12_345) == "12,345"
    assert format_count(12_345, "de") == "12.345"
    assert plotly_separators("en") == ".," and plotly_separators("de") == ",."


@pytest.mark.parametrize(
    ("name", "values", "kind", "fraction"),
    [
        ("total_revenue", [1.0, 2.0], "currency", False),
        ("unit_price", [1.0], "currency", False),
        ("salary", [1.0], "currency", False),
        ("total_orders", [3.0], "number", False),
        ("COUNT(*)", [3], "number", False),
        ("conversion_rate", [0.1, 0.5], "percent", True),
        ("pct_returned", [12.0, 40.0], "percent", False),
        ("revenue_share", [0.3, 0.7], "percent", True),
        ("visits", [5.0], "number", False),
    ],
)
def test_number_format_reads_the_column_name(
    name: str, values: list[float], kind: str, fraction: bool
) -> None:
    fmt = number_format(name, pd.Series(values))
    assert (fmt.kind, fmt.fraction) == (kind, fraction)


def test_a_bare_total_is_money_only_when_not_an_integer_count() -> None:
    assert number_format("total", pd.Series([12.5])).kind == "currency"
    assert number_format("total", pd.Series([3], dtype="Int64")).kind == "number"
    assert number_format("total_amount", pd.Series([3], dtype="int64")).kind == "currency"


def test_currency_code_in_the_name_beats_the_default_symbol() -> None:
    assert number_format("amount_usd", currency="€").symbol == "$"
    assert number_format("amount", currency="CHF").symbol == "CHF"


def test_axis_format_puts_the_symbol_where_the_locale_does() -> None:
    assert axis_format(EUR, "en") == {"tickformat": ",~r", "tickprefix": "€"}
    assert axis_format(EUR, "de") == {"tickformat": ",~r", "ticksuffix": " €"}


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("total_revenue", "Total revenue"),
        ("totalRevenue", "Total revenue"),
        ("customer_id", "Customer ID"),
        ("AVG(unit_price)", "Average unit price"),
        ("COUNT(*)", "Count"),
        ("SUM(amount)", "Amount"),
        ("n_orders", "Number of orders"),
        ("avg_order_value", "Average order value"),
        ("VAT", "VAT"),
        ("__", "__"),
    ],
)
def test_humanise_makes_labels_for_people(name: str, label: str) -> None:
    assert humanise(name) == label


def test_additive_measures_are_sums_and_counts_only() -> None:
    assert is_additive("revenue") and is_additive("COUNT(*)")
    assert not is_additive("avg_revenue") and not is_additive("conversion_rate")
    assert not is_additive("unit_price")


def test_plural_of_labels() -> None:
    assert [plural(w) for w in ["country", "status", "orders", "day", "box", "product ID"]] == [
        "countries",
        "statuses",
        "orders",
        "days",
        "boxes",
        "product IDs",
    ]


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("revenue", "Ingresos"),
        ("total_revenue", "Ingresos totales"),
        ("avg_price", "Precio medio"),
        ("AVG(quantity)", "Cantidad media"),
        ("max_quantity", "Cantidad máxima"),
        ("avg_revenue", "Ingresos medios"),
        ("COUNT(*)", "Recuento"),
        ("n_orders", "Número de pedidos"),
        ("order_count", "Número de pedidos"),
        ("month", "Mes"),
        ("year", "Año"),
        ("date", "Fecha"),
        ("country", "País"),
        # Anything the glossary does not cover keeps its honest English label.
        ("customer_id", "Customer ID"),
        ("AVG(unit_price)", "Average unit price"),
        ("conversion_rate", "Conversion rate"),
        ("warehouse", "Warehouse"),
    ],
)
def test_spanish_labels_translate_only_common_analytics_words(name: str, label: str) -> None:
    assert humanise(name, "es") == label
    assert humanise(name, "en") == humanise(name)  # English labels are unchanged


def test_labels_in_sentences_and_plurals_per_language() -> None:
    assert in_sentence("total_revenue", "es") == "ingresos totales"
    assert in_sentence("VAT", "es") == "VAT"
    assert plural_label("country") == "countries" and plural_label("country", "es") == "países"
    assert plural_label("warehouse", "es") is None  # the summary rephrases


def test_spanish_numbers_and_ticks() -> None:
    assert format_value(1234.5, EUR, "es") == "1.234,50\u00a0€"
    assert format_value(1234.56, NumberFormat(), "es") == "1.235"
    assert format_value(234.5, NumberFormat(), "es") == "234,5"
    assert format_value(0.125, NumberFormat("percent", fraction=True), "es") == "12,5\u00a0%"
    assert format_count(12_345, "es") == "12.345"
    assert plotly_separators("es") == ",."
    assert axis_format(EUR, "es") == {"tickformat": ",~r", "ticksuffix": " €"}
