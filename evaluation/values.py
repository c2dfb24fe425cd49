"""Result values in a comparable form, and the tolerant equality execution accuracy uses.

Drivers and databases disagree on types: MariaDB returns `Decimal` and `date` where SQLite
returns `float` and `'YYYY-MM-DD'` text; pandas turns NULLs into NaN/NaT/NA. `canonical`
maps every cell to one of three kinds — None, a float, or a string — so that:

- every number (int, float, Decimal, bool, numpy scalars, and text that is a plain
  number such as `'2025'` or `'07'`) becomes a float;
- dates and datetimes, as objects or as ISO text, become `YYYY-MM-DD` (at midnight) or
  `YYYY-MM-DD HH:MM:SS[.ffffff]` text;
- other text keeps its case but loses trailing spaces (MySQL's PAD SPACE collations and
  CHAR columns pad), so `'abc '` equals `'abc'` but `'ABC'` does not;
- NULL, NaN, NaT and pd.NA become None, and None equals only None.

`numbers_equal` accepts a relative difference of 1e-6 or an absolute one of 1e-4, and
(unless `rounding=False`) a value rounded to 1–4 decimals against the unrounded one.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

Cell = float | str | None
Row = tuple[Cell, ...]

REL_TOL = 1e-6
ABS_TOL = 1e-4
# A value rounded to d decimals (1 <= d <= 4) equals the unrounded one within half a unit
# of its last place, provided rounding changed the value by at most this fraction.
ROUNDING_MAX_DECIMALS = 4
ROUNDING_MAX_REL_CHANGE = 0.01

_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_TEMPORAL = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?$"
)


def canonical(value: Any) -> Cell:
    """The comparable form of one result cell (see the module docstring)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float | decimal.Decimal):
        number = float(value)
        return None if math.isnan(number) else number
    if isinstance(value, dt.datetime | dt.date):
        return _temporal(value)
    if isinstance(value, bytes | bytearray):
        return canonical(bytes(value).decode("utf-8", errors="replace"))
    if isinstance(value, str):
        return _text(value)
    if hasattr(value, "item"):  # numpy scalars
        return canonical(value.item())
    if isinstance(value, dt.timedelta | dt.time):
        return str(value)
    return _text(str(value))


def _text(value: str) -> Cell:
    text = value.rstrip()
    if _NUMBER.match(text):
        return float(text)
    match = _TEMPORAL.match(text)
    if match:
        day, hour, minute, second, fraction = match.groups()
        if hour is None:
            return day
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        return _clock(day, int(hour), int(minute), int(second or 0), micro)
    return text


def _temporal(value: dt.date) -> str:
    if isinstance(value, dt.datetime):
        day = value.date().isoformat()
        return _clock(day, value.hour, value.minute, value.second, value.microsecond)
    return value.isoformat()


def _clock(day: str, hour: int, minute: int, second: int, micro: int) -> str:
    if hour == minute == second == micro == 0:
        return day
    clock = f"{day} {hour:02d}:{minute:02d}:{second:02d}"
    return f"{clock}.{micro:06d}" if micro else clock


def canonical_rows(rows: Sequence[Sequence[Any]]) -> tuple[Row, ...]:
    return tuple(tuple(canonical(value) for value in row) for row in rows)


def frame_rows(frame: pd.DataFrame) -> tuple[Row, ...]:
    """The rows of a result frame, cell by cell in canonical form."""
    return canonical_rows(list(frame.itertuples(index=False, name=None)))


def numbers_equal(a: float, b: float, *, rounding: bool = True) -> bool:
    """Equal within tolerance, or (with `rounding`) one is the other rounded to 1–4 places."""
    if a == b:
        return True
    if math.isinf(a) or math.isinf(b):
        return False
    diff = abs(a - b)
    if diff <= ABS_TOL or diff <= REL_TOL * max(abs(a), abs(b)):
        return True
    return rounding and (_rounds_to(a, b) or _rounds_to(b, a))


def _rounds_to(rounded: float, other: float) -> bool:
    places = decimal_places(rounded)
    if places is None or places == 0:
        return False
    diff = abs(rounded - other)
    half_unit = 0.5 * 10.0**-places
    slop = 1e-9 * max(1.0, abs(other))
    return diff <= half_unit + slop and diff <= ROUNDING_MAX_REL_CHANGE * max(
        abs(rounded), abs(other)
    )


def decimal_places(value: float) -> int | None:
    """How many decimals `value` shows (0–4), or None when it has more."""
    for places in range(ROUNDING_MAX_DECIMALS + 1):
        scaled = value * 10**places
        if abs(scaled - round(scaled)) <= 1e-7 * max(1.0, abs(scaled)):
            return places
    return None


def cells_equal(a: Cell, b: Cell, *, rounding: bool = True) -> bool:
    """Tolerant equality of two canonical cells."""
    if isinstance(a, float) and isinstance(b, float):
        return numbers_equal(a, b, rounding=rounding)
    return a == b


def rows_equal(a: Row, b: Row, *, rounding: bool = True) -> bool:
    if len(a) != len(b):
        return False
    return all(cells_equal(x, y, rounding=rounding) for x, y in zip(a, b, strict=True))


def sort_key(row: Row) -> tuple[tuple[int, float, str], ...]:
    """A total order over canonical rows: NULLs first, then numbers, then text."""
    return tuple(_cell_key(cell) for cell in row)


def _cell_key(cell: Cell) -> tuple[int, float, str]:
    if cell is None:
        return (0, 0.0, "")
    if isinstance(cell, float):
        return (1, cell, "")
    return (2, 0.0, cell)
