"""Keskinube's product core: question → SQL → checked → run → chart. No Streamlit here."""
