"""Numbers and dates as each language writes them (backend.i18n.formats, CLDR via Babel)."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.i18n.formats import (
    currency_after,
    format_compact,
    format_date,
    format_money,
    format_number,
    format_percent,
    month_name,
    quarter_label,
    separators,
)

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "1,234.5"),
        ("es", "1.234,5"),
        ("es_ES", "1.234,5"),
        ("fi-FI", "1 234,5"),
        ("xx", "1,234.5"),
    ],
)
def test_numbers_use_the_languages_separators(locale: str, expected: str) -> None:
    assert format_number(1234.5, locale, decimals=1).replace(NBSP, " ") == expected


def test_separators_and_currency_placement() -> None:
    assert separators("en") == (".", ",") and separators("es") == (",", ".")
    assert not currency_after("en") and currency_after("es")


@pytest.mark.parametrize(
    ("number", "symbol", "locale", "expected"),
    [
        (1_234_567, "€", "en", "€1.2M"),
        (1_234_567, "€", "es", f"1,2{NBSP}M€"),
        (310_000, "€", "en", "€310K"),
        (310_000, "€", "es", f"310{NBSP}mil{NBSP}€"),
        (12_345.6, None, "es", f"12,3{NBSP}mil"),
        (999_960, "€", "en", "€1M"),  # rounds up into the next unit, never '€1000K'
        (999_960, None, "es", f"1{NBSP}M"),
        (-1_500_000, "€", "es", f"-1,5{NBSP}M€"),
        (1_234_567, "CHF", "es", f"1,2{NBSP}M{NBSP}CHF"),  # a letter symbol keeps apart
        (1_234_567, "CHF", "en", f"CHF{NBSP}1.2M"),
        (12_345, None, "de", None),  # German has no short form for thousands
    ],
)
def test_compact_numbers_follow_cldr(
    number: float, symbol: str | None, locale: str, expected: str | None
) -> None:
    assert format_compact(number, locale, symbol=symbol) == expected


def test_money_and_percent() -> None:
    assert format_money(1234.5, "€", "en") == "€1,234.50"
    assert format_money(1234.5, "€", "es") == f"1.234,50{NBSP}€"
    assert format_money(8456, "€", "es", decimals=0) == f"8.456{NBSP}€"
    assert format_percent(12.5, "en") == "12.5%"
    assert format_percent(12.5, "es") == f"12,5{NBSP}%"
    assert format_percent(150, "es", decimals=0) == f"150{NBSP}%"


def test_month_names_are_the_languages() -> None:
    january, september = dt.date(2024, 1, 1), dt.date(2024, 9, 3)
    assert format_date(january, "month", "en") == "Jan 2024"
    assert format_date(january, "month", "es") == "enero 2024"
    assert format_date(september, "day", "en") == "3 Sep 2024"
    assert format_date(september, "day", "es") == "3 sept 2024"
    assert format_date(january, "year", "es") == "2024"
    assert month_name(2, "es") == "febrero" and month_name(2, "en") == "Feb"
    assert month_name(2, "es", wide=False) == "feb"


def test_quarters_are_named_per_language() -> None:
    assert quarter_label(1, 2024, "en") == "Q1 2024"
    assert quarter_label(3, 2024, "es") == "T3 2024"
    assert quarter_label(2, None, "es") == "T2"
