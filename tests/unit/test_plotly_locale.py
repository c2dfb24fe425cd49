"""The chart toolbar's tooltips follow the reader's language: the Plotly strings we
translate are the ones the Plotly that Streamlit ships looks up."""

from __future__ import annotations

from pathlib import Path

import streamlit

from backend.charts.plotly_locale import TOOLBAR_KEYS, plotly_config

PLOTLY_BUNDLES = Path(streamlit.__file__).parent / "static" / "static" / "js"


def test_every_translated_string_is_one_plotly_looks_up() -> None:
    [bundle] = PLOTLY_BUNDLES.glob("PlotlyChart.*.js")
    source = bundle.read_text(encoding="utf-8")
    missing = [english for english in TOOLBAR_KEYS if f"l(e,`{english}`)" not in source]
    assert not missing, f"Plotly no longer looks these up: {missing}"


def test_the_spanish_config_carries_its_dictionary() -> None:
    config = plotly_config("es")
    assert config["locale"] == "es"
    dictionary = config["locales"]["es"]["dictionary"]
    assert dictionary["Reset axes"] == "Restablecer los ejes"
    assert config["displaylogo"] is False
    assert plotly_config("en")["locales"]["en"]["dictionary"]["Pan"] == "Pan"
