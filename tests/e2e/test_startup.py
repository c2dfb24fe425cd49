"""A start-up refusal in a real browser: one red line, and no sidebar of page files.

The app registers its error as the only (hidden) page, so a refused start shows just its
line, whichever URL is visited, and no navigation. The server's terminal gets the same line.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import SIDEBAR_NAV, open_app
from tests.support.app_server import AppServer

LINE = "ADMIN_PASSWORD: The password must have at least 10 characters."


@pytest.fixture
def refused_app(tmp_path: Path) -> Iterator[AppServer]:
    env = {
        "KESKINUBE_DATA_DIR": str(tmp_path),
        "QDRANT_PATH": ":memory:",
        "OLLAMA_BASE_URL": "http://127.0.0.1:9",
        "ADMIN_USERNAME": "boss",
        "ADMIN_PASSWORD": "short",
        "KESKINUBE_LANGUAGE": "en",
    }
    server = AppServer(env, tmp_path / "streamlit.log")
    server.start()
    yield server
    server.stop()


def test_a_refused_start_shows_one_line_and_no_page_files(
    browser: Any, refused_app: AppServer
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        for path in ("", "admin_users"):
            open_app(page, refused_app, path)
            expect(page.locator("[data-testid='stAlert']")).to_have_text([LINE])
            expect(page.locator(SIDEBAR_NAV)).to_have_count(0)
    finally:
        context.close()
    assert f"keskinube: {LINE}" in refused_app.log_tail()
