"""Charts for query results: pick one, check a model's proposal, draw it, list alternatives.

Everything here is a pure function of a result frame (as pandas 3 `read_sql` returns it)
and a `ChartSpec`; nothing reads files, settings or the network, and nothing imports
Streamlit. Modules: `spec` (vocabulary), `columns` (column roles), `choose` (default
chart), `options` (valid alternatives), `validate` (model proposals), `prepare`
(aggregated numbers), `build` (Plotly figures), `formatting` and `names` (labels, numbers).
"""

from __future__ import annotations

from backend.charts.build import build_figure, kpi_value
from backend.charts.choose import choose_chart
from backend.charts.options import chart_options
from backend.charts.spec import CHART_KINDS, ChartKind, ChartSpec
from backend.charts.validate import validate_spec

__all__ = [
    "CHART_KINDS",
    "ChartKind",
    "ChartSpec",
    "build_figure",
    "chart_options",
    "choose_chart",
    "kpi_value",
    "validate_spec",
]
