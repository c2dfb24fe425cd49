"""Numbers and dates as a language writes them, from CLDR through Babel.

    format_number(1234.5, "es", decimals=1)        → '1.234,5'
    format_money(1234.5, "€", "es", decimals=2)     → '1.234,50 €'
    format_compact(1_234_567, "es", symbol="€")     → '1,2 M€'      ('€1.2M' in English)
    format_percent(12.5, "es")                      → '12,5 %'
    format_date(date(2024, 1, 1), "month", "es")    → 'enero 2024'  ('Jan 2024' in English)

`locale` is a language or locale code ('es', 'es_ES', 'de-AT'); anything Babel does not
know is written as English. Separators, symbol placement and compact units ('K', 'mil',
'Mio.') all come from CLDR, so the KPI card, the chart and the summary agree in every
language. Two choices are ours: compact numbers keep about three significant digits
('€310K', '€1.2M', never '€1000K'), and a currency symbol that ends in a letter ('CHF')
is kept apart from the number by a no-break space, as CLDR's currency spacing asks.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from functools import cache
from typing import Literal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _babel_date
from babel.dates import format_datetime, get_month_names, get_quarter_names
from babel.numbers import NumberPattern, format_decimal

NBSP = "\u00a0"
DateStyle = Literal["year", "month", "day"]
# A month alone reads better in full in Spanish ('enero 2024'); English keeps 'Jan 2024'.
_MONTH_PATTERNS = {"es": "LLLL y"}
_PATTERNS: dict[DateStyle, str] = {"year": "y", "month": "LLL y", "day": "d MMM y"}
_NUMBER_PART = re.compile(r"[#0,.]+")


@cache
def babel_locale(locale: str | None) -> Locale:
    """The Babel locale for 'es', 'es-ES', 'de_AT'; English for anything unknown."""
    code = (locale or "en").strip().replace("-", "_") or "en"
    try:
        return Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        try:
            return Locale.parse(code.split("_")[0].lower())
        except (UnknownLocaleError, ValueError):
            return Locale.parse("en")


def separators(locale: str | None) -> tuple[str, str]:
    """(decimal mark, thousands mark): ('.', ',') in English, (',', '.') in Spanish."""
    symbols = babel_locale(locale).number_symbols["latn"]
    return symbols["decimal"], symbols["group"]


def currency_after(locale: str | None) -> bool:
    """Whether the currency symbol follows the number ('1,50 €') or leads it ('€1.50')."""
    pattern = _positive(babel_locale(locale).currency_formats["standard"].pattern)
    return pattern.index("¤") > pattern.index("0")


def format_number(
    number: float, locale: str | None, *, decimals: int = 0, trim: bool = True
) -> str:
    """`number` with the language's separators; `trim` drops trailing zeros ('12.5', '12')."""
    places = ("#" if trim else "0") * decimals
    pattern = "#,##0" + (f".{places}" if places else "")
    return format_decimal(number, format=pattern, locale=babel_locale(locale))


def format_percent(points: float, locale: str | None, *, decimals: int = 1) -> str:
    """Percentage points as the language writes them: '12.5%' (en), '12,5 %' (es)."""
    number = format_number(points, locale, decimals=decimals)
    return _fill(babel_locale(locale).percent_formats[None].pattern, number)


def format_money(
    number: float, symbol: str, locale: str | None, *, decimals: int = 2, trim: bool = False
) -> str:
    """An amount with `symbol` where the language puts it: '€1,234.50', '1.234,50 €'."""
    text = format_number(number, locale, decimals=decimals, trim=trim)
    pattern = babel_locale(locale).currency_formats["standard"].pattern
    return _fill(pattern, text, symbol)


def format_compact(number: float, locale: str | None, *, symbol: str | None = None) -> str | None:
    """'1.2M', '€310K', '1,2 M€', '12,3 mil'; None where the language writes it in full.

    Three significant digits at most (one decimal below 100 of a unit), and a value that
    rounds up to the next unit takes that unit: 999,960 → '1M', not '1000K'.
    """
    loc = babel_locale(locale)
    formats = (loc.compact_currency_formats if symbol else loc.compact_decimal_formats)["short"]
    table = formats["other"]
    size = abs(number)
    for _ in range(2):  # a second pass when rounding reached the next unit
        found = _compact_unit(table, size)
        if found is None:
            return None
        pattern, divisor = found
        scaled = size / divisor
        digits = 1 if scaled < 100 else 0
        rounded = round(scaled, digits)
        if _compact_unit(table, rounded * divisor) == found:
            break
        size = rounded * divisor
    text = format_number(rounded, locale, decimals=digits)
    text = text.replace(separators(locale)[1], "")  # CLDR writes '2500 M', not '2.500 M'
    body = _fill(pattern, text, symbol)
    return ("-" if number < 0 and rounded else "") + body


def month_name(month: int, locale: str | None, *, wide: bool | None = None) -> str:
    """A month alone, as `format_date(..., 'month')` writes it: 'Jan' (en), 'enero' (es).

    `wide` forces the full ('January') or short ('ene') name.
    """
    loc = babel_locale(locale)
    if wide is None:
        wide = loc.language in _MONTH_PATTERNS
    names = get_month_names("wide" if wide else "abbreviated", context="stand-alone", locale=loc)
    return str(names[month])


def quarter_label(quarter: int, year: int | None, locale: str | None) -> str:
    """'Q1 2024' (en), 'T1 2024' (es); without a year just 'Q1' / 'T1'."""
    names = get_quarter_names("abbreviated", context="format", locale=babel_locale(locale))
    name = str(names[quarter])
    return name if year is None else f"{name} {year}"


def format_date(value: dt.date, style: DateStyle, locale: str | None) -> str:
    """A date at the precision of `style`: '2024', 'Jan 2024' / 'enero 2024', '3 Jan 2024'."""
    loc = babel_locale(locale)
    pattern = _MONTH_PATTERNS.get(loc.language, _PATTERNS["month"]) if style == "month" else None
    return str(_babel_date(value, pattern or _PATTERNS[style], locale=loc))


def format_date_pattern(value: dt.date, pattern: str, locale: str | None) -> str:
    """A date or time with a CLDR pattern ('d MMM', 'LLL y', 'd MMM HH:mm')."""
    if isinstance(value, dt.datetime):
        return str(format_datetime(value, pattern, locale=babel_locale(locale)))
    return str(_babel_date(value, pattern, locale=babel_locale(locale)))


def _compact_unit(table: Mapping[str, NumberPattern], size: float) -> tuple[str, int] | None:
    """(pattern, divisor) of the largest compact unit ≤ `size`; None: write it in full."""
    if not math.isfinite(size):
        return None
    best: tuple[str, int] | None = None
    for magnitude in sorted((int(key) for key in table), reverse=True):
        if size >= magnitude:
            pattern = table[str(magnitude)].pattern
            zeros = pattern.count("0")
            if not re.sub(r"[0\s'" + NBSP + "]", "", pattern.replace("¤", "")):
                return None  # '0': this size has no short form (German thousands)
            best = (pattern, magnitude // 10 ** (zeros - 1))
            break
    return best


def _fill(pattern: str, number: str, symbol: str | None = None) -> str:
    """Put `number` (and `symbol`) into a CLDR pattern such as '¤#,##0.00' or '0 M¤'."""
    pattern = _positive(pattern).replace("'", "")
    prefix, _, suffix = _NUMBER_PART.sub("\0", pattern, count=1).partition("\0")
    if symbol is None:
        return prefix + number + suffix
    prefix = _currency(prefix, symbol, before_number=True)
    suffix = _currency(suffix, symbol, before_number=False)
    return prefix + number + suffix


def _currency(part: str, symbol: str, *, before_number: bool) -> str:
    """Replace '¤' in a pattern part; a symbol ending in a letter ('CHF') gets a space."""
    if "¤" not in part:
        return part
    head, _, tail = part.partition("¤")
    # What the symbol would touch on the number's side: pattern text, else the number.
    neighbour = (tail[:1] if before_number else head[-1:]) or "0"
    edge = symbol[-1] if before_number else symbol[0]
    if edge.isalpha() and not neighbour.isspace():
        symbol = symbol + NBSP if before_number else NBSP + symbol
    return head + symbol + tail


def _positive(pattern: str) -> str:
    return pattern.split(";", 1)[0]
