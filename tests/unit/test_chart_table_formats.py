"""Result tables show numbers and dates the reader's way ('1.234,5', '3 oct 2025' in
Spanish), whatever the browser's locale: display values of a pandas Styler, checked here
as Streamlit marshals them for the page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
from streamlit import dataframe_util
from streamlit.elements.lib.pandas_styler_utils import marshall_styler
from streamlit.proto.ArrowData_pb2 import ArrowData

from ui.components.charts import column_config
from ui.components.formats import (
    NA,
    cell_formatters,
    format_money,
    format_number,
    format_when,
    styled,
)

NBSP = "\u00a0"


def shown(frame: pd.DataFrame, language: str, currency: str = "€") -> pd.DataFrame:
    """The display values the browser receives for `frame` drawn in `language`."""
    table = styled(frame, language, currency)
    assert not isinstance(table, pd.DataFrame), "expected a Styler"
    proto = ArrowData()
    marshall_styler(proto, table, "test")
    return dataframe_util.convert_arrow_bytes_to_pandas_df(proto.styler.display_values)


@pytest.mark.parametrize(
    ("value", "language", "expected"),
    [
        (1234.5, "es", "1.234,5"),
        (1234.5, "en", "1,234.5"),
        (1234567, "es", "1.234.567"),
        (-0.25, "es", "-0,25"),
        (0.1234, "en", "0.123"),
        (0.000123, "es", "0,00012"),
        (Decimal("12.50"), "es", "12,5"),
        (-0.0001, "en", "-0.0001"),
        (None, "es", NA),
        (float("nan"), "en", NA),
    ],
)
def test_numbers_use_the_languages_separators(value: object, language: str, expected: str) -> None:
    assert format_number(value, language) == expected


def test_fixed_decimals_never_show_minus_zero() -> None:
    assert format_number(-0.001, "es", decimals=1) == "0,0"
    assert format_number(2.25, "en", decimals=1) == "2.2"  # half to even, like Python


def test_money_puts_the_symbol_where_the_language_does() -> None:
    assert format_money(1234.5, "es", "€") == f"1.234,50{NBSP}€"
    assert format_money(1234.5, "en", "€") == "€1,234.50"
    assert format_money(-12, "en", "$") == "-$12.00"
    assert format_money(-12, "es", "$") == f"-12,00{NBSP}$"
    assert format_money(None, "es", "€") == NA


def test_dates_and_times_use_month_names() -> None:
    assert format_when(dt.date(2025, 10, 3), "es") == "3 oct 2025"
    assert format_when(dt.date(2025, 10, 3), "en") == "3 Oct 2025"
    assert format_when(dt.datetime(2025, 1, 7, 9, 5, 30), "es") == "7 ene 2025, 09:05"
    when = dt.datetime(2025, 1, 7, 9, 5, 30)
    assert format_when(when, "en", seconds=True) == "7 Jan 2025, 09:05:30"


def result() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1001, 1002, None],
            "order_date": pd.to_datetime(["2025-10-03", "2025-01-15", None]),
            "month": ["2025-10", "2025-01", "2025-02"],
            "revenue": [1234.5, 99.0, None],
            "orders": [1500, 7, 12],
            "avg_discount": [0.125, 0.5, 1.0],
            "status": ["shipped", None, "paid"],
        }
    )


def test_a_spanish_table_shows_spanish_numbers_and_dates() -> None:
    cells = shown(result(), "es")
    assert list(cells["revenue"]) == [f"1.234,50{NBSP}€", f"99,00{NBSP}€", NA]
    assert list(cells["orders"]) == ["1.500", "7", "12"]
    assert list(cells["avg_discount"]) == ["0,125", "0,5", "1"]
    assert list(cells["order_date"]) == ["3 oct 2025", "15 ene 2025", NA]
    assert list(cells["month"]) == ["octubre 2025", "enero 2025", "febrero 2025"]
    assert list(cells["status"]) == ["shipped", NA, "paid"]


def test_an_english_table_shows_english_numbers_and_dates() -> None:
    cells = shown(result(), "en")
    assert list(cells["revenue"]) == ["€1,234.50", "€99.00", NA]
    assert list(cells["orders"]) == ["1,500", "7", "12"]
    assert list(cells["order_date"]) == ["3 Oct 2025", "15 Jan 2025", NA]
    assert list(cells["month"]) == ["Oct 2025", "Jan 2025", "Feb 2025"]


def test_the_styler_keeps_the_raw_values_for_sorting_and_export() -> None:
    frame = result()
    table = styled(frame, "es", "€")
    assert not isinstance(table, pd.DataFrame)
    pd.testing.assert_frame_equal(table.data, frame)


def test_times_of_day_are_shown_when_the_values_have_them() -> None:
    frame = pd.DataFrame(
        {"paid_at": pd.to_datetime(["2025-03-01 14:05:00", "2025-03-02 08:00:00"]), "n": [1, 2]}
    )
    write = cell_formatters(frame, "es", "€")["paid_at"]
    assert [write(v) for v in frame["paid_at"]] == ["1 mar 2025, 14:05", "2 mar 2025, 08:00"]


def test_iso_date_strings_from_sqlite_are_written_as_dates() -> None:
    frame = pd.DataFrame({"order_date": ["2025-10-03", "2025-10-04"], "orders": [3, 4]})
    write = cell_formatters(frame, "es", "€")["order_date"]
    assert write("2025-10-03") == "3 oct 2025"


def test_ids_and_years_are_written_plain() -> None:
    frame = pd.DataFrame(
        {"customer_id": [1001, 1002, None], "year": [2024, 2025, 2025], "units": [1.5, 2, 3]}
    )
    cells = shown(frame, "es")
    assert list(cells["customer_id"]) == ["1001", "1002", NA]
    assert list(cells["year"]) == ["2024", "2025", "2025"]
    assert list(cells["units"]) == ["1,5", "2", "3"]


def test_no_column_format_overrides_the_display_values() -> None:
    # Streamlit ignores a Styler's display value in a column whose config sets `format`.
    config = column_config(result(), "es")
    assert all("format" not in (c.get("type_config") or {}) for c in config.values()), config
    assert config["revenue"]["label"] == "Ingresos"


def test_repeated_column_names_fall_back_to_the_plain_frame() -> None:
    frame = pd.DataFrame([[1, 2]], columns=["n", "n"])
    assert styled(frame, "es", "€") is frame
