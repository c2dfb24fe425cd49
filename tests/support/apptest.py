"""Streamlit pages in AppTest, each on its own, as a logged-in user.

The session is pre-seeded with what the login gate leaves in `st.session_state`; the
app runs on the test's own app database, a small demo business database and in-memory
Qdrant, with Ollama unreachable (indexing is sparse-only; answers come from SQL the
test writes).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from auth.passwords import PasswordHasher
from auth.services import AuthServices, open_auth
from backend.config import get_settings
from demo_data import build_demo_database
from ui.context import LANGUAGE_KEY
from ui.navigation import PAGES_DIR

PAGES = PAGES_DIR
COOKIE_KEY = "unit-cookie-key-0123456789abcdefghijklmnopqrstuvwxyz"


def clear_caches() -> None:
    """Forget the settings and Streamlit's cached services between tests."""
    get_settings.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()


def page_services(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, users: Mapping[str, tuple[str, str]]
) -> Iterator[AuthServices]:
    """The app's environment for pages under test; `users`: username → (role, password)."""
    app_db = f"sqlite:///{tmp_path / 'app.sqlite'}"
    business_db = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    build_demo_database(business_db, orders=100)
    for name, value in {
        "APP_DATABASE_URL": app_db,
        "DATABASE_URL": business_db,
        "QDRANT_PATH": ":memory:",
        "OLLAMA_BASE_URL": "http://127.0.0.1:9",
        "AUTH_COOKIE_KEY": COOKIE_KEY,
        # No background check racing the page's own reads of the app database.
        "SCHEMA_DRIFT_CHECK_MINUTES": "0",
    }.items():
        monkeypatch.setenv(name, value)
    clear_caches()
    services = open_auth(app_db, hasher=PasswordHasher(rounds=4))
    for username, (role, password) in users.items():
        services.users.create_user(username, role=role, password=password)
    yield services
    services.close()
    clear_caches()


def open_page(
    name: str,
    username: str = "boss",
    role: str = "admin",
    *,
    language: str | None = None,
    timeout: float = 60,
    query: Mapping[str, str] | None = None,
) -> AppTest:
    """Run page `name` (a file of ui/views) once as `username` with `role`; `query`: the
    page URL's query parameters."""
    at = AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=timeout)
    at.query_params.update(query or {})
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.session_state["name"] = username
    at.session_state["roles"] = [role]
    if language is not None:
        at.session_state[LANGUAGE_KEY] = language
    return at.run()


def texts(elements: object) -> list[str]:
    """The values of a list of AppTest elements, as text."""
    return [str(element.value) for element in elements]  # type: ignore[attr-defined]
