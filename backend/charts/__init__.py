"""Charts for query results: pick one, check a model's proposal, draw it, list alternatives.

Everything here is a pure function of a result frame (as pandas 3 `read_sql` returns it)
and a `ChartSpec`; nothing reads files, settings or the network, and nothing imports
Streamlit. Modules: `spec` (vocabulary), `columns` (column roles), `choose` (default
chart), `options` (valid alternatives), `validate` (model proposals), `prepare`
(aggregated numbers), `build` (Plotly figures), `formatting` and `names` (labels, numbers),
`glossary` (Spanish labels), `hints` (what the SQL and knowledge say about columns),
`time_ticks` (date ticks outside English).

Functions that write text take `locale` ('en', 'es'): the reader's language.
"""

from __future__ import annotations

from backend.charts.build import build_figure, kpi_label, kpi_value
from backend.charts.choose import chart_title, choose_chart
from backend.charts.hints import NO_HINTS, ColumnHints
from backend.charts.names import humanise
from backend.charts.options import chart_options
from backend.charts.spec import CHART_KINDS, ChartKind, ChartSpec
from backend.charts.validate import chart_for, validate_spec

__all__ = [
    "CHART_KINDS",
    "NO_HINTS",
    "ChartKind",
    "ChartSpec",
    "ColumnHints",
    "build_figure",
    "chart_for",
    "chart_options",
    "chart_title",
    "choose_chart",
    "humanise",
    "kpi_label",
    "kpi_value",
    "validate_spec",
]
