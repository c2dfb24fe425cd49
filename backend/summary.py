"""`summarise`: one or two sentences that state what a result shows, from the data alone.

Deterministic and model-free: the numbers come from the same aggregation the chart draws
(`backend.charts.prepare`) and are written by the same formatter (`€1.2M`, `12.5%`), so
the sentence, the KPI card and the chart never disagree. Sentences come from the message
catalogue (`summary.*` keys) in the reader's language: English or Spanish, with numbers,
months and column labels as that language writes them ('Ingresos totales: 1,2 M€.').
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from backend.charts.build import kpi_value
from backend.charts.columns import Column, Profile, as_numbers, profile
from backend.charts.formatting import DEFAULT_CURRENCY, NumberFormat, format_count, format_value
from backend.charts.hints import NO_HINTS, ColumnHints
from backend.charts.names import is_count, plural
from backend.charts.options import fits
from backend.charts.prepare import bar_data, line_data
from backend.charts.spec import ChartSpec
from backend.i18n import Translator

MAX_KPI_EXTRAS = 2
_PERCENT = NumberFormat("percent", fraction=True)


class _Writer:
    """Formats values of one frame for sentences, in one language."""

    def __init__(
        self, frame: pd.DataFrame, locale: str, currency: str, hints: ColumnHints, shape: Profile
    ) -> None:
        self.frame, self.locale, self.currency, self.hints = frame, locale, currency, hints
        self.shape = shape
        self.t = Translator(locale)
        # Labels follow the sentence's language, numbers the full locale ('es_MX').
        self.language = self.t.language

    def fmt(self, name: str, values: pd.Series) -> NumberFormat:
        return self.hints.number_format(name, values, currency=self.currency)

    def value(self, number: object, fmt: NumberFormat) -> str:
        return format_value(number, fmt, self.locale)

    def need(self, name: str | None) -> Column:
        """A column the spec's kind requires; `fits` has checked it exists."""
        column = self.shape.get(name)
        if column is None:
            raise ValueError(f"the chart needs column {name!r}")
        return column

    def label(self, name: str) -> str:
        return self.hints.label(name, self.language)

    def word(self, name: str) -> str:
        return self.hints.word(name, self.language)

    def rows(self, count: int) -> str:
        """'12 rows' / '12 filas'."""
        key = "summary.rows.one" if count == 1 else "summary.rows.other"
        return self.t(key, count=format_count(count, self.locale))

    def count(self, count: int, name: str) -> str:
        """'12 countries' / '12 países'; '12 valores de X' where Spanish lacks the plural."""
        number = format_count(count, self.locale)
        many = self.hints.plural(name, self.language)
        if many is None:
            key = "summary.values_of.one" if count == 1 else "summary.values_of.other"
            return self.t(key, count=number, noun=self.word(name))
        return f"{number} {self.word(name) if count == 1 else many}"


def summarise(
    frame: pd.DataFrame,
    spec: ChartSpec,
    question: str | None = None,
    *,
    locale: str = "en",
    currency: str = DEFAULT_CURRENCY,
    truncated: bool = False,
    hints: ColumnHints = NO_HINTS,
    shape: Profile | None = None,
) -> str:
    """A sentence or two about `frame` as `spec` shows it.

    `question` is accepted so callers can pass the context they have; the wording comes
    from the data only, so a misread question is never repeated back as a finding.
    `truncated` (the row cap cut the result) makes it say so: "More than 1,000 rows.",
    or a chart's sentence followed by "Counted on the first 1,000 rows only."
    `hints` (from the SQL and the schema's knowledge) name money columns and labels;
    `shape` is the frame's `profile`, when the caller has it.
    """
    del question  # see docstring
    if frame.empty:
        return Translator(locale)("summary.no_rows")
    writer = _Writer(frame, locale, currency, hints, shape or profile(frame))
    if spec.kind == "table" or not fits(spec, writer.shape):
        return _table(writer, truncated)
    sentence = _SENTENCES[spec.kind](writer, spec)
    if not truncated:
        return sentence
    first = writer.t("summary.first_rows", count=format_count(writer.shape.rows, locale))
    return f"{sentence} {first}"


def _table(writer: _Writer, truncated: bool = False) -> str:
    if truncated:  # the cap cut it: the true count is unknown, and larger
        return writer.t("summary.rows.more", count=format_count(writer.shape.rows, writer.locale))
    return writer.rows(writer.shape.rows) + "."


def _kpi(writer: _Writer, spec: ChartSpec) -> str:
    y = writer.need(spec.y).name
    others = [c.name for c in writer.shape.of("measure") if c.name != y][:MAX_KPI_EXTRAS]

    def value(name: str) -> str:
        card = ChartSpec("kpi", y=name)
        return kpi_value(
            writer.frame, card, locale=writer.locale, currency=writer.currency, hints=writer.hints
        )

    text = _kpi_sentence(writer, y, value(y))
    if not others:
        return text
    extras = ", ".join(f"{writer.word(name)} {value(name)}" for name in others)
    return f"{text} {writer.t('summary.kpi.also', values=extras)}"


def _kpi_sentence(writer: _Writer, y: str, value: str) -> str:
    """'There are 1,073 orders.' for a count of a table's rows, 'Number of customers: 28.'
    for another count (by the SQL: "Orders is 1,073." reads badly), else 'Revenue is €1.2M.'."""
    noun = writer.hints.rows_counted(y)
    if noun is not None and _first(writer.frame[y]) != 1:  # '1 orders' would need a singular
        return writer.t("summary.kpi.rows", count=value, noun=noun)
    if noun is not None:
        return writer.t("summary.kpi.number", noun=noun, value=value)
    if not writer.hints.is_count(y):
        return writer.t("summary.kpi", label=writer.label(y), value=value)
    if is_count(y):  # 'order_count', 'COUNT(*)': "Number of order count" would stutter
        return writer.t("summary.kpi.count", label=writer.label(y), value=value)
    return writer.t("summary.kpi.number", noun=writer.word(y), value=value)


def _first(values: pd.Series) -> object:
    present = values.dropna()
    return present.iloc[0] if not present.empty else None


def _bars(writer: _Writer, spec: ChartSpec) -> str:
    x, y = writer.need(spec.x), writer.need(spec.y).name
    bars = bar_data(writer.frame, x, y, writer.shape.get(spec.color), writer.locale)
    fmt = writer.fmt(y, bars.data["value"])
    grouped = bars.data[bars.data["label"] != bars.other].groupby("label", sort=False)["value"]
    totals = (grouped.sum(min_count=1) if bars.additive else grouped.max()).dropna()
    ranked = totals.sort_values(ascending=False, kind="stable")
    total = writer.count(bars.categories, x.name)
    measure = writer.word(y)
    if ranked.empty:
        return writer.t("summary.bars.no_values", measure=measure, total=total)
    top, top_value = _start(str(ranked.index[0])), writer.value(ranked.iloc[0], fmt)
    key = "summary.bars.leads" if bars.additive else "summary.bars.highest"
    first = writer.t(key, top=top, value=top_value, measure=measure)
    if len(ranked) == 1:
        return first + "."
    second = writer.t(
        "summary.bars.followed", label=ranked.index[1], value=writer.value(ranked.iloc[1], fmt)
    )
    if bars.categories <= 2:  # both named already
        return f"{first}, {second}."
    return f"{first}, {second}; {writer.t('summary.in_total', count=total)}."


def _donut(writer: _Writer, spec: ChartSpec) -> str:
    x, y = writer.need(spec.x), writer.need(spec.y).name
    bars = bar_data(writer.frame, x, y, None, writer.locale)
    fmt = writer.fmt(y, bars.data["value"])
    ranked = bars.data.sort_values("value", ascending=False, kind="stable")
    total = float(ranked["value"].sum())
    if not total > 0:  # nothing to share out
        return _bars(writer, spec)
    label, value = ranked["label"].iloc[0], float(ranked["value"].iloc[0])
    share = writer.value(value / total, _PERCENT)
    text = writer.t("summary.donut.largest", label=_start(label), share=share)
    if fmt.kind != "percent":
        of = writer.t(
            "summary.donut.of", value=writer.value(value, fmt), total=writer.value(total, fmt)
        )
        text += f" ({of})"
    parts = writer.count(bars.categories, x.name)
    return f"{text}; {writer.t('summary.in_total', count=parts)}."


def _line(writer: _Writer, spec: ChartSpec) -> str:
    x, y = writer.need(spec.x), writer.need(spec.y).name
    color = writer.shape.get(spec.color)
    data = line_data(writer.frame, x, y, color, writer.locale).dropna(subset=["value"])
    if data.empty:
        return writer.t("summary.no_values", measure=writer.word(y))
    fmt = writer.fmt(y, data["value"])
    if color is None:
        return _trend(writer, writer.label(y), data, fmt)
    last = data[data["key"] == data["key"].max()].sort_values("value", ascending=False)
    leader = writer.t(
        "summary.line.highest",
        series=_start(last["series"].iloc[0]),
        period=last["label"].iloc[0],
        value=writer.value(last["value"].iloc[0], fmt),
    )
    if not writer.hints.additive(y):
        return leader
    total = data.groupby(["key", "label"], sort=True)["value"].sum().reset_index()
    # English says 'across all channels', Spanish 'suma de cada canal' (singular).
    name = writer.word(color.name)
    series = plural(name) if writer.language == "en" else name
    label = writer.t("summary.line.all_series", measure=writer.label(y), series=series)
    return f"{_trend(writer, label, total, fmt)} {leader}"


def _trend(writer: _Writer, label: str, data: pd.DataFrame, fmt: NumberFormat) -> str:
    """'Revenue went from €80K in Jan 2024 to €120K in Sep 2026 (+50%), peaking at …'."""
    values, labels = data["value"].reset_index(drop=True), data["label"].reset_index(drop=True)
    if len(values) == 1:
        value = writer.value(values[0], fmt)
        return writer.t("summary.trend.single", label=label, value=value, period=labels[0])
    # argmax is a position, the same as idxmax's label on the index reset above.
    first, last, peak = values.iloc[0], values.iloc[-1], int(values.argmax())
    text = writer.t(
        "summary.trend",
        label=label,
        first=writer.value(first, fmt),
        start=labels.iloc[0],
        last=writer.value(last, fmt),
        end=labels.iloc[-1],
    )
    text += _change(writer, first, last, fmt)
    if 0 < peak < len(values) - 1:
        peaked = writer.t(
            "summary.trend.peak", value=writer.value(values[peak], fmt), period=labels[peak]
        )
        text += f", {peaked}"
    return text + "."


def _change(writer: _Writer, first: float, last: float, fmt: NumberFormat) -> str:
    if fmt.kind == "percent":
        points = (last - first) * (100 if fmt.fraction else 1)
        shown = format_value(points, NumberFormat(), writer.locale)
        return f" ({'+' if points > 0 else ''}{writer.t('summary.points', value=shown)})"
    if first == 0:
        return ""
    change = (last - first) / abs(first)
    return f" ({'+' if change > 0 else ''}{writer.value(change, _PERCENT)})"


def _scatter(writer: _Writer, spec: ChartSpec) -> str:
    x, y = writer.need(spec.x).name, writer.need(spec.y).name
    data = pd.DataFrame(
        {"x": as_numbers(writer.frame[x]), "y": as_numbers(writer.frame[y])}
    ).dropna()
    rows = writer.rows(len(data))
    r = data["x"].corr(data["y"]) if len(data) >= 3 else float("nan")
    if pd.isna(r):
        return writer.t("summary.scatter.plain", y=writer.label(y), x=writer.word(x), rows=rows)
    relation = writer.t(_relation(float(r)), x=writer.word(x))
    strength = format_value(round(float(r), 2), NumberFormat(), writer.locale)
    return writer.t("summary.scatter", y=writer.label(y), relation=relation, rows=rows, r=strength)


def _relation(r: float) -> str:
    if r >= 0.7:
        return "summary.relation.strong_up"
    if r >= 0.3:
        return "summary.relation.up"
    if r > -0.3:
        return "summary.relation.none"
    if r > -0.7:
        return "summary.relation.down"
    return "summary.relation.strong_down"


def _histogram(writer: _Writer, spec: ChartSpec) -> str:
    x = writer.need(spec.x).name
    values = as_numbers(writer.frame[x]).dropna()
    stats = values.agg(["min", "max", "median"])
    fmt = writer.fmt(x, stats)  # a median of whole numbers may have decimals
    low, high, median = (writer.value(v, fmt) for v in stats)
    return writer.t(
        "summary.histogram",
        x=writer.label(x),
        low=low,
        high=high,
        median=median,
        rows=writer.rows(len(values)),
    )


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
