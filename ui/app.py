"""Keskinube's Streamlit entry point: page frame, configuration check, navigation."""

from __future__ import annotations

import logging

import streamlit as st

from backend.config import get_settings
from backend.errors import SettingsError

log = logging.getLogger(__name__)

st.set_page_config(page_title="Keskinube", page_icon="🧊", layout="wide")

try:
    settings = get_settings()
except SettingsError as exc:
    st.error(str(exc))
    st.stop()

st.title("Keskinube")
st.caption("Ask your database questions in plain language.")
st.info(
    "The chat is on its way. The business database is "
    f"`{settings.business_database_url.split('@')[-1]}`; "
    f"questions will be answered by `{settings.ollama_model}` on {settings.ollama_base_url}."
)
