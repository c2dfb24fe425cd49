"""Browser tests: a real `streamlit run` driven by Playwright in Debian's Chromium.

One app server per session, on the demo SQLite database, a scratch app database and
embedded Qdrant, with the scripted Ollama server answering. Each test gets a fresh
browser context and leaves a screenshot under tests/e2e/artifacts/.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from testkit.scripted_ollama import ScriptedOllama
from tests.e2e.helpers import login
from tests.support.app_server import AppServer
from tests.support.fixtures_browser import app_env as browser_app_env
from tests.support.fixtures_browser import open_page

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = "/usr/bin/chromium"
ADMIN = ("admin", "Adm1n-e2e-Passw0rd")
COOKIE_KEY = "e2e-cookie-key-0123456789abcdefghijklmnopqrstuvwxyz"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def e2e_ollama() -> Iterator[ScriptedOllama]:
    """One scripted Ollama for the whole browser session; tests add rules to it."""
    with ScriptedOllama() as server:
        yield server


@pytest.fixture(scope="session")
def e2e_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from demo_data import build_demo_database

    data = tmp_path_factory.mktemp("e2e-data")
    build_demo_database(f"sqlite:///{data / 'demo.sqlite'}", orders=1500)
    return data


@pytest.fixture(scope="session")
def app_env(e2e_data: Path, e2e_ollama: ScriptedOllama) -> dict[str, str]:
    return browser_app_env(
        e2e_data, e2e_ollama, admin=ADMIN, cookie_key=COOKIE_KEY, ollama_timeout_s=10
    )


@pytest.fixture(scope="session")
def app(app_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is missing: `sudo apt-get install -y chromium` (make test does it)")
    server = AppServer(app_env, tmp_path_factory.mktemp("e2e-log") / "streamlit.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def page(browser: object, app: AppServer, request: pytest.FixtureRequest) -> Iterator[object]:
    yield from open_page(browser, request)


@pytest.fixture(scope="module")
def admin_cookies(browser: Browser, app: AppServer) -> list[Any]:
    """The cookies of an admin logged in once per test module."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        login(page, app, *ADMIN)
        return list(context.cookies())
    finally:
        context.close()
