"""`choose_chart`: the chart a careful analyst would pick from a result's shape and types.

Rules, first match wins (roles come from `backend.charts.columns`):

1. No rows, or no measure with a value → **table**.
2. One row → **kpi** of the first measure.
3. A time column with ≥ 2 distinct values → **line** of the first measure over it; one
   series per value when exactly one other category (or time) column has ≤ 10 values.
   Year + month/quarter/week/day/hour columns → the bucket on x, a line per year.
4. Two measures and one category that repeats with ≤ 10 values (row-level data)
   → **scatter** coloured by the category.
5. A category (or, for ≤ 20 rows, an id) → bars of the first measure, aggregated per
   category. Two categories: x is the one with more values, the other (≤ 10 values) stacks.
   - **donut** instead, when the bars are the parts of a whole: one category with 2–8
     values, no negative or missing values, and either the measure's name says count
     (`count`, `n_orders`, `COUNT(*)`) or it says share/pct/percent and the values add
     up to 1 or 100 (±2 %). Sums of money, averages and rates stay bars: lengths on a
     common axis compare better than angles, and averages are not parts of a whole.
   - **barh** when labels average more than 15 characters or more than 12 bars show.
6. Two measures → **scatter** of the second against the first.
7. One measure and at least 10 rows → **histogram**.
8. Anything else → **table**.
"""

from __future__ import annotations

import pandas as pd

from backend.charts.columns import Column, Profile, as_numbers, profile
from backend.charts.hints import NO_HINTS, ColumnHints
from backend.charts.names import is_count, is_share
from backend.charts.prepare import MAX_BARS
from backend.charts.spec import ChartKind, ChartSpec
from backend.i18n import t

MAX_SERIES = 10
MAX_DONUT_PARTS = 8
LONG_LABEL = 15
MANY_BARS = 12
HISTOGRAM_MIN_ROWS = 10
SCATTER_MIN_ROWS = 3
SHARE_TOLERANCE = 0.02
_TIME_PRIORITY = ("datetime", "month", "quarter", "week", "year", "ordinal")


def choose_chart(frame: pd.DataFrame, *, shape: Profile | None = None) -> ChartSpec:
    """The default chart for a result frame; never raises, falls back to a table.

    `shape`: the frame's `profile`, when the caller has it."""
    if frame.empty:
        return table_spec("The query returned no rows.")
    shape = shape or profile(frame)
    measures = shape.of("measure")
    if not measures:
        return table_spec("No numeric column with values to plot.")
    if shape.rows == 1:
        return make_spec("kpi", None, measures[0].name, None, "One row with a numeric value.")
    for rule in (_line, _grouped_scatter, _bars, _scatter, _histogram):
        spec = rule(frame, shape, measures)
        if spec is not None:
            return spec
    return table_spec("Too few rows to plot.")


def make_spec(
    kind: ChartKind, x: str | None, y: str | None, color: str | None, reason: str
) -> ChartSpec:
    """A spec with the standard title for its kind and axes."""
    return ChartSpec(kind, x, y, color, title_for(kind, x, y, color), reason)


def table_spec(reason: str) -> ChartSpec:
    return ChartSpec("table", title=title_for("table", None, None, None), reason=reason)


def title_for(
    kind: ChartKind,
    x: str | None,
    y: str | None,
    color: str | None,
    locale: str | None = "en",
    hints: ColumnHints = NO_HINTS,
) -> str:
    """'Total revenue by country', 'Price vs quantity', 'Distribution of amount'."""
    if kind == "table":
        return t("charts.title.table", locale)
    label, word = hints.label, hints.word
    if kind == "kpi":
        return label(y or "", locale)
    if kind == "histogram":
        return t("charts.title.distribution", locale, x=word(x or "", locale))
    if kind == "scatter":
        return t("charts.title.vs", locale, y=label(y or "", locale), x=word(x or "", locale))
    parts = {"y": label(y or "", locale), "x": word(x or "", locale)}
    if color:
        return t("charts.title.by_and", locale, **parts, color=word(color, locale))
    return t("charts.title.by", locale, **parts)


def chart_title(spec: ChartSpec, locale: str | None = "en", hints: ColumnHints = NO_HINTS) -> str:
    """The title to show: the standard title in the reader's language, or the model's own.

    Specs keep the English standard title (they are stored and shared); a title a model
    proposed is shown as it was written. `hints` carry the columns' labels from knowledge.
    """
    standard = title_for(spec.kind, spec.x, spec.y, spec.color)
    if not spec.title or spec.title == standard:
        return title_for(spec.kind, spec.x, spec.y, spec.color, locale, hints)
    return spec.title


def series_column(column: Column | None) -> bool:
    """Whether a column can split a chart into coloured series."""
    return (
        column is not None
        and column.role in {"category", "time", "id"}
        and (2 <= column.distinct <= MAX_SERIES)
    )


def _line(frame: pd.DataFrame, shape: Profile, measures: tuple[Column, ...]) -> ChartSpec | None:
    times = [c for c in shape.of("time") if c.distinct >= 2]
    if not times:
        return None
    x = _pick_time(times)
    extras = [c for c in (*shape.of("category"), *times) if c is not x]
    color = extras[0] if len(extras) == 1 and series_column(extras[0]) else None
    reason = f"Time column '{x.name}' with a measure"
    reason += f", one line per '{color.name}'." if color else "."
    return make_spec("line", x.name, measures[0].name, color.name if color else None, reason)


def _pick_time(times: list[Column]) -> Column:
    kinds = {c.time_kind for c in times}
    if kinds == {"year", "ordinal"}:  # seasonal view: months on x, a line per year
        return next(c for c in times if c.time_kind == "ordinal")
    return min(times, key=lambda c: _TIME_PRIORITY.index(c.time_kind or "ordinal"))


def _grouped_scatter(
    frame: pd.DataFrame, shape: Profile, measures: tuple[Column, ...]
) -> ChartSpec | None:
    categories = _varying(shape.of("category"))
    if len(measures) < 2 or len(categories) != 1:
        return None
    category = categories[0]
    if not series_column(category) or category.distinct >= shape.rows:
        return None
    reason = f"Row-level data: two measures per row, grouped by '{category.name}'."
    return make_spec("scatter", measures[0].name, measures[1].name, category.name, reason)


def _bars(frame: pd.DataFrame, shape: Profile, measures: tuple[Column, ...]) -> ChartSpec | None:
    categories = sorted(_varying(shape.of("category")), key=lambda c: -c.distinct)
    ids = shape.of("id")
    if not categories and not (ids and shape.rows <= MAX_BARS):
        return None
    x = categories[0] if categories else ids[0]
    low = categories[1] if len(categories) == 2 else None
    color = low if series_column(low) else None
    y = measures[0]
    if color is None and is_part_of_whole(frame, x, y):
        return make_spec("donut", x.name, y.name, None, "Parts of a whole, at most 8 parts.")
    shown = min(x.distinct, MAX_BARS + 1)
    horizontal = x.label_length > LONG_LABEL or shown > MANY_BARS
    kind: ChartKind = "barh" if horizontal else "bar"
    reason = "A measure per category" + (", long labels or many bars." if horizontal else ".")
    return make_spec(kind, x.name, y.name, color.name if color else None, reason)


def is_part_of_whole(frame: pd.DataFrame, x: Column, y: Column) -> bool:
    """The donut rule: see the module docstring, rule 5."""
    if x.role != "category" or not 2 <= x.distinct <= MAX_DONUT_PARTS or not y.non_negative:
        return False
    values = as_numbers(frame[y.name])
    total = float(values.sum())
    if values.isna().any() or total <= 0:
        return False
    if is_share(y.name):
        return any(abs(total - whole) <= whole * SHARE_TOLERANCE for whole in (1.0, 100.0))
    return is_count(y.name)


def _scatter(frame: pd.DataFrame, shape: Profile, measures: tuple[Column, ...]) -> ChartSpec | None:
    if len(measures) < 2 or shape.rows < SCATTER_MIN_ROWS:
        return None
    reason = "Two measures and no category."
    return make_spec("scatter", measures[0].name, measures[1].name, None, reason)


def _histogram(
    frame: pd.DataFrame, shape: Profile, measures: tuple[Column, ...]
) -> ChartSpec | None:
    if shape.rows < HISTOGRAM_MIN_ROWS:
        return None
    reason = "One measure over many rows: its distribution."
    return make_spec("histogram", measures[0].name, None, None, reason)


def _varying(columns: tuple[Column, ...]) -> list[Column]:
    """Columns with at least two values: a constant column labels nothing."""
    return [c for c in columns if c.distinct >= 2]
