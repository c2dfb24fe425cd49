"""What each column of a query result is: a measure, an id, a time axis, a category, or noise.

Roles, in the order they are decided:

- *empty*: every value is NULL. *other*: bytes, intervals, mixed objects, duplicate names.
- *time*: datetime64 (any unit, with or without a zone), `datetime.date` objects, ISO date
  strings, period strings ('2024', '2024-03', '2024-Q1', '2024-W05'), year-like integers
  (every value in 1900–2100 and the name says year, or another numeric column exists),
  and ordinal buckets named month/quarter/week/day/hour/weekday whose values fit the range.
- *id*: numbers named like keys (`id`, `customer_id`, `customerId`, `order_no`, `sku`, `rank`),
  or a unique key by value (see `_is_key`) beside another numeric column. Ids label
  things; they are never summed or averaged.
- *measure*: every other number (ints, nullable Int64, float64 from DECIMAL, `Decimal` objects).
- *category*: strings and booleans of readable length; longer strings are free *text*.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from backend.charts.names import (
    MEASURE_WORDS,
    ORDINAL_RANGES,
    YEAR_WORDS,
    ordinal_unit,
    says,
    says_id,
)

Role = Literal["measure", "id", "time", "category", "text", "empty", "other"]
TimeKind = Literal["datetime", "month", "quarter", "week", "year", "ordinal"]
Base = Literal["number", "datetime", "text", "bool", "empty", "other"]

MAX_LABEL_LENGTH = 50  # longer strings are free text, not categories
KEY_MIN_ROWS = 10
YEAR_RANGE = (1900, 2100)
TYPE_SAMPLE = 1000  # object columns: how many values to type-check
PERIOD_PATTERNS: tuple[tuple[TimeKind, re.Pattern[str]], ...] = (
    ("datetime", re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")),
    ("month", re.compile(r"\d{4}-\d{2}")),
    ("quarter", re.compile(r"\d{4}-?Q[1-4]|Q[1-4][ -]?\d{4}")),
    ("week", re.compile(r"\d{4}-?W\d{2}")),
    ("year", re.compile(r"(?:19|20)\d{2}|2100")),
)


@dataclass(frozen=True)
class Column:
    """One column's role and the facts the chart rules need."""

    name: str
    role: Role
    distinct: int = 0
    time_kind: TimeKind | None = None
    unit: str | None = None  # ordinal time: 'month', 'hour', ...
    label_length: float = 0.0  # mean length of the values as text
    non_negative: bool = False

    @property
    def numeric(self) -> bool:
        return self.role in {"measure", "id"} or self.time_kind in {"year", "ordinal"}


@dataclass(frozen=True)
class Profile:
    """A result frame described column by column."""

    rows: int
    columns: tuple[Column, ...]

    def of(self, *roles: Role) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.role in roles)

    def get(self, name: str | None) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


def profile(frame: pd.DataFrame) -> Profile:
    """Describe every column of `frame`; a pure function of the frame."""
    counts = Counter(frame.columns)
    bases = {
        name: _base(frame[name]) if counts[name] == 1 and isinstance(name, str) else "other"
        for name in frame.columns
    }
    numeric = [name for name, base in bases.items() if base == "number"]
    columns = tuple(
        _describe(name, frame[name], bases[name], [n for n in numeric if n != name])
        if bases[name] != "other"
        else Column(str(name), "other")
        for name in dict.fromkeys(frame.columns)
    )
    return Profile(len(frame), columns)


def as_numbers(series: pd.Series) -> pd.Series:
    """float64 values of a numeric column (Int64 NULL → NaN, Decimal → float)."""
    return pd.to_numeric(series, errors="coerce").astype("float64")


def _base(series: pd.Series) -> Base:
    values = series.dropna()
    if values.empty:
        return "empty"
    dtype = series.dtype
    if ptypes.is_bool_dtype(dtype):
        return "bool"
    if ptypes.is_numeric_dtype(dtype):
        return "number"
    if ptypes.is_datetime64_any_dtype(dtype):
        return "datetime"
    if ptypes.is_string_dtype(dtype):  # StringDtype and object
        return _object_base(values.iloc[:TYPE_SAMPLE])
    return "other"


def _object_base(sample: pd.Series) -> Base:
    kinds = {type(v) for v in sample}
    if all(issubclass(k, str) for k in kinds):
        return "text"
    if all(issubclass(k, bool | np.bool_) for k in kinds):
        return "bool"
    if all(issubclass(k, int | float | Decimal | np.number) for k in kinds):
        return "number"
    if all(issubclass(k, dt.date) for k in kinds):
        return "datetime"
    return "other"


def _describe(name: str, series: pd.Series, base: Base, other_numeric: list[str]) -> Column:
    values = series.dropna()
    distinct = int(values.nunique())
    if base == "empty":
        return Column(name, "empty")
    if base == "datetime":
        return Column(name, "time", distinct, time_kind="datetime")
    if base == "number":
        return _describe_number(name, series, distinct, bool(other_numeric))
    length = float(values.astype(str).str.len().mean())
    if base == "text":
        period = _period_kind(values.astype(str))
        if period is not None:
            return Column(name, "time", distinct, time_kind=period, label_length=length)
    role: Role = "category" if length <= MAX_LABEL_LENGTH else "text"
    return Column(name, role, distinct, label_length=length)


def _describe_number(name: str, series: pd.Series, distinct: int, has_other: bool) -> Column:
    numbers = as_numbers(series)
    values = numbers.dropna()
    low, high = float(values.min()), float(values.max())
    whole = bool((values % 1 == 0).all())
    role, time_kind, unit = _number_role(name, series, (low, high, whole), distinct, has_other)
    return Column(name, role, distinct, time_kind, unit, non_negative=low >= 0)


def _number_role(
    name: str,
    series: pd.Series,
    span: tuple[float, float, bool],
    distinct: int,
    has_other: bool,
) -> tuple[Role, TimeKind | None, str | None]:
    low, high, whole = span
    if says_id(name):
        return "id", None, None
    in_years = whole and YEAR_RANGE[0] <= low and high <= YEAR_RANGE[1]
    if in_years and (says(name, YEAR_WORDS) or (has_other and not says(name, MEASURE_WORDS))):
        return "time", "year", None
    unit = ordinal_unit(name)
    if whole and unit and ORDINAL_RANGES[unit][0] <= low and high <= ORDINAL_RANGES[unit][1]:
        return "time", "ordinal", unit
    if has_other and _is_key(name, series, distinct):
        return "id", None, None
    return "measure", None, None


def _is_key(name: str, series: pd.Series, distinct: int) -> bool:
    """A surrogate key by value: integer type, no NULLs, distinct, increasing, nearly gapless.

    Growing measures (cumulative revenue) also increase, so keys must also be an integer
    column (DECIMAL measures arrive as float64), not named like a measure, and span at most
    twice as many values as there are rows, as auto-increment keys do.
    """
    if not ptypes.is_integer_dtype(series.dtype) or says(name, MEASURE_WORDS):
        return False
    numbers = as_numbers(series)
    rows = len(numbers)
    return (
        rows >= KEY_MIN_ROWS
        and distinct == rows
        and not numbers.isna().any()
        and bool(numbers.is_monotonic_increasing)
        and float(numbers.max() - numbers.min()) < 2 * rows
    )


def _period_kind(values: pd.Series) -> TimeKind | None:
    for kind, pattern in PERIOD_PATTERNS:
        if bool(values.str.fullmatch(pattern).all()):
            return kind
    return None
