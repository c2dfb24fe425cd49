"""Drawing a result: the chart (or KPI card), the chart-type/axes switcher, the table, and
the cached, per-access run behind a dashboard tile.

Everything is decided in `backend.charts` (which chart fits, the figure, the KPI text) and,
for the table's numbers and dates, in `ui.components.formats`; this module only puts it on
the page, in the reader's language. Figures are built from data, never from code.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from backend.answer_service import AnswerService
from backend.charts import (
    NO_HINTS,
    ChartSpec,
    ColumnHints,
    build_figure,
    chart_options,
    kpi_label,
    kpi_value,
)
from backend.charts.columns import profile
from backend.charts.plotly_locale import plotly_config
from backend.dashboards import access_key
from backend.domain import Actor
from backend.i18n import Message, Translator
from ui.components.audited import audit_warnings, show_later
from ui.components.formats import NA, styled
from ui.components.markdown import escape_markdown

# The chart-type switcher's names, as catalogue keys (chat.po).
KIND_KEYS = {
    "kpi": "answer.chart.kind.kpi",
    "line": "answer.chart.kind.line",
    "bar": "answer.chart.kind.bar",
    "barh": "answer.chart.kind.barh",
    "donut": "answer.chart.kind.donut",
    "scatter": "answer.chart.kind.scatter",
    "histogram": "answer.chart.kind.histogram",
    "table": "answer.chart.kind.table",
}
TABLE_ROW_PX = 35
TABLE_MAX_PX = 360


def spec_label(spec: ChartSpec, tr: Translator, hints: ColumnHints = NO_HINTS) -> str:
    """How the axes switcher names a choice: 'Revenue by month, split by region'."""
    language = tr.language
    if spec.kind == "table":
        return tr("answer.chart.axes.rows")
    if spec.kind == "kpi":
        return hints.label(spec.y or "", language)
    if spec.kind == "histogram":
        return hints.label(spec.x or "", language)
    y, x = hints.label(spec.y or "", language), hints.word(spec.x or "", language)
    label = tr("answer.chart.axes.by", y=y, x=x)
    if not spec.color:
        return label
    return tr("answer.chart.axes.split", chart=label, color=hints.word(spec.color, language))


def render_chart(
    frame: pd.DataFrame,
    spec: ChartSpec,
    *,
    key: str,
    currency: str,
    language: str,
    title: bool = True,
    hints: ColumnHints = NO_HINTS,
) -> bool:
    """Draw `spec` (a KPI card or a Plotly chart) in `language`; False when there is nothing
    to draw. `hints`: money columns and labels from the SQL and the schema's knowledge."""
    if spec.kind == "table" or frame.empty:
        return False
    if spec.kind == "kpi":
        value = kpi_value(frame, spec, locale=language, currency=currency, hints=hints)
        # The label is markdown to Streamlit, and a column's name is the user's SQL.
        st.metric(escape_markdown(kpi_label(spec, language, hints)), value, border=True)
        return True
    figure = build_figure(frame, spec, locale=language, currency=currency, hints=hints)
    if figure is None:
        return False
    figure.update_layout(height=380)
    if not title:  # the caller shows its own heading
        figure.update_layout(title={"text": ""}, margin={"t": 16})
    st.plotly_chart(figure, width="stretch", key=key, config=plotly_config(language))
    return True


def chart_switcher(
    frame: pd.DataFrame,
    current: ChartSpec,
    *,
    key: str,
    tr: Translator,
    hints: ColumnHints = NO_HINTS,
) -> ChartSpec:
    """Two small selects, chart type then axes, among the charts that fit the frame.

    Returns the spec to draw: `current` unless the user picked another.
    """
    options = chart_options(frame)
    if len(options) < 2:
        return current
    kinds = list(dict.fromkeys(spec.kind for spec in options))
    kind_col, axes_col, _ = st.columns([1, 2, 2])
    kind = kind_col.selectbox(
        tr("answer.chart.switcher.kind"),
        kinds,
        index=kinds.index(current.kind) if current.kind in kinds else 0,
        format_func=lambda k: tr(KIND_KEYS[k]) if k in KIND_KEYS else k,
        key=f"{key}_kind",
    )
    same_kind = [spec for spec in options if spec.kind == kind]
    labels = [spec_label(spec, tr, hints) for spec in same_kind]
    index = next((i for i, s in enumerate(same_kind) if s.axes == current.axes), 0)
    with axes_col:
        chosen = st.selectbox(
            tr("answer.chart.switcher.axes"),
            range(len(same_kind)),
            index=index,
            format_func=labels.__getitem__,
            key=f"{key}_axes_{kind}",
            disabled=len(same_kind) < 2,
        )
    return same_kind[chosen]


def render_table(
    frame: pd.DataFrame,
    *,
    key: str,
    currency: str,
    language: str,
    hints: ColumnHints = NO_HINTS,
) -> None:
    """The rows with humanised headers, numbers and dates written in `language`."""
    height = min(TABLE_MAX_PX, TABLE_ROW_PX * (len(frame) + 1) + 3)
    st.dataframe(
        styled(frame, language, currency, hints),
        hide_index=True,
        width="stretch",
        height=height,
        column_config=column_config(frame, language, hints),
        placeholder=NA,  # not Streamlit's "None", in either language
        key=key,
    )


def column_config(
    frame: pd.DataFrame, language: str, hints: ColumnHints = NO_HINTS
) -> dict[str, Any]:
    """Headers for people, in `language`.

    No column gets a `format`: Streamlit would then ignore the display values that
    `styled` wrote in the reader's language.
    """
    return {
        column.name: st.column_config.Column(hints.label(column.name, language))
        for column in profile(frame).columns
    }


# -- dashboard tiles -----------------------------------------------------------------------

TILE_TTL_S = 300


@dataclass(frozen=True)
class TileResult:
    """A tile's rows as of `refreshed_at` (epoch seconds), or why there are none."""

    frame: pd.DataFrame | None
    truncated: bool
    error: str | Message | None  # rendered in the viewer's language by the page
    refreshed_at: float


def run_tile(
    sql: str, *, title: str, actor: Actor, answers: AnswerService, nonce: float
) -> TileResult:
    """The tile's SQL run through the guard as `actor`, cached for `TILE_TTL_S` seconds.

    The cache key is (SQL, data source, role, `access_key(actor)`, refresh nonce): viewers
    share a cached result only when the source, their role, policy and attributes are the
    same, so one role's rows never reach another, nor one database's another's. Each real
    run is audited (as a tile, with its title).
    """
    warnings = audit_warnings()
    key = access_key(actor)
    return _run_tile(
        sql, answers.data_source, actor.role, key, nonce, title, actor, answers, warnings
    )


@st.cache_data(ttl=TILE_TTL_S, max_entries=500, show_spinner=False)
def _run_tile(
    sql: str,
    data_source: str,
    role: str,
    access: str,
    nonce: float,
    _title: str,
    _actor: Actor,
    _answers: AnswerService,
    _warnings: list[Message],
) -> TileResult:
    del data_source, role, access, nonce  # cache key only
    reply = _answers.run_sql(_actor, sql, source="tile", question=_title, keep=False)
    show_later(reply.audit_warning, warnings=_warnings)
    answer = reply.answer
    result = answer.result
    return TileResult(
        frame=None if result is None else result.frame,
        truncated=bool(result is not None and result.truncated),
        error=answer.error_message or answer.error,
        refreshed_at=time.time(),
    )
