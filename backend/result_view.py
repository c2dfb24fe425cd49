"""What a door draws of a result: the column hints, and the chart as Plotly JSON.

The web page draws the Plotly figure itself (`ui.components.charts`); the HTTP API sends
the same figure as Plotly's JSON, for any Plotly client (`Plotly.newPlot(el, fig.data,
fig.layout)`). Both build it here, from `backend.charts`, in the reader's language.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from backend.charts import NO_HINTS, ChartSpec, ColumnHints, kpi_label, kpi_value
from backend.charts.build import figure_json, figure_spec
from backend.charts.columns import Profile
from backend.charts.spec import spec_to_json
from backend.errors import KeskinubeError
from backend.knowledge import Knowledge
from backend.pipeline import Engine
from backend.result_columns import column_hints

log = logging.getLogger(__name__)


def result_hints(
    sql: str,
    columns: list[str],
    *,
    engine: Engine,
    knowledge: Knowledge,
    language: str,
    include_drafts: bool,
) -> ColumnHints:
    """What `sql` and the schema's knowledge say about its result's `columns` (money,
    means, labels in `language`); none when the schema can't be read."""
    try:
        tables = engine.tables()
    except KeskinubeError as exc:
        log.info("no column hints: %s", exc)
        return NO_HINTS
    return column_hints(
        sql,
        columns,
        dialect=engine.runner.dialect,
        tables=tables,
        knowledge=knowledge,
        language=language,
        include_drafts=include_drafts,
    )


def chart_json(
    frame: pd.DataFrame,
    spec: ChartSpec,
    *,
    language: str,
    currency: str,
    hints: ColumnHints = NO_HINTS,
    shape: Profile | None = None,
) -> dict[str, Any]:
    """The chart of a result: its spec, the Plotly figure (JSON: `data` and `layout`, no
    template) when it is a drawing, and the label and value when it is a KPI card.
    `shape`: the frame's `profile`, when the caller has it."""
    figure: dict[str, Any] | None = None
    kpi: dict[str, str] | None = None
    if spec.kind == "kpi" and not frame.empty:
        kpi = {
            "label": kpi_label(spec, language, hints),
            "value": kpi_value(frame, spec, locale=language, currency=currency, hints=hints),
        }
    elif spec.kind != "table" and not frame.empty:
        drawn = figure_spec(
            frame, spec, locale=language, currency=currency, hints=hints, shape=shape
        )
        figure = None if drawn is None else figure_json(drawn)
    return {"spec": spec_to_json(spec), "figure": figure, "kpi": kpi}
