"""Numbers and dates written the reader's way: '1.234,5' and '3 oct 2025' in Spanish,
'1,234.5' and '3 Oct 2025' in English — for result tables and the pages' captions.

`st.dataframe` cannot do this by itself: its `"localized"` number and date formats follow
the *browser's* locale, not the language chosen in the app, and its printf-style formats
know no locale at all. So a result table is handed over as a pandas `Styler` whose
display values are written here; the cells keep their numbers and dates underneath
(sorting stays numeric) and the CSV export, a separate run, stays raw. Streamlit shows a
Styler's display value only in columns whose column config sets no `format`.

Separators, symbol placement, month names and date patterns are those of
`backend.i18n.formats` (CLDR through Babel), so the table agrees with the KPI cards, the
chart axes and the summary. Numbers are written here with Python's own formatting and
those separators: Babel's formatter is ~30 times slower, and a table has many cells.
No Streamlit in here, so every rule is a plain function to test.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any, cast

import pandas as pd
from pandas.io.formats.style import Styler

from backend.charts.columns import Column, profile
from backend.charts.formatting import as_float
from backend.charts.hints import NO_HINTS, ColumnHints
from backend.charts.names import currency_symbol, is_money
from backend.i18n.formats import currency_after, format_date, format_date_pattern, separators

NA = "–"  # a missing value, as the KPI cards write it
MAX_DECIMALS = 3  # like the browser's own number formatting
AVERAGE_DECIMALS = 2  # a mean's fourth decimal is noise (MariaDB's AVG adds four)
MEAN_DIGITS = 3  # significant digits a mean below 1 keeps: 0.125, 0.0456
NBSP = "\u00a0"
Formatter = Callable[[object], str]


def format_number(
    value: object, language: str, *, decimals: int | None = None, most: int = MAX_DECIMALS
) -> str:
    """'1.234,5' (es) / '1,234.5' (en); exactly `decimals` places if given, else up to
    `most` (3)."""
    number = as_float(value)
    if number is None:
        return NA
    if decimals is None:
        size = abs(number)
        # Tiny values keep two significant digits instead of rounding to 0.
        places = most if size == 0 or size >= 10**-most else _tiny(size)
        text = f"{number:,.{places}f}".rstrip("0").rstrip(".")
    else:
        text = f"{number:,.{decimals}f}"
    if text.lstrip("-").strip("0.,") == "":
        text = text.lstrip("-")  # no '-0'
    decimal_mark, thousands = separators(language)
    return text.replace(",", "\0").replace(".", decimal_mark).replace("\0", thousands)


def format_money(value: object, language: str, symbol: str) -> str:
    """'1.234,50 €' (es) / '€1,234.50' (en): two decimals, the symbol where the language
    puts it."""
    number = as_float(value)
    if number is None:
        return NA
    body = format_number(abs(number), language, decimals=2)
    sign = "-" if number < 0 and body.strip("0.,") else ""
    if currency_after(language):
        return f"{sign}{body}{NBSP}{symbol}"
    gap = NBSP if symbol[-1:].isalpha() else ""  # 'CHF 12.00', '€12.00'
    return f"{sign}{symbol}{gap}{body}"


def format_when(value: dt.datetime | dt.date, language: str, *, seconds: bool = False) -> str:
    """'3 oct 2025, 14:05' (es) / '3 Oct 2025, 14:05' (en); a date alone without a time."""
    if not isinstance(value, dt.datetime):
        return format_date(value, "day", language)
    return format_date_pattern(value, "d MMM y, HH:mm" + (":ss" if seconds else ""), language)


# -- result tables -------------------------------------------------------------------------


def cell_formatters(
    frame: pd.DataFrame, language: str, currency: str, hints: ColumnHints = NO_HINTS
) -> dict[str, Formatter]:
    """How each number and date column of a result is written; text columns as they are.

    Ids, years and ordinal numbers (month 1–12) are written plain: '2024', not '2.024'.
    (Streamlit's own `format="plain"` shows the id 1001 as '1001.0000000000001'.)
    `hints` (from the SQL) mark money columns and means whatever their names say.
    """
    formatters: dict[str, Formatter] = {}
    for column in profile(frame).columns:
        values = frame[column.name]
        if column.role == "measure":
            formatters[column.name] = _measure(column, values, language, currency, hints)
        elif column.role == "time" and column.time_kind in {"datetime", "month"}:
            formatters[column.name] = _memo(_time(column, values, language))
        elif column.numeric:
            formatters[column.name] = plain_number
    return formatters


def plain_number(value: object) -> str:
    """An id or a year as its digits: 1001.0 → '1001'; no separators, no decimals."""
    number = as_float(value)
    if number is None:
        return str(value) if isinstance(value, str) else NA
    return str(int(number)) if number.is_integer() else repr(number)


def styled(
    frame: pd.DataFrame, language: str, currency: str, hints: ColumnHints = NO_HINTS
) -> Styler | pd.DataFrame:
    """`frame` with its display values in `language`; the bare frame when a Styler can't be
    used (repeated column names, or more cells than pandas renders)."""
    unique = frame.columns.is_unique and all(isinstance(c, str) for c in frame.columns)
    if not unique or frame.size > int(pd.get_option("styler.render.max_elements")):
        return frame
    formatters = cell_formatters(frame, language, currency, hints)
    # cast: pandas-stubs wants an invariant dict[Any, str | Formatter | None]; ours is narrower.
    return frame.style.format(cast(dict[Any, str | Formatter | None], formatters), na_rep=NA)


def _measure(
    column: Column, values: pd.Series, language: str, currency: str, hints: ColumnHints
) -> Formatter:
    integer_typed = pd.api.types.is_integer_dtype(values.dtype)
    if hints.is_money(column.name) or is_money(column.name, integer_typed=integer_typed):
        symbol = currency_symbol(column.name, currency)
        return lambda value: format_money(value, language, symbol)
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    finite = numbers[numbers.abs() < math.inf].dropna()
    whole = bool((finite % 1 == 0).all())
    if whole:
        return lambda value: format_number(value, language, decimals=0)
    if hints.average(column.name):
        return lambda value: format_number(value, language, most=_mean_decimals(value))
    return lambda value: format_number(value, language)


def _time(column: Column, values: pd.Series, language: str) -> Formatter:
    if column.time_kind == "month":
        return lambda value: _month(value, language)
    stamps = pd.to_datetime(values, errors="coerce", format="mixed")
    present = stamps.dropna()
    dates_only = bool(((present - present.dt.normalize()) == pd.Timedelta(0)).all())
    seconds = bool((present.dt.second != 0).any())

    def write(value: object) -> str:
        when = _as_datetime(value)
        if when is None:
            return str(value)
        return format_when(when.date() if dates_only else when, language, seconds=seconds)

    return write


def _month(value: object, language: str) -> str:
    """'2025-10' → 'octubre 2025' / 'Oct 2025'; anything else as it is."""
    text = str(value)
    try:
        return format_date(dt.date(int(text[:4]), int(text[5:7]), 1), "month", language)
    except ValueError:
        return text


def _memo(write: Formatter) -> Formatter:
    """Dates repeat (and Babel is slow): write each distinct value once."""
    seen: dict[object, str] = {}

    def memoised(value: object) -> str:
        try:
            if value not in seen:
                seen[value] = write(value)
            return seen[value]
        except TypeError:  # unhashable
            return write(value)

    return memoised


def _as_datetime(value: object) -> dt.datetime | None:
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _mean_decimals(value: object) -> int:
    """A mean's decimals: two ('123.46'), or three significant digits below 1 ('0.125')."""
    size = abs(as_float(value) or 0.0)
    if size == 0 or size >= 1:
        return AVERAGE_DECIMALS
    return max(AVERAGE_DECIMALS, MEAN_DIGITS - 1 - math.floor(math.log10(size)))


def _tiny(size: float) -> int:
    """Decimals that keep two significant digits of a number below 0.001."""
    return 1 - math.floor(math.log10(size))
