"""Browser tests: a real `streamlit run` driven by Playwright in Debian's Chromium.

One app server per session, on the demo SQLite database, a scratch app database and
embedded Qdrant, with the scripted Ollama server answering. Each test gets a fresh
browser context and leaves a screenshot under tests/e2e/artifacts/.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.app_server import AppServer
from tests.support.scripted_ollama import ScriptedOllama

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
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
    from backend.demo import build_demo_database

    data = tmp_path_factory.mktemp("e2e-data")
    build_demo_database(f"sqlite:///{data / 'demo.sqlite'}", orders=1500)
    return data


@pytest.fixture(scope="session")
def app_env(e2e_data: Path, e2e_ollama: ScriptedOllama) -> dict[str, str]:
    return {
        "KESKINUBE_DATA_DIR": str(e2e_data),
        "OLLAMA_BASE_URL": e2e_ollama.url,
        "OLLAMA_MODEL": e2e_ollama.chat_model,
        "OLLAMA_EMBED_MODEL": e2e_ollama.embed_model,
        "OLLAMA_TIMEOUT_S": "10",
        "AUTH_COOKIE_KEY": COOKIE_KEY,
        "ADMIN_USERNAME": ADMIN[0],
        "ADMIN_PASSWORD": ADMIN[1],
        "KESKINUBE_LOGIN_SLEEP_S": "0",
    }


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
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    new_page = context.new_page()
    new_page.set_default_timeout(20_000)
    yield new_page
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        new_page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    finally:
        context.close()
