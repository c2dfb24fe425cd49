"""The monitoring page's Plotly figures, in the reader's language, from `figures.Figures`.

Built from data only, like the answers' charts (`backend.charts.build`): every text that
comes from data (model names, stage names) goes through `plotly_text`, numbers use the
language's separators, and outside English the day axis gets its own ticks (Plotly's are
English only). Hover labels carry the day written in the reader's language.
Series split per version (`version_label`) so that a change of model, digest or prompt
shows as a new colour from the day it happened.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import plotly.graph_objects as go

from backend.charts.build import plotly_text
from backend.charts.formatting import plotly_separators
from backend.charts.time_ticks import date_ticks
from backend.i18n import t
from backend.i18n.formats import format_date_pattern
from backend.monitoring.figures import VERSION, Figures
from backend.monitoring.outcome import OUTCOMES
from backend.monitoring.runs import STAGES, TOTAL

HEIGHT = 340
DIGEST_SHOWN = 12  # as `ollama list` shows a model's id
# Fixed colours, so an outcome or a vote reads the same on every day and every page.
OUTCOME_COLOURS = {
    "answered": "#2e7d32",
    "empty": "#9ccc65",
    "refused": "#ef6c00",
    "db_error": "#c62828",
    "gave_up": "#6a1b9a",
    "model_down": "#37474f",
    "other": "#9e9e9e",
}
VOTE_COLOURS = {"up": "#2e7d32", "down": "#c62828"}


def version_label(model: object, digest: object, prompt_hash: object) -> str:
    """'qwen2.5-coder:7b 1a2b3c4d5e6f · 0123456789ab': model, digest, prompt hash."""
    name = str(model) if model else "?"
    if isinstance(digest, str) and digest:
        name += " " + digest.removeprefix("sha256:")[:DIGEST_SHOWN]
    return f"{name} · {prompt_hash}"


def versions_of(frame: pd.DataFrame) -> list[str]:
    """The version label of each row of `frame` (which has the `VERSION` columns)."""
    rows = zip(*(frame[name] for name in VERSION), strict=True)
    return [version_label(*row) for row in rows]


def questions_chart(figures: Figures, language: str) -> go.Figure:
    """Questions per day, stacked per version."""
    data = figures.questions.assign(version=versions_of(figures.questions))
    figure = go.Figure()
    for version, part in _groups(data, "version"):
        figure.add_trace(_bar(part, "questions", plotly_text(version), language))
    figure.update_layout(barmode="stack")
    return _finish(figure, data["day"], "monitoring.chart.questions", language, axis="questions")


def outcomes_chart(figures: Figures, language: str) -> go.Figure:
    """Each outcome's share of the day's questions, stacked to 100%."""
    data = figures.outcomes
    figure = go.Figure()
    for outcome in OUTCOMES:
        part = data[data["outcome"] == outcome]
        if part.empty:
            continue
        name = t(f"monitoring.outcome.{outcome}", language)
        bar = _bar(part, "share", name, language, percent=True)
        bar.marker.color = OUTCOME_COLOURS[outcome]
        figure.add_trace(bar)
    figure.update_layout(barmode="stack")
    figure.update_yaxes(tickformat=".0%", range=[0, 1])
    return _finish(figure, data["day"], "monitoring.chart.outcomes", language, axis="share")


def votes_chart(figures: Figures, language: str) -> go.Figure:
    """Thumbs up and down per day, side by side."""
    data = figures.votes
    figure = go.Figure()
    for rating in ("up", "down"):
        part = data[data["rating"] == rating]
        bar = _bar(part, "votes", t(f"monitoring.vote.{rating}", language), language)
        bar.marker.color = VOTE_COLOURS[rating]
        figure.add_trace(bar)
    figure.update_layout(barmode="group")
    return _finish(figure, data["day"], "monitoring.chart.votes", language, axis="votes")


def waits_chart(figures: Figures, language: str) -> go.Figure:
    """The median and 95th-percentile wait per day, a line each per version."""
    data = figures.waits.assign(version=versions_of(figures.waits))
    figure = go.Figure()
    for version, part in _groups(data, "version"):
        for column, dash in (("p50", "solid"), ("p95", "dot")):
            name = f"{plotly_text(version)} · {t(f'monitoring.{column}', language)}"
            figure.add_trace(
                go.Scatter(
                    x=list(part["day"]),
                    y=list(part[column]),
                    name=name,
                    mode="lines+markers",
                    line={"dash": dash},
                    hovertext=_days(part["day"], language),
                    hovertemplate=f"%{{hovertext}}: %{{y:,.2f}} s<extra>{name}</extra>",
                )
            )
    return _finish(figure, data["day"], "monitoring.chart.waits", language, axis="seconds")


def stages_chart(figures: Figures, language: str) -> go.Figure:
    """p50 and p95 seconds of each stage, a pair of bars per version."""
    data = figures.stages.assign(version=versions_of(figures.stages))
    order = _stage_order(data["stage"])
    labels = {stage: _stage_label(stage, language) for stage in order}
    figure = go.Figure()
    for version, part in _groups(data, "version"):
        part = part.set_index("stage").reindex(order)
        for column, opacity in (("p50", 1.0), ("p95", 0.55)):
            name = f"{plotly_text(version)} · {t(f'monitoring.{column}', language)}"
            figure.add_trace(
                go.Bar(
                    x=[labels[stage] for stage in order],
                    y=list(part[column]),
                    name=name,
                    opacity=opacity,
                    hovertemplate=f"%{{x}}: %{{y:,.2f}} s<extra>{name}</extra>",
                )
            )
    figure.update_layout(barmode="group")
    figure.update_xaxes(title_text=t("monitoring.axis.stage", language))
    figure.update_yaxes(title_text=t("monitoring.axis.seconds", language), tickformat=",~r")
    return _layout(figure, "monitoring.chart.stages", language)


def far_chart(figures: Figures, language: str) -> go.Figure:
    """The share of each day's measured questions far from every indexed table and
    reviewed example: a rising curve says the knowledge needs work."""
    data = figures.far
    name = t("monitoring.far.series", language)
    figure = go.Figure(
        go.Scatter(
            x=list(data["day"]),
            y=list(data["share"]),
            name=name,
            mode="lines+markers",
            customdata=data[["far", "measured"]].to_numpy(),
            hovertext=_days(data["day"], language),
            hovertemplate="%{hovertext}: %{y:.1%} (%{customdata[0]:,} / %{customdata[1]:,})"
            f"<extra>{name}</extra>",
        )
    )
    figure.update_yaxes(tickformat=".0%", range=[0, 1])
    return _finish(figure, data["day"], "monitoring.chart.far", language, axis="share")


# -- shared ------------------------------------------------------------------------------


def _groups(data: pd.DataFrame, column: str) -> Iterable[tuple[str, pd.DataFrame]]:
    """(value, rows) per distinct value of `column`, in order of first appearance."""
    for value in dict.fromkeys(data[column]):
        yield str(value), data[data[column] == value]


def _bar(
    part: pd.DataFrame, column: str, name: str, language: str, *, percent: bool = False
) -> go.Bar:
    value = "%{y:.1%}" if percent else "%{y:,}"
    return go.Bar(
        x=list(part["day"]),
        y=list(part[column]),
        name=name,
        hovertext=_days(part["day"], language),
        hovertemplate=f"%{{hovertext}}: {value}<extra>{name}</extra>",
    )


def _days(days: pd.Series, language: str) -> list[str]:
    return [format_date_pattern(day, "d MMM y", language) for day in days]


def _finish(
    figure: go.Figure, days: pd.Series, title_key: str, language: str, *, axis: str
) -> go.Figure:
    """A per-day chart: the day axis (ticks in the reader's language) and the value axis."""
    ticks = date_ticks(pd.Series(pd.to_datetime(list(days))), language) if language != "en" else {}
    figure.update_xaxes(ticks, type="date", title_text=t("monitoring.axis.day", language))
    figure.update_yaxes(title_text=t(f"monitoring.axis.{axis}", language))
    if axis != "share":
        figure.update_yaxes(tickformat=",~r", rangemode="tozero")
    return _layout(figure, title_key, language)


def _layout(figure: go.Figure, title_key: str, language: str) -> go.Figure:
    figure.update_layout(
        title={"text": t(title_key, language)},
        separators=plotly_separators(language),
        height=HEIGHT,
        margin={"l": 16, "r": 16, "t": 56, "b": 16},
        legend={"orientation": "h", "y": -0.25},
    )
    return figure


def _stage_order(stages: pd.Series) -> list[str]:
    """The engine's stages in the order a question meets them, then others, the total last."""
    present = list(dict.fromkeys(str(stage) for stage in stages))
    known = [stage for stage in STAGES if stage in present]
    others = sorted(stage for stage in present if stage not in STAGES and stage != TOTAL)
    return known + others + ([TOTAL] if TOTAL in present else [])


def _stage_label(stage: str, language: str) -> str:
    if stage in STAGES or stage == TOTAL:
        return t(f"monitoring.stage.{stage}", language)
    return plotly_text(stage)
