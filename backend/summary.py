"""`summarise`: one or two sentences that state what a result shows, from the data alone.

Deterministic and model-free: the numbers come from the same aggregation the chart draws
(`backend.charts.prepare`) and are written by the same formatter (`€1.2M`, `12.5%`), so
the sentence, the KPI card and the chart never disagree.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from backend.charts.build import kpi_value
from backend.charts.columns import Column, Profile, as_numbers, profile
from backend.charts.formatting import (
    DEFAULT_CURRENCY,
    NumberFormat,
    format_count,
    format_value,
    number_format,
)
from backend.charts.names import humanise, in_sentence, is_additive, plural
from backend.charts.options import fits
from backend.charts.prepare import OTHER, bar_data, line_data
from backend.charts.spec import ChartSpec

NO_ROWS = "The query returned no rows."
MAX_KPI_EXTRAS = 2
_PERCENT = NumberFormat("percent", fraction=True)


class _Writer:
    """Formats values of one frame for sentences."""

    def __init__(self, frame: pd.DataFrame, locale: str, currency: str) -> None:
        self.frame, self.locale, self.currency = frame, locale, currency
        self.shape: Profile = profile(frame)

    def fmt(self, name: str, values: pd.Series) -> NumberFormat:
        return number_format(name, values, currency=self.currency)

    def value(self, number: object, fmt: NumberFormat) -> str:
        return format_value(number, fmt, self.locale)

    def need(self, name: str | None) -> Column:
        """A column the spec's kind requires; `fits` has checked it exists."""
        column = self.shape.get(name)
        if column is None:
            raise ValueError(f"the chart needs column {name!r}")
        return column

    def count(self, count: int, noun: str) -> str:
        return f"{format_count(count, self.locale)} {noun if count == 1 else plural(noun)}"


def summarise(
    frame: pd.DataFrame,
    spec: ChartSpec,
    question: str | None = None,
    *,
    locale: str = "en",
    currency: str = DEFAULT_CURRENCY,
) -> str:
    """A sentence or two about `frame` as `spec` shows it.

    `question` is accepted so callers can pass the context they have; the wording comes
    from the data only, so a misread question is never repeated back as a finding.
    """
    del question  # see docstring
    if frame.empty:
        return NO_ROWS
    writer = _Writer(frame, locale, currency)
    if spec.kind == "table" or not fits(spec, writer.shape):
        return _table(writer)
    return _SENTENCES[spec.kind](writer, spec)


def _table(writer: _Writer) -> str:
    return writer.count(writer.shape.rows, "row") + "."


def _kpi(writer: _Writer, spec: ChartSpec) -> str:
    y = writer.need(spec.y).name
    others = [c.name for c in writer.shape.of("measure") if c.name != y][:MAX_KPI_EXTRAS]

    def value(name: str) -> str:
        card = ChartSpec("kpi", y=name)
        return kpi_value(writer.frame, card, locale=writer.locale, currency=writer.currency)

    extras = ", ".join(f"{in_sentence(name)} {value(name)}" for name in others)
    return f"{humanise(y)} is {value(y)}." + (f" Also: {extras}." if extras else "")


def _bars(writer: _Writer, spec: ChartSpec) -> str:
    x, y = writer.need(spec.x), writer.need(spec.y).name
    bars = bar_data(writer.frame, x, y, writer.shape.get(spec.color))
    fmt = writer.fmt(y, bars.data["value"])
    grouped = bars.data[bars.data["label"] != OTHER].groupby("label", sort=False)["value"]
    totals = (grouped.sum(min_count=1) if bars.additive else grouped.max()).dropna()
    ranked = totals.sort_values(ascending=False, kind="stable")
    total = writer.count(bars.categories, in_sentence(x.name))
    if ranked.empty:
        return f"No values for {in_sentence(y)}; {total}."
    top, top_value = _start(str(ranked.index[0])), writer.value(ranked.iloc[0], fmt)
    first = (
        f"{top} leads with {top_value} in {in_sentence(y)}"
        if bars.additive
        else f"{top} has the highest {in_sentence(y)} ({top_value})"
    )
    if len(ranked) == 1:
        return first + "."
    second = f"followed by {ranked.index[1]} ({writer.value(ranked.iloc[1], fmt)})"
    if bars.categories <= 2:  # both named already
        return f"{first}, {second}."
    return f"{first}, {second}; {total} in total."


def _donut(writer: _Writer, spec: ChartSpec) -> str:
    x, y = writer.need(spec.x), writer.need(spec.y).name
    bars = bar_data(writer.frame, x, y)
    fmt = writer.fmt(y, bars.data["value"])
    ranked = bars.data.sort_values("value", ascending=False, kind="stable")
    total = float(ranked["value"].sum())
    if not total > 0:  # nothing to share out
        return _bars(writer, spec)
    label, value = ranked["label"].iloc[0], float(ranked["value"].iloc[0])
    share = writer.value(value / total, _PERCENT)
    of = (
        ""
        if fmt.kind == "percent"
        else f" ({writer.value(value, fmt)} of {writer.value(total, fmt)})"
    )
    parts = writer.count(bars.categories, in_sentence(x.name))
    return f"{_start(label)} makes up the largest share: {share}{of}; {parts} in total."


def _line(writer: _Writer, spec: ChartSpec) -> str:
    x, y = writer.need(spec.x), writer.need(spec.y).name
    color = writer.shape.get(spec.color)
    data = line_data(writer.frame, x, y, color).dropna(subset=["value"])
    if data.empty:
        return f"No values for {in_sentence(y)}."
    fmt = writer.fmt(y, data["value"])
    if color is None:
        return _trend(writer, humanise(y), data, fmt)
    last = data[data["key"] == data["key"].max()].sort_values("value", ascending=False)
    leader = (
        f"{_start(last['series'].iloc[0])} is highest in {last['label'].iloc[0]} "
        f"({writer.value(last['value'].iloc[0], fmt)})."
    )
    if not is_additive(y):
        return leader
    total = data.groupby(["key", "label"], sort=True)["value"].sum().reset_index()
    label = f"{humanise(y)} across all {plural(in_sentence(color.name))}"
    return f"{_trend(writer, label, total, fmt)} {leader}"


def _trend(writer: _Writer, label: str, data: pd.DataFrame, fmt: NumberFormat) -> str:
    """'Revenue went from €80K in Jan 2024 to €120K in Sep 2026 (+50%), peaking at …'."""
    values, labels = data["value"].reset_index(drop=True), data["label"].reset_index(drop=True)
    if len(values) == 1:
        return f"{label} is {writer.value(values[0], fmt)} in {labels[0]}."
    first, last, peak = values.iloc[0], values.iloc[-1], int(values.idxmax())
    text = (
        f"{label} went from {writer.value(first, fmt)} in {labels.iloc[0]} "
        f"to {writer.value(last, fmt)} in {labels.iloc[-1]}{_change(writer, first, last, fmt)}"
    )
    if 0 < peak < len(values) - 1:
        text += f", peaking at {writer.value(values[peak], fmt)} in {labels[peak]}"
    return text + "."


def _change(writer: _Writer, first: float, last: float, fmt: NumberFormat) -> str:
    if fmt.kind == "percent":
        points = (last - first) * (100 if fmt.fraction else 1)
        shown = format_value(points, NumberFormat(), writer.locale)
        return f" ({'+' if points > 0 else ''}{shown} pp)"
    if first == 0:
        return ""
    change = (last - first) / abs(first)
    return f" ({'+' if change > 0 else ''}{writer.value(change, _PERCENT)})"


def _scatter(writer: _Writer, spec: ChartSpec) -> str:
    x, y = writer.need(spec.x).name, writer.need(spec.y).name
    data = pd.DataFrame(
        {"x": as_numbers(writer.frame[x]), "y": as_numbers(writer.frame[y])}
    ).dropna()
    rows = writer.count(len(data), "row")
    r = data["x"].corr(data["y"]) if len(data) >= 3 else float("nan")
    if pd.isna(r):
        return f"{humanise(y)} against {in_sentence(x)} across {rows}."
    phrase = _relation(float(r)).format(x=in_sentence(x))
    strength = format_value(round(float(r), 2), NumberFormat(), writer.locale)
    return f"{humanise(y)} {phrase} across {rows} (correlation {strength})."


def _relation(r: float) -> str:
    if r >= 0.7:
        return "rises strongly with {x}"
    if r >= 0.3:
        return "tends to rise with {x}"
    if r > -0.3:
        return "shows no clear relation to {x}"
    if r > -0.7:
        return "tends to fall as {x} rises"
    return "falls strongly as {x} rises"


def _histogram(writer: _Writer, spec: ChartSpec) -> str:
    x = writer.need(spec.x).name
    values = as_numbers(writer.frame[x]).dropna()
    stats = values.agg(["min", "max", "median"])
    fmt = writer.fmt(x, stats)  # a median of whole numbers may have decimals
    low, high, median = (writer.value(v, fmt) for v in stats)
    rows = writer.count(len(values), "row")
    return f"{humanise(x)} ranges from {low} to {high}, with a median of {median}, across {rows}."


def _start(label: str) -> str:
    """A data value opening a sentence: 'open' → 'Open'; 'iPhone' and 'DE' stay as they are."""
    return label[:1].upper() + label[1:] if label == label.lower() else label


_SENTENCES: dict[str, Callable[[_Writer, ChartSpec], str]] = {
    "kpi": _kpi,
    "bar": _bars,
    "barh": _bars,
    "donut": _donut,
    "line": _line,
    "scatter": _scatter,
    "histogram": _histogram,
}
