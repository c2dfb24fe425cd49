"""The one headless Chromium of a test session, shared by the browser and live tiers.

Playwright's sync API can run only once per process, so every browser test uses this
session-scoped browser (registered in tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is missing: `sudo apt-get install -y chromium` (make test does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield launched
        launched.close()


ARTIFACTS = Path(__file__).resolve().parents[1] / "e2e" / "artifacts"


def app_env(
    data_dir: Path,
    ollama: Any,
    *,
    admin: tuple[str, str],
    cookie_key: str,
    ollama_timeout_s: float,
) -> dict[str, str]:
    """The environment of an app under test: its data folder, an Ollama, the first admin."""
    return {
        "KESKINUBE_DATA_DIR": str(data_dir),
        "OLLAMA_BASE_URL": ollama.url,
        "OLLAMA_MODEL": ollama.chat_model,
        "OLLAMA_EMBED_MODEL": ollama.embed_model,
        "OLLAMA_TIMEOUT_S": str(ollama_timeout_s),
        "AUTH_COOKIE_KEY": cookie_key,
        "ADMIN_USERNAME": admin[0],
        "ADMIN_PASSWORD": admin[1],
        "KESKINUBE_LOGIN_SLEEP_S": "0",
    }


def open_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A page in a fresh context (no shared cookies); a screenshot is kept at the end."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    finally:
        context.close()
