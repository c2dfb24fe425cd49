"""Numbers for people: '€1.2M', '12.5%', '8,456', and the matching Plotly tick formats.

One place decides how a measure is written, so the KPI card, the chart's axes and the
summary sentence always agree. Charts and `backend.summary` both import from here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from backend.charts.names import currency_symbol, is_money, is_percent

DEFAULT_CURRENCY = "€"
COMPACT_FROM = 10_000  # below this a number is written in full: '8,456'
_UNITS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))
_NBSP = "\u00a0"


@dataclass(frozen=True)
class Locale:
    """Separators and where a currency symbol goes; sentences stay English."""

    decimal: str = "."
    thousands: str = ","
    symbol_after: bool = False


_LOCALES = {
    "en": Locale(),
    "de": Locale(",", ".", True),
    "es": Locale(",", ".", True),
    "it": Locale(",", ".", True),
    "nl": Locale(",", "."),
    "fi": Locale(",", _NBSP, True),
    "sv": Locale(",", _NBSP, True),
    "fr": Locale(",", _NBSP, True),
}


def get_locale(code: str) -> Locale:
    """'de_DE', 'de-AT' and 'de' read the same; unknown languages fall back to English."""
    return _LOCALES.get(code.replace("_", "-").split("-")[0].lower(), _LOCALES["en"])


@dataclass(frozen=True)
class NumberFormat:
    """How one measure is written. `fraction`: a percent stored as 0..1 rather than 0..100."""

    kind: Literal["number", "currency", "percent"] = "number"
    symbol: str = ""
    fraction: bool = False
    integer: bool = False


def number_format(
    name: str, values: pd.Series | None = None, *, currency: str = DEFAULT_CURRENCY
) -> NumberFormat:
    """Read the format from the column name; the values say 0..1 vs 0..100 and whole or not."""
    finite = _finite(values)
    integer = bool(len(finite)) and bool((finite % 1 == 0).all())
    if is_percent(name):
        fraction = bool(len(finite)) and float(finite.abs().max()) <= 1.0
        return NumberFormat("percent", fraction=fraction, integer=integer)
    integer_typed = values is not None and pd.api.types.is_integer_dtype(values.dtype)
    if is_money(name, integer_typed=integer_typed):
        return NumberFormat("currency", symbol=currency_symbol(name, currency), integer=integer)
    return NumberFormat(integer=integer)


def format_value(
    value: object, fmt: NumberFormat = NumberFormat(), locale: str = "en", *, compact: bool = True
) -> str:
    """One value as text: compact (K/M/B) from 10,000 up unless `compact=False`."""
    number = _as_float(value)
    if number is None:
        return "–"
    loc = get_locale(locale)
    if fmt.kind == "percent":
        points = number * 100 if fmt.fraction else number
        text = _plain(points, 1 if abs(points) < 100 else 0, loc, trim=True)
        return f"{text}{_NBSP if loc.symbol_after else ''}%"
    size = abs(number)
    if compact and size >= COMPACT_FROM:
        body = _compact(size, loc)
    else:
        decimals, trim = _decimals(size, fmt)
        body = _plain(size, decimals, loc, trim=trim)
    sign = "-" if number < 0 and body.strip("0.,") else ""
    if fmt.kind != "currency":
        return sign + body
    if loc.symbol_after:
        return f"{sign}{body}{_NBSP}{fmt.symbol}"
    return f"{sign}{fmt.symbol}{body}"


def format_count(count: int, locale: str = "en") -> str:
    """A row or category count in full: '12,345'."""
    return _plain(float(count), 0, get_locale(locale), trim=False)


def plotly_separators(locale: str) -> str:
    """Plotly's `layout.separators`: decimal mark then thousands mark."""
    loc = get_locale(locale)
    return loc.decimal + loc.thousands


def axis_format(fmt: NumberFormat, locale: str = "en") -> dict[str, str]:
    """Tick settings for a value axis: thousands separators, currency symbol or percent."""
    if fmt.kind == "percent":
        return {"tickformat": ".0%"} if fmt.fraction else {"tickformat": ",~r", "ticksuffix": "%"}
    ticks = {"tickformat": ",~r"}
    if fmt.kind == "currency":
        after = get_locale(locale).symbol_after
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
    return f"{text} {fmt.symbol}" if get_locale(locale).symbol_after else fmt.symbol + text


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


def _compact(size: float, loc: Locale) -> str:
    for index, (unit, suffix) in enumerate(_UNITS):
        if size < unit:
            continue
        scaled = size / unit
        digits = 1 if scaled < 100 else 0
        if round(scaled, digits) >= 1000 and index > 0:
            unit, suffix = _UNITS[index - 1]
            scaled, digits = size / unit, 1
        return _plain(scaled, digits, loc, trim=True) + suffix
    return _plain(size, 0, loc, trim=False)


def _plain(number: float, decimals: int, loc: Locale, trim: bool) -> str:
    text = f"{number:,.{decimals}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", "\0").replace(".", loc.decimal).replace("\0", loc.thousands)


def _as_float(value: object) -> float | None:
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
