"""The numbers a chart shows, computed once so the figure and the summary sentence agree.

Duplicate x values are aggregated: summed for additive measures (sums, counts), averaged
otherwise (averages, rates, prices; see `names.is_additive`). Bars keep the 20 biggest
categories; the rest become one "Other" bar when the measure is additive (an "Other"
average would be meaningless, so non-additive bars just stop at 20).

Labels are written in the reader's language (`locale`): 'Jan 2024' / 'enero 2024',
'Q1 2024' / 'T1 2024', 'Other' / 'Otros', '(blank)' / '(vacío)'.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from backend.charts.columns import Column, as_numbers
from backend.charts.names import in_sentence, is_additive
from backend.i18n import t
from backend.i18n.formats import DateStyle, format_date, month_name, quarter_label

MAX_BARS = 20
_QUARTER = r"(?:(?P<y1>\d{4})-?Q(?P<q1>[1-4])|Q(?P<q2>[1-4])[ -]?(?P<y2>\d{4}))"


@dataclass(frozen=True)
class Bars:
    """Bar (or donut) data: columns `label`, `value` and, with a colour, `series`."""

    data: pd.DataFrame
    categories: int  # distinct categories before keeping the top ones
    additive: bool  # summed per category (else averaged)
    other: str | None = None  # the label of the bar that sums the rest, when there is one


def other_label(locale: str | None = "en") -> str:
    """'Other' / 'Otros': the bar that sums the categories beyond the top 20."""
    return t("charts.other", locale)


def blank_label(locale: str | None = "en") -> str:
    """'(blank)' / '(vacío)': a NULL category."""
    return t("charts.blank", locale)


def time_points(series: pd.Series, column: Column, locale: str | None = "en") -> pd.DataFrame:
    """Columns `key` (sorts chronologically), `x` (what Plotly draws) and `label` (for text)."""
    kind = column.time_kind
    if kind in {"datetime", "month"}:
        stamps = _datetimes(series, kind)
        label = _per_value(stamps, lambda values: _date_labels(values, locale))
        return pd.DataFrame({"key": stamps, "x": stamps, "label": label})
    if kind in {"quarter", "week"}:
        return _period_points(series, kind, locale)
    numbers = as_numbers(series)
    unit = column.unit if kind == "ordinal" else None
    labels = _per_value(
        numbers, lambda values: values.map(lambda n: _ordinal_label(n, unit, locale))
    )
    return pd.DataFrame({"key": numbers, "x": numbers, "label": labels})


def labels(series: pd.Series, column: Column, locale: str | None = "en") -> pd.Series:
    """Category labels as text: whole-number ids without '.0', NULL as '(blank)'."""
    blank = blank_label(locale)
    if column.role == "time":
        return time_points(series, column, locale)["label"].fillna(blank).astype(object)
    if column.numeric:
        numbers = as_numbers(series)
        text = numbers.map(lambda n: blank if pd.isna(n) else f"{n:g}" if n % 1 else str(int(n)))
        return text.astype(object)
    return series.astype(object).where(series.notna(), blank).map(str)


def line_data(
    frame: pd.DataFrame, x: Column, y: str, color: Column | None, locale: str | None = "en"
) -> pd.DataFrame:
    """Columns `key`, `x`, `label`, `value` (and `series`), sorted in time, one row per point."""
    points = time_points(frame[x.name], x, locale).assign(value=as_numbers(frame[y]))
    keys = ["key", "x", "label"]
    if color is not None:
        points["series"] = labels(frame[color.name], color, locale)
        keys.append("series")
    points = points[points["key"].notna()]
    grouped = points.groupby(keys, sort=False, dropna=False)["value"]
    values = grouped.sum(min_count=1) if is_additive(y) else grouped.mean()
    return values.reset_index().sort_values("key", kind="stable").reset_index(drop=True)


def bar_data(
    frame: pd.DataFrame,
    x: Column,
    y: str,
    color: Column | None = None,
    locale: str | None = "en",
) -> Bars:
    """Aggregate `y` per category (and colour), biggest first; time categories stay in order."""
    additive = is_additive(y)
    data = pd.DataFrame({"label": labels(frame[x.name], x, locale), "value": as_numbers(frame[y])})
    keys = ["label"]
    if color is not None:
        data["series"] = labels(frame[color.name], color, locale)
        keys.append("series")
    grouped = data.groupby(keys, sort=False)["value"]
    data = (grouped.sum(min_count=1) if additive else grouped.mean()).reset_index()
    order = _category_order(data, frame, x, locale)
    categories = len(order)
    kept = order[:MAX_BARS] if x.role != "time" else order
    cut = data[~data["label"].isin(kept)]
    data = data[data["label"].isin(kept)]
    other = None
    if additive and not cut.empty:
        other = other_label(locale)
        data = pd.concat([data, _other_bucket(cut, keys, other)], ignore_index=True)
        kept = [*kept, other]
    rank = {label: i for i, label in enumerate(kept)}
    data = data.sort_values("label", key=lambda s: s.map(rank), kind="stable")
    return Bars(data.reset_index(drop=True), categories, additive, other)


def _other_bucket(cut: pd.DataFrame, keys: list[str], other: str) -> pd.DataFrame:
    if keys == ["label"]:
        return pd.DataFrame({"label": [other], "value": [cut["value"].sum()]})
    return cut.groupby("series", sort=False)["value"].sum().reset_index().assign(label=other)


def _category_order(
    data: pd.DataFrame, frame: pd.DataFrame, x: Column, locale: str | None
) -> list[str]:
    if x.role == "time":
        points = time_points(frame[x.name], x, locale).drop_duplicates("label").sort_values("key")
        shown = set(data["label"])
        return [label for label in points["label"].fillna(blank_label(locale)) if label in shown]
    totals = data.groupby("label", sort=False)["value"].sum(min_count=1)
    return list(totals.sort_values(ascending=False, na_position="last", kind="stable").index)


def _per_value(values: pd.Series, make: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Labels made once per distinct value: results have many rows but few distinct times."""
    distinct = pd.Series(values.dropna().unique())
    return values.map(dict(zip(distinct, make(distinct), strict=True)))


def _datetimes(series: pd.Series, kind: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series
    if kind == "month":
        return pd.to_datetime(series.astype(str), format="%Y-%m")
    values = series.dropna()
    text = not values.empty and isinstance(values.iloc[0], str)
    return pd.to_datetime(series, format="ISO8601" if text else None)


def _date_labels(stamps: pd.Series, locale: str | None) -> pd.Series:
    """'2024', 'Jan 2024' / 'enero 2024', '3 Jan 2024', or ISO date and time."""
    valid = stamps.dropna()
    if not (valid.dt.normalize() == valid).all():
        written: pd.Series = stamps.dt.strftime("%Y-%m-%d %H:%M")
        return written
    style: DateStyle
    if (valid.dt.day == 1).all():
        style = "year" if (valid.dt.month == 1).all() else "month"
    else:
        style = "day"
    return stamps.map(lambda stamp: format_date(stamp.date(), style, locale))


def _period_points(series: pd.Series, kind: str, locale: str | None) -> pd.DataFrame:
    text = series.astype(str).str.upper()
    if kind == "quarter":
        parts = text.str.extract(_QUARTER)
        year = parts["y1"].fillna(parts["y2"]).astype(float)
        number = parts["q1"].fillna(parts["q2"]).astype(float)
        x = year.map("{:.0f}".format) + "-Q" + number.map("{:.0f}".format)
        label = pd.Series(
            [
                None if pd.isna(q) or pd.isna(y) else quarter_label(int(q), int(y), locale)
                for q, y in zip(number, year, strict=True)
            ],
            index=series.index,
            dtype=object,
        )
    else:
        parts = text.str.extract(r"(?P<year>\d{4})-?W(?P<week>\d{2})")
        year, number = parts["year"].astype(float), parts["week"].astype(float)
        x = label = year.map("{:.0f}".format) + "-W" + number.map("{:02.0f}".format)
    return pd.DataFrame({"key": year * 100 + number, "x": x, "label": label})


def _ordinal_label(number: float, unit: str | None, locale: str | None) -> str | None:
    if pd.isna(number):
        return None
    whole = int(number)
    if unit == "month" and 1 <= whole <= 12:
        return month_name(whole, locale)
    if unit == "quarter" and 1 <= whole <= 4:
        return quarter_label(whole, None, locale)
    if unit == "hour":
        return f"{whole:02d}:00"
    return f"{in_sentence(unit, locale)} {whole}" if unit else str(whole)
