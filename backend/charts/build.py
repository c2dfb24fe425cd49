"""`build_figure`: a `ChartSpec` drawn as a Plotly figure; `kpi_value`: the KPI card's text.

Figures are built from data only (`plotly.graph_objects`), never from code a model wrote.
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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import plotly.graph_objects as go

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


def build_figure(
    frame: pd.DataFrame,
    spec: ChartSpec,
    *,
    locale: str = "en",
    currency: str = DEFAULT_CURRENCY,
    hints: ColumnHints = NO_HINTS,
) -> go.Figure | None:
    """The figure for `spec`; None for kpi and table, or when the spec does not fit the frame.

    `hints` (from the SQL and the schema's knowledge) name money columns and labels."""
    if spec.kind in {"kpi", "table"} or frame.empty:
        return None
    shape = profile(frame)
    if not fits(spec, shape):
        return None
    ctx = _Ctx(frame, shape, locale, currency, hints)
    figure = _DRAWERS[spec.kind](ctx, spec)
    figure.update_layout(
        title={"text": plotly_text(chart_title(spec, ctx.language, hints))},
        separators=plotly_separators(locale),
        margin={"l": 16, "r": 16, "t": 56, "b": 16},
        legend_title_text=ctx.label(spec.color) if spec.color else None,
    )
    return figure


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


def _line(ctx: _Ctx, spec: ChartSpec) -> go.Figure:
    x, y, color = ctx.need(spec.x), ctx.need(spec.y).name, ctx.column(spec.color)
    data = _plain(line_data(ctx.frame, x, y, color, ctx.locale), "x", "label", "series")
    fmt = ctx.fmt(y, data["value"])
    trace = go.Scattergl if len(data) >= LARGE else go.Scatter
    hover = f"%{{customdata}}<br>{ctx.label(y)}: {hover_value('y', fmt, ctx.locale)}"
    figure = go.Figure()
    for name, part in _series(data):
        mode = "lines+markers" if len(part) <= MARKERS_UP_TO else "lines"
        figure.add_trace(
            trace(
                x=part["x"],
                y=part["value"],
                name=name,
                mode=mode,
                customdata=part["label"],
                hovertemplate=hover + f"<extra>{name or ''}</extra>",
                showlegend=name is not None,
            )
        )
    figure.update_xaxes(_time_axis(x, data, ctx.language), title_text=ctx.label(x.name))
    figure.update_yaxes(axis_format(fmt, ctx.locale), title_text=ctx.label(y))
    return figure


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


def _bar(ctx: _Ctx, spec: ChartSpec) -> go.Figure:
    x, y, color = ctx.need(spec.x), ctx.need(spec.y).name, ctx.column(spec.color)
    bars = bar_data(ctx.frame, x, y, color, ctx.locale)
    bars = replace(bars, data=_plain(bars.data, "label", "series"))
    fmt = ctx.fmt(y, bars.data["value"])
    flat = spec.kind == "barh"
    hover = f"%{{{'y' if flat else 'x'}}}: {hover_value('x' if flat else 'y', fmt, ctx.locale)}"
    figure = go.Figure()
    for name, part in _series(bars.data):
        text = None if name else [format_value(v, fmt, ctx.locale) for v in part["value"]]
        cats, values = part["label"], part["value"]
        figure.add_trace(
            go.Bar(
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
    value_axis = {**axis_format(fmt, ctx.locale), "title_text": ctx.label(y)}
    if flat:
        figure.update_yaxes(category_axis, title_text=ctx.label(x.name), autorange="reversed")
        figure.update_xaxes(value_axis)
    else:
        figure.update_xaxes(category_axis, title_text=ctx.label(x.name))
        figure.update_yaxes(value_axis)
    figure.update_layout(barmode="stack" if bars.additive else "group")
    return figure


def _donut(ctx: _Ctx, spec: ChartSpec) -> go.Figure:
    x, y = ctx.need(spec.x), ctx.need(spec.y).name
    bars = bar_data(ctx.frame, x, y, None, ctx.locale)
    bars = replace(bars, data=_plain(bars.data, "label"))
    fmt = ctx.fmt(y, bars.data["value"])
    hover = f"%{{label}}: {hover_value('value', fmt, ctx.locale)} (%{{percent}})<extra></extra>"
    pie = go.Pie(
        labels=bars.data["label"],
        values=bars.data["value"],
        hole=0.5,
        sort=False,
        direction="clockwise",
        textinfo="percent",
        hovertemplate=hover,
    )
    return go.Figure(pie).update_layout(legend_title_text=ctx.label(x.name))


def _scatter(ctx: _Ctx, spec: ChartSpec) -> go.Figure:
    x, y, color = ctx.need(spec.x).name, ctx.need(spec.y).name, ctx.column(spec.color)
    data = pd.DataFrame({"x": as_numbers(ctx.frame[x]), "y": as_numbers(ctx.frame[y])})
    if color is not None:
        data["series"] = labels(ctx.frame[color.name], color, ctx.locale).map(plotly_text)
    data = data.dropna(subset=["x", "y"])
    x_fmt, y_fmt = ctx.fmt(x, data["x"]), ctx.fmt(y, data["y"])
    large = len(data) >= LARGE
    trace = go.Scattergl if large else go.Scatter
    hover = (
        f"{ctx.label(x)}: {hover_value('x', x_fmt, ctx.locale)}<br>"
        f"{ctx.label(y)}: {hover_value('y', y_fmt, ctx.locale)}"
    )
    figure = go.Figure()
    for name, part in _series(data):
        figure.add_trace(
            trace(
                x=part["x"],
                y=part["y"],
                name=name,
                mode="markers",
                marker={"opacity": 0.5 if large else 0.8},
                showlegend=name is not None,
                hovertemplate=hover + f"<extra>{name or ''}</extra>",
            )
        )
    figure.update_xaxes(axis_format(x_fmt, ctx.locale), title_text=ctx.label(x))
    figure.update_yaxes(axis_format(y_fmt, ctx.locale), title_text=ctx.label(y))
    return figure


def _histogram(ctx: _Ctx, spec: ChartSpec) -> go.Figure:
    x = ctx.need(spec.x).name
    values = as_numbers(ctx.frame[x]).dropna()
    fmt = ctx.fmt(x, values)
    if len(values) >= LARGE:
        counts, edges = np.histogram(values, bins=min(MAX_BINS, int(np.sqrt(len(values)))))
        trace: go.Bar | go.Histogram = go.Bar(
            x=(edges[:-1] + edges[1:]) / 2, y=counts, width=np.diff(edges), name=""
        )
    else:
        trace = go.Histogram(x=values, nbinsx=MAX_BINS, name="")
    figure = go.Figure(trace).update_layout(bargap=0.02)
    figure.update_xaxes(axis_format(fmt, ctx.locale), title_text=ctx.label(x))
    figure.update_yaxes(title_text=t("charts.axis.rows", ctx.language), tickformat=",d")
    return figure


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


_DRAWERS: dict[str, Callable[[_Ctx, ChartSpec], go.Figure]] = {
    "line": _line,
    "bar": _bar,
    "barh": _bar,
    "donut": _donut,
    "scatter": _scatter,
    "histogram": _histogram,
}
