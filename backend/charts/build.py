"""`build_figure`: a `ChartSpec` drawn as a Plotly figure; `kpi_value`: the KPI card's text.

Figures are built from data only, never from code a model wrote: as Plotly's own plain
structure (`figure_spec`), which the page turns into a checked `plotly.graph_objects`
figure (`build_figure`) and the API writes straight as Plotly JSON (`figure_json`) —
building the objects cost more than the rest of drawing a small result.
Axis titles are humanised, values carry thousands separators, a currency symbol or a
percent sign (see `formatting`). From 10,000 points on, line and scatter traces switch to
WebGL (`Scattergl`) and histograms are binned here, so the page stays fast.

Every text is in the reader's language (`locale`): titles and axis titles (common
analytics words translated, see `glossary`), the 'Other' bar, hover texts, separators
(Plotly's `separators`) and, outside English, date ticks (see `time_ticks`).

Plotly draws a subset of HTML in every text (`<a href>` as a link, `<b>`, `<br>`,
`<span style>`): each text that comes from data (titles, axis and legend titles from
column names, categories, series names, hover labels) goes through `plotly_text`, which
escapes `&`, `<` and `>`; Plotly turns the entities back into the characters it shows.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from _plotly_utils.utils import to_typed_array_spec

from backend.charts.choose import chart_title
from backend.charts.columns import Column, Profile, as_numbers, profile
from backend.charts.formatting import (
    DEFAULT_CURRENCY,
    NumberFormat,
    axis_format,
    format_value,
    hover_value,
    plotly_separators,
)
from backend.charts.hints import NO_HINTS, ColumnHints
from backend.charts.options import fits
from backend.charts.prepare import bar_data, labels, line_data
from backend.charts.spec import ChartSpec
from backend.charts.time_ticks import date_ticks
from backend.i18n import normalise_language, t

LARGE = 10_000  # points from which traces use WebGL and histograms are pre-binned
MAX_BINS = 50
MARKERS_UP_TO = 60  # line points per series that still get a marker each

_Drawn = tuple[list[dict[str, Any]], dict[str, Any]]  # a drawer's traces and layout


@dataclass(frozen=True)
class _Ctx:
    """What every drawer needs besides the spec."""

    frame: pd.DataFrame
    shape: Profile
    locale: str
    currency: str
    hints: ColumnHints = NO_HINTS

    @property
    def language(self) -> str:
        """The language of the texts ('en'/'es'); `locale` may be finer ('es_MX')."""
        return normalise_language(self.locale) or "en"

    def label(self, name: str) -> str:
        return plotly_text(self.hints.label(name, self.language))

    def column(self, name: str | None) -> Column | None:
        return self.shape.get(name)

    def need(self, name: str | None) -> Column:
        """A column the spec's kind requires; `fits` has checked it exists."""
        column = self.shape.get(name)
        if column is None:
            raise ValueError(f"the chart needs column {name!r}")
        return column

    def fmt(self, name: str, values: pd.Series) -> NumberFormat:
        return self.hints.number_format(name, values, currency=self.currency)


Figure = dict[str, Any]
"""A figure as Plotly's own structure: `{"data": [trace, ...], "layout": {...}}`, each
trace with its `type`; arrays may be pandas or numpy values."""


def figure_spec(
    frame: pd.DataFrame,
    spec: ChartSpec,
    *,
    locale: str = "en",
    currency: str = DEFAULT_CURRENCY,
    hints: ColumnHints = NO_HINTS,
    shape: Profile | None = None,
) -> Figure | None:
    """The figure for `spec` as a plain dict; None for kpi and table, or when the spec
    does not fit the frame. `shape`: the frame's `profile`, when the caller has it.

    Plain data, not `plotly.graph_objects`: building and validating those objects cost
    more than everything else in drawing a small result (see `build_figure`)."""
    if spec.kind in {"kpi", "table"} or frame.empty:
        return None
    shape = shape or profile(frame)
    if not fits(spec, shape):
        return None
    ctx = _Ctx(frame, shape, locale, currency, hints)
    data, layout = _DRAWERS[spec.kind](ctx, spec)
    layout["title"] = {"text": plotly_text(chart_title(spec, ctx.language, hints))}
    layout["separators"] = plotly_separators(locale)
    layout["margin"] = {"l": 16, "r": 16, "t": 56, "b": 16}
    if spec.color:
        layout["legend"] = {"title": {"text": ctx.label(spec.color)}}
    return {"data": data, "layout": layout}


def build_figure(
    frame: pd.DataFrame,
    spec: ChartSpec,
    *,
    locale: str = "en",
    currency: str = DEFAULT_CURRENCY,
    hints: ColumnHints = NO_HINTS,
    shape: Profile | None = None,
) -> go.Figure | None:
    """The figure for `spec` (`figure_spec`) as a Plotly `Figure`, checked by plotly.py.

    `hints` (from the SQL and the schema's knowledge) name money columns and labels."""
    drawn = figure_spec(frame, spec, locale=locale, currency=currency, hints=hints, shape=shape)
    return None if drawn is None else go.Figure(drawn)


def figure_json(figure: Figure) -> dict[str, Any]:
    """`figure` as Plotly's JSON (what `go.Figure(figure).to_json()` writes: numeric
    arrays as base64 typed arrays, dates as ISO text), without plotly.py's default
    template: a client's Plotly.js, or its own theme, styles the figure."""
    encoded: dict[str, Any] = json.loads(pio.to_json(_typed_arrays(figure), validate=False))
    encoded["layout"]["template"] = {}
    return encoded


def _typed_arrays(value: Any) -> Any:
    """A copy of `value` whose pandas and numpy arrays are as plotly.py sends them."""
    if isinstance(value, dict):
        return {key: _typed_arrays(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_typed_arrays(item) for item in value]
    if isinstance(value, pd.Series | np.ndarray):
        return to_typed_array_spec(value)
    return value


def kpi_label(spec: ChartSpec, locale: str = "en", hints: ColumnHints = NO_HINTS) -> str:
    """The KPI card's label: 'Total revenue' / 'Ingresos totales'."""
    return hints.label(spec.y or "", locale)


def kpi_value(
    frame: pd.DataFrame,
    spec: ChartSpec,
    *,
    locale: str = "en",
    currency: str = DEFAULT_CURRENCY,
    hints: ColumnHints = NO_HINTS,
) -> str:
    """The KPI card's value, e.g. '€1.2M'; '–' when there is no value."""
    if spec.y is None or spec.y not in frame.columns or frame.empty:
        return "–"
    values = frame[spec.y]
    present = values.dropna()
    first = present.iloc[0] if not present.empty else None
    return format_value(first, hints.number_format(spec.y, values, currency=currency), locale)


def _line(ctx: _Ctx, spec: ChartSpec) -> _Drawn:
    x, y, color = ctx.need(spec.x), ctx.need(spec.y).name, ctx.column(spec.color)
    data = _plain(line_data(ctx.frame, x, y, color, ctx.locale), "x", "label", "series")
    fmt = ctx.fmt(y, data["value"])
    kind = "scattergl" if len(data) >= LARGE else "scatter"
    hover = f"%{{customdata}}<br>{ctx.label(y)}: {hover_value('y', fmt, ctx.locale)}"
    traces = [
        _trace(
            kind,
            x=part["x"],
            y=part["value"],
            name=name,
            mode="lines+markers" if len(part) <= MARKERS_UP_TO else "lines",
            customdata=part["label"],
            hovertemplate=hover + f"<extra>{name or ''}</extra>",
            showlegend=name is not None,
        )
        for name, part in _series(data)
    ]
    layout = {
        "xaxis": {**_titled(ctx.label(x.name)), **_time_axis(x, data, ctx.language)},
        "yaxis": {**_titled(ctx.label(y)), **axis_format(fmt, ctx.locale)},
    }
    return traces, layout


def _time_axis(x: Column, data: pd.DataFrame, language: str) -> dict[str, object]:
    if x.time_kind in {"quarter", "week"}:
        order = list(dict.fromkeys(data["x"]))
        return {"type": "category", "categoryorder": "array", "categoryarray": order}
    if x.time_kind == "ordinal" and x.unit in {"month", "quarter"}:
        # 'Jan'…'Dec' / 'ene'…'dic' rather than 1…12.
        points = data.drop_duplicates("x").sort_values("x")
        return {
            "tickmode": "array",
            "tickvals": list(points["x"]),
            "ticktext": list(points["label"]),
        }
    if x.time_kind in {"year", "ordinal"}:
        return {"tickformat": "d", "dtick": 1} if x.distinct <= 24 else {"tickformat": "d"}
    if language != "en":  # Plotly's own date ticks are English only
        return date_ticks(data["x"], language)
    return {}


def _bar(ctx: _Ctx, spec: ChartSpec) -> _Drawn:
    x, y, color = ctx.need(spec.x), ctx.need(spec.y).name, ctx.column(spec.color)
    bars = bar_data(ctx.frame, x, y, color, ctx.locale)
    bars = replace(bars, data=_plain(bars.data, "label", "series"))
    fmt = ctx.fmt(y, bars.data["value"])
    flat = spec.kind == "barh"
    hover = f"%{{{'y' if flat else 'x'}}}: {hover_value('x' if flat else 'y', fmt, ctx.locale)}"
    traces = []
    for name, part in _series(bars.data):
        text = None if name else [format_value(v, fmt, ctx.locale) for v in part["value"]]
        cats, values = part["label"], part["value"]
        traces.append(
            _trace(
                "bar",
                x=values if flat else cats,
                y=cats if flat else values,
                name=name,
                orientation="h" if flat else "v",
                text=text,
                textposition="auto",
                hovertemplate=hover + f"<extra>{name or ''}</extra>",
            )
        )
    order = list(dict.fromkeys(bars.data["label"]))
    category_axis = {"type": "category", "categoryorder": "array", "categoryarray": order}
    category_axis = {**_titled(ctx.label(x.name)), **category_axis}
    value_axis = {**_titled(ctx.label(y)), **axis_format(fmt, ctx.locale)}
    layout: dict[str, Any] = {"barmode": "stack" if bars.additive else "group"}
    if flat:
        layout.update(yaxis={**category_axis, "autorange": "reversed"}, xaxis=value_axis)
    else:
        layout.update(xaxis=category_axis, yaxis=value_axis)
    return traces, layout


def _donut(ctx: _Ctx, spec: ChartSpec) -> _Drawn:
    x, y = ctx.need(spec.x), ctx.need(spec.y).name
    bars = bar_data(ctx.frame, x, y, None, ctx.locale)
    bars = replace(bars, data=_plain(bars.data, "label"))
    fmt = ctx.fmt(y, bars.data["value"])
    hover = f"%{{label}}: {hover_value('value', fmt, ctx.locale)} (%{{percent}})<extra></extra>"
    pie = _trace(
        "pie",
        labels=bars.data["label"],
        values=bars.data["value"],
        hole=0.5,
        sort=False,
        direction="clockwise",
        textinfo="percent",
        hovertemplate=hover,
    )
    # No legend title, as before: plotly.py's update dropped the one set here.
    return [pie], {}


def _scatter(ctx: _Ctx, spec: ChartSpec) -> _Drawn:
    x, y, color = ctx.need(spec.x).name, ctx.need(spec.y).name, ctx.column(spec.color)
    data = pd.DataFrame({"x": as_numbers(ctx.frame[x]), "y": as_numbers(ctx.frame[y])})
    if color is not None:
        data["series"] = labels(ctx.frame[color.name], color, ctx.locale).map(plotly_text)
    data = data.dropna(subset=["x", "y"])
    x_fmt, y_fmt = ctx.fmt(x, data["x"]), ctx.fmt(y, data["y"])
    large = len(data) >= LARGE
    hover = (
        f"{ctx.label(x)}: {hover_value('x', x_fmt, ctx.locale)}<br>"
        f"{ctx.label(y)}: {hover_value('y', y_fmt, ctx.locale)}"
    )
    traces = [
        _trace(
            "scattergl" if large else "scatter",
            x=part["x"],
            y=part["y"],
            name=name,
            mode="markers",
            marker={"opacity": 0.5 if large else 0.8},
            showlegend=name is not None,
            hovertemplate=hover + f"<extra>{name or ''}</extra>",
        )
        for name, part in _series(data)
    ]
    layout = {
        "xaxis": {**_titled(ctx.label(x)), **axis_format(x_fmt, ctx.locale)},
        "yaxis": {**_titled(ctx.label(y)), **axis_format(y_fmt, ctx.locale)},
    }
    return traces, layout


def _histogram(ctx: _Ctx, spec: ChartSpec) -> _Drawn:
    x = ctx.need(spec.x).name
    values = as_numbers(ctx.frame[x]).dropna()
    fmt = ctx.fmt(x, values)
    if len(values) >= LARGE:
        counts, edges = np.histogram(values, bins=min(MAX_BINS, int(np.sqrt(len(values)))))
        centres = (edges[:-1] + edges[1:]) / 2
        trace = _trace("bar", x=centres, y=counts, width=np.diff(edges), name="")
    else:
        trace = _trace("histogram", x=values, nbinsx=MAX_BINS, name="")
    layout = {
        "bargap": 0.02,
        "xaxis": {**_titled(ctx.label(x)), **axis_format(fmt, ctx.locale)},
        "yaxis": {**_titled(t("charts.axis.rows", ctx.language)), "tickformat": ",d"},
    }
    return [trace], layout


def _trace(kind: str, **props: Any) -> dict[str, Any]:
    """A trace of type `kind` with the properties given (None: not set)."""
    return {"type": kind, **{key: value for key, value in props.items() if value is not None}}


def _titled(title: str) -> dict[str, Any]:
    return {"title": {"text": title}}


def plotly_text(text: object) -> str:
    """`text` as Plotly shows it, never as markup: `<a href=…>` stays those characters."""
    return html.escape(str(text), quote=False)


def _plain(data: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """A copy of `data` whose text values in `columns` (those present) are `plotly_text`."""
    data = data.copy()
    for name in columns:
        if name in data.columns:
            data[name] = data[name].map(lambda v: plotly_text(v) if isinstance(v, str) else v)
    return data


def _series(data: pd.DataFrame) -> Iterator[tuple[str | None, pd.DataFrame]]:
    """(name, rows) per colour series; one unnamed group when there is no colour."""
    if "series" not in data.columns:
        yield None, data
        return
    for name, part in data.groupby("series", sort=False):
        yield str(name), part


_DRAWERS: dict[str, Callable[[_Ctx, ChartSpec], _Drawn]] = {
    "line": _line,
    "bar": _bar,
    "barh": _bar,
    "donut": _donut,
    "scatter": _scatter,
    "histogram": _histogram,
}
