"""Numbers for people: '€1.2M', '12.5%', '8,456', and the matching Plotly tick formats.

One place decides how a measure is written, so the KPI card, the chart's axes and the
summary sentence always agree. Charts and `backend.summary` both import from here. The
separators, symbol placement and compact units of each language come from CLDR through
`backend.i18n.formats` ('€1.2M' in English, '1,2 M€' in Spanish).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from backend.charts.names import currency_symbol, is_money, is_percent
from backend.i18n.formats import (
    currency_after,
    format_compact,
    format_money,
    format_number,
    format_percent,
    separators,
)

DEFAULT_CURRENCY = "€"
COMPACT_FROM = 10_000  # below this a number is written in full: '8,456'


@dataclass(frozen=True)
class NumberFormat:
    """How one measure is written. `fraction`: a percent stored as 0..1 rather than 0..100."""

    kind: Literal["number", "currency", "percent"] = "number"
    symbol: str = ""
    fraction: bool = False
    integer: bool = False


def number_format(
    name: str,
    values: pd.Series | None = None,
    *,
    currency: str = DEFAULT_CURRENCY,
    money: bool = False,
) -> NumberFormat:
    """Read the format from the column name; the values say 0..1 vs 0..100 and whole or not.

    `money`: the SQL computed the column from money columns (see `hints`), whatever its name.
    """
    finite = _finite(values)
    integer = bool(len(finite)) and bool((finite % 1 == 0).all())
    if is_percent(name):
        fraction = bool(len(finite)) and float(finite.abs().max()) <= 1.0
        return NumberFormat("percent", fraction=fraction, integer=integer)
    integer_typed = values is not None and pd.api.types.is_integer_dtype(values.dtype)
    if money or is_money(name, integer_typed=integer_typed):
        return NumberFormat("currency", symbol=currency_symbol(name, currency), integer=integer)
    return NumberFormat(integer=integer)


def format_value(
    value: object, fmt: NumberFormat = NumberFormat(), locale: str = "en", *, compact: bool = True
) -> str:
    """One value as text: compact (K/M/B) from 10,000 up unless `compact=False`."""
    number = as_float(value)
    if number is None:
        return "–"
    if fmt.kind == "percent":
        points = number * 100 if fmt.fraction else number
        return format_percent(points, locale, decimals=1 if abs(points) < 100 else 0)
    symbol = fmt.symbol if fmt.kind == "currency" else None
    size = abs(number)
    body = format_compact(size, locale, symbol=symbol) if compact and size >= COMPACT_FROM else None
    if body is None:
        decimals, trim = _decimals(size, fmt)
        if symbol is None:
            body = format_number(size, locale, decimals=decimals, trim=trim)
        else:
            body = format_money(size, symbol, locale, decimals=decimals, trim=trim)
    return ("-" if number < 0 and any(c in "123456789" for c in body) else "") + body


def format_count(count: int, locale: str = "en") -> str:
    """A row or category count in full: '12,345' (en), '12.345' (es)."""
    return format_number(count, locale)


def plotly_separators(locale: str) -> str:
    """Plotly's `layout.separators`: decimal mark then thousands mark."""
    decimal, group = separators(locale)
    return decimal + group


def axis_format(fmt: NumberFormat, locale: str = "en") -> dict[str, str]:
    """Tick settings for a value axis: thousands separators, currency symbol or percent."""
    if fmt.kind == "percent":
        return {"tickformat": ".0%"} if fmt.fraction else {"tickformat": ",~r", "ticksuffix": "%"}
    ticks = {"tickformat": ",~r"}
    if fmt.kind == "currency":
        after = currency_after(locale)
        ticks["ticksuffix" if after else "tickprefix"] = (" " if after else "") + fmt.symbol
    return ticks


def hover_value(field: str, fmt: NumberFormat, locale: str = "en") -> str:
    """A Plotly hover template fragment for `field` ('y', 'x', 'value') in this format."""
    if fmt.kind == "percent":
        return f"%{{{field}:.1%}}" if fmt.fraction else f"%{{{field}:,.1~f}}%"
    digits = ",.0f" if fmt.integer else (",.2f" if fmt.kind == "currency" else ",.2~f")
    text = f"%{{{field}:{digits}}}"
    if fmt.kind != "currency":
        return text
    return f"{text} {fmt.symbol}" if currency_after(locale) else fmt.symbol + text


def _decimals(size: float, fmt: NumberFormat) -> tuple[int, bool]:
    """(decimals, trim trailing zeros) for a number written in full."""
    if fmt.integer:
        return 0, True
    if fmt.kind == "currency":
        return 2, False  # €12.50, not €12.5
    if size >= 1000:
        return 0, True
    if 0 < size < 0.01:
        return 1 - math.floor(math.log10(size)), True  # two significant digits
    return 2, True


def as_float(value: object) -> float | None:
    """A finite float from a cell (Decimal, numpy scalar, int), or None."""
    if value is None or value is pd.NA or isinstance(value, bool | str):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]  # Decimal, numpy scalars, ints
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _finite(values: pd.Series | None) -> pd.Series:
    if values is None:
        return pd.Series([], dtype="float64")
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    return numbers[numbers.abs() < math.inf].dropna()
