"""The chart toolbar in the reader's language: a Plotly `locales` config from the catalogue.

Plotly writes its toolbar's tooltips (Zoom, Pan, Reset axes…) in English unless the chart's
config names a locale and carries its dictionary; the browser bundle that Streamlit ships
registers none. The dictionary's keys are Plotly's own English strings, as its toolbar
looks them up; the values come from the catalogue (charts.po).
"""

from __future__ import annotations

from typing import Any

from backend.i18n import Language, t

# Plotly's English (its lookup key) → our catalogue key. The "Fullscreen" button that
# Streamlit adds to the same toolbar is not looked up: it stays English.
TOOLBAR_KEYS: dict[str, str] = {
    "Download plot as a PNG": "charts.modebar.download_png",
    "Download plot": "charts.modebar.download",
    "Zoom": "charts.modebar.zoom",
    "Pan": "charts.modebar.pan",
    "Box Select": "charts.modebar.box_select",
    "Lasso Select": "charts.modebar.lasso_select",
    "Zoom in": "charts.modebar.zoom_in",
    "Zoom out": "charts.modebar.zoom_out",
    "Autoscale": "charts.modebar.autoscale",
    "Reset axes": "charts.modebar.reset_axes",
    "Toggle Spike Lines": "charts.modebar.spikes",
    "Show closest data on hover": "charts.modebar.hover_closest",
    "Compare data on hover": "charts.modebar.hover_compare",
}


def plotly_config(language: Language | str) -> dict[str, Any]:
    """The config of a chart drawn for a reader of `language` (no Plotly logo)."""
    dictionary = {english: t(key, language) for english, key in TOOLBAR_KEYS.items()}
    return {
        "displaylogo": False,
        "locale": language,
        "locales": {language: {"dictionary": dictionary}},
    }
