"""The first page anyone opens after a start (the login page) warms every role's prompt
start in the background, once per process, before anybody has logged in.

AppTest runs the app's frame on its own app database, a small demo database, in-memory
Qdrant and the scripted Ollama server, whose requests show the warm-ups.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from auth.passwords import PasswordHasher
from auth.services import open_auth
from demo_data import build_demo_database
from testkit.scripted_ollama import ScriptedOllama
from tests.support.apptest import clear_caches

APP = Path(__file__).resolve().parents[2] / "ui" / "app.py"
WAIT_S = 30


@pytest.fixture
def app_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, scripted_ollama: ScriptedOllama
) -> Iterator[None]:
    app_db = f"sqlite:///{tmp_path / 'app.sqlite'}"
    business_db = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    build_demo_database(business_db, orders=100)
    for name, value in {
        "APP_DATABASE_URL": app_db,
        "DATABASE_URL": business_db,
        "QDRANT_PATH": ":memory:",
        "OLLAMA_BASE_URL": scripted_ollama.url,
        "SCHEMA_MODE": "full",
        "AUTH_COOKIE_KEY": "unit-cookie-key-0123456789abcdefghijklmnopqrstuvwxyz",
    }.items():
        monkeypatch.setenv(name, value)
    clear_caches()
    auth = open_auth(app_db, hasher=PasswordHasher(rounds=4))
    auth.users.create_user("ana", role="analyst", password="Analyst-unit-Passw0rd")
    auth.close()
    yield
    clear_caches()


def prefilled(ollama: ScriptedOllama) -> list[str]:
    """The system messages the model was asked only to read (one token out)."""
    return [request["messages"][0]["content"] for request in ollama.prefill_requests]


def wait_for(ollama: ScriptedOllama, count: int) -> list[str]:
    deadline = time.monotonic() + WAIT_S
    while len(prefilled(ollama)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return prefilled(ollama)


def test_the_login_page_warms_each_distinct_role_start_once_per_process(
    app_env: None, scripted_ollama: ScriptedOllama
) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert [box.label for box in at.text_input][:2] == ["Username", "Password"]  # logged out
    starts = wait_for(scripted_ollama, 2)
    # Admins and managers see every column; analysts are denied salaries (the default
    # policies): two starts, the analysts' (the only users) first.
    assert len(starts) == 2
    assert "salary" not in starts[0] and "salary" in starts[1]
    at.run()  # another page view of the same process warms nothing more
    time.sleep(1)
    assert len(prefilled(scripted_ollama)) == 2
