"""Which charts a frame can show: `fits` checks one spec, `chart_options` lists them all.

A spec fits when its columns exist and play the part its kind needs (see `spec.py`):
values are always measures, line x is time, bar x is a category, id or time, donut slices
are 2–8 parts of an additive or share measure, colours split into at most 10 series.
Both the UI's chart switcher and the check of a model-proposed spec use `fits`, so a
model can only ask for a chart the user could also have picked.
"""

from __future__ import annotations

from itertools import permutations
from typing import TypeGuard

import pandas as pd

from backend.charts.choose import (
    MAX_DONUT_PARTS,
    choose_chart,
    make_spec,
    series_column,
    table_spec,
)
from backend.charts.columns import Column, Profile, profile
from backend.charts.names import is_additive, is_share
from backend.charts.spec import ChartKind, ChartSpec

MAX_OPTIONS = 40
_DIMENSION_ROLES = frozenset({"category", "id", "time"})


def chart_options(frame: pd.DataFrame) -> list[ChartSpec]:
    """The default chart first, then every other kind/axes choice that fits, then a table."""
    best = choose_chart(frame)
    shape = profile(frame)
    options = [best]
    seen = {best.axes}
    for spec in (*_candidates(shape), table_spec("Show the rows.")):
        if spec.axes not in seen and fits(spec, shape):
            options.append(spec)
            seen.add(spec.axes)
    return options[:MAX_OPTIONS]


def fits(spec: ChartSpec, shape: Profile) -> bool:
    """Whether `spec` can be drawn from a frame with this profile."""
    named = [n for n in (spec.x, spec.y, spec.color) if n is not None]
    if len(set(named)) != len(named) or any(shape.get(n) is None for n in named):
        return False
    x, y, color = shape.get(spec.x), shape.get(spec.y), shape.get(spec.color)
    if spec.kind == "table":
        return not named
    if spec.kind == "kpi":
        return shape.rows == 1 and x is None and color is None and _measure(y)
    if shape.rows < 2:
        return False
    return _fits_plot(spec.kind, x, y, color, spec.color is None)


def _fits_plot(
    kind: ChartKind, x: Column | None, y: Column | None, color: Column | None, plain: bool
) -> bool:
    colour_ok = plain or series_column(color)
    if kind == "line":
        return x is not None and x.role == "time" and x.distinct >= 2 and _measure(y) and colour_ok
    if kind in {"bar", "barh"}:
        return _dimension(x) and _measure(y) and colour_ok
    if kind == "scatter":
        return _measure(x) and _measure(y) and colour_ok
    if kind == "histogram":
        return _measure(x) and y is None and plain
    if kind == "donut":
        return plain and _dimension(x) and _measure(y) and _slices(x, y)
    return False


def _slices(x: Column, y: Column) -> bool:
    parts_ok = 2 <= x.distinct <= MAX_DONUT_PARTS
    return parts_ok and y.non_negative and (is_additive(y.name) or is_share(y.name))


def _measure(column: Column | None) -> TypeGuard[Column]:
    return column is not None and column.role == "measure"


def _dimension(column: Column | None) -> TypeGuard[Column]:
    return column is not None and column.role in _DIMENSION_ROLES


def _candidates(shape: Profile) -> list[ChartSpec]:
    measures = [c.name for c in shape.of("measure")]
    dims = [c.name for c in shape.columns if c.role in _DIMENSION_ROLES]
    splits = [c.name for c in shape.columns if series_column(c)]
    specs = [make_spec("kpi", None, m, None, "Alternative.") for m in measures]
    for d in dims:
        for m in measures:
            specs += [_alt(kind, d, m, None) for kind in ("line", "bar", "barh", "donut")]
            specs += [_alt(kind, d, m, s) for kind in ("line", "bar") for s in splits]
    for a, b in permutations(measures, 2):
        specs += [_alt("scatter", a, b, None), *(_alt("scatter", a, b, s) for s in splits)]
    specs += [_alt("histogram", m, None, None) for m in measures]
    return specs


def _alt(kind: ChartKind, x: str | None, y: str | None, color: str | None) -> ChartSpec:
    return make_spec(kind, x, y, color, "Alternative.")
