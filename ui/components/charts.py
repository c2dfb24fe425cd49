"""Drawing a result: the chart (or KPI card), the chart-type/axes switcher, the table, and
the cached, per-access run behind a dashboard tile.

Everything is decided in `backend.charts` (which chart fits, the figure, the KPI text);
this module only puts it on the page. Figures are built from data, never from code.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
import streamlit as st

from auth.audit import AuditLog
from backend.charts import ChartSpec, build_figure, chart_options, kpi_value
from backend.charts.columns import profile
from backend.charts.names import humanise, is_money
from backend.dashboards import access_key
from backend.domain import Actor
from backend.pipeline import Engine

log = logging.getLogger(__name__)

KIND_LABELS = {
    "kpi": "Number",
    "line": "Line",
    "bar": "Bars",
    "barh": "Horizontal bars",
    "donut": "Donut",
    "scatter": "Scatter",
    "histogram": "Histogram",
    "table": "Table only",
}
TABLE_ROW_PX = 35
TABLE_MAX_PX = 360


def spec_label(spec: ChartSpec) -> str:
    """How the axes switcher names a choice: 'Revenue by month, split by region'."""
    if spec.kind == "table":
        return "Rows"
    if spec.kind == "kpi":
        return humanise(spec.y or "")
    if spec.kind == "histogram":
        return humanise(spec.x or "")
    label = f"{humanise(spec.y or '')} by {humanise(spec.x or '').lower()}"
    return f"{label}, split by {humanise(spec.color).lower()}" if spec.color else label


def render_chart(
    frame: pd.DataFrame, spec: ChartSpec, *, key: str, currency: str, title: bool = True
) -> bool:
    """Draw `spec` (a KPI card or a Plotly chart); False when there is nothing to draw."""
    if spec.kind == "table" or frame.empty:
        return False
    if spec.kind == "kpi":
        st.metric(humanise(spec.y or ""), kpi_value(frame, spec, currency=currency), border=True)
        return True
    figure = build_figure(frame, spec, currency=currency)
    if figure is None:
        return False
    figure.update_layout(height=380)
    if not title:  # the caller shows its own heading
        figure.update_layout(title={"text": ""}, margin={"t": 16})
    st.plotly_chart(figure, width="stretch", key=key, config={"displaylogo": False})
    return True


def chart_switcher(frame: pd.DataFrame, current: ChartSpec, *, key: str) -> ChartSpec:
    """Two small selects, chart type then axes, among the charts that fit the frame.

    Returns the spec to draw: `current` unless the user picked another.
    """
    options = chart_options(frame)
    if len(options) < 2:
        return current
    kinds = list(dict.fromkeys(spec.kind for spec in options))
    kind_col, axes_col, _ = st.columns([1, 2, 2])
    kind = kind_col.selectbox(
        "Chart type",
        kinds,
        index=kinds.index(current.kind) if current.kind in kinds else 0,
        format_func=lambda k: KIND_LABELS.get(k, k),
        key=f"{key}_kind",
    )
    same_kind = [spec for spec in options if spec.kind == kind]
    labels = [spec_label(spec) for spec in same_kind]
    index = next((i for i, s in enumerate(same_kind) if s.axes == current.axes), 0)
    with axes_col:
        chosen = st.selectbox(
            "Axes", range(len(same_kind)), index=index, format_func=labels.__getitem__,
            key=f"{key}_axes_{kind}", disabled=len(same_kind) < 2,
        )  # fmt: skip
    return same_kind[chosen]


def render_table(frame: pd.DataFrame, *, key: str, currency: str) -> None:
    """The rows with humanised headers and number formats by column role."""
    height = min(TABLE_MAX_PX, TABLE_ROW_PX * (len(frame) + 1) + 3)
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        height=height,
        column_config=column_config(frame, currency),
        key=key,
    )


def column_config(frame: pd.DataFrame, currency: str) -> dict[str, Any]:
    """Headers for people, thousands separators on measures, plain ids, money in currency."""
    money_formats = {"€": "euro", "$": "dollar", "¥": "yen"}
    config: dict[str, Any] = {}
    for column in profile(frame).columns:
        label = humanise(column.name)
        if column.role == "measure":
            integer = pd.api.types.is_integer_dtype(frame[column.name].dtype)
            money = is_money(column.name, integer_typed=integer)
            fmt = money_formats.get(currency, "localized") if money else "localized"
            config[column.name] = st.column_config.NumberColumn(label, format=fmt)
        elif column.role == "id" or column.time_kind in {"year", "ordinal"}:
            config[column.name] = st.column_config.NumberColumn(label, format="plain")
        else:
            config[column.name] = st.column_config.Column(label)
    return config


# -- dashboard tiles -----------------------------------------------------------------------

TILE_TTL_S = 300


@dataclass(frozen=True)
class TileResult:
    """A tile's rows as of `refreshed_at` (epoch seconds), or why there are none."""

    frame: pd.DataFrame | None
    truncated: bool
    error: str | None
    refreshed_at: float


def run_tile(
    sql: str, *, actor: Actor, engine: Engine, audit: AuditLog, nonce: float
) -> TileResult:
    """The tile's SQL run through the guard as `actor`, cached for `TILE_TTL_S` seconds.

    The cache key is (SQL, role, `access_key(actor)`, refresh nonce): viewers share a
    cached result only when their role, policy and attributes are the same, so one
    role's rows never reach another. Each real run is audited.
    """
    return _run_tile(sql, actor.role, access_key(actor), nonce, actor, engine, audit)


@st.cache_data(ttl=TILE_TTL_S, max_entries=500, show_spinner=False)
def _run_tile(
    sql: str,
    role: str,
    access: str,
    nonce: float,
    _actor: Actor,
    _engine: Engine,
    _audit: AuditLog,
) -> TileResult:
    del role, access, nonce  # cache key only
    answer = _engine.run_sql(sql, _actor)
    try:
        _audit.record_answer(_actor.username, replace(answer, question="Dashboard tile"))
    except Exception:
        log.exception("could not write the audit log")
    result = answer.result
    return TileResult(
        frame=None if result is None else result.frame,
        truncated=bool(result is not None and result.truncated),
        error=answer.error,
        refreshed_at=time.time(),
    )
