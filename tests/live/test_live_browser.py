"""In the browser, the chat page answers a question with the real model: a table and a chart.

A real `streamlit run ui/app.py` (the browser harness of tests/e2e, with its own session
fixtures here) runs on the demo database with the live server's models, and headless
Chromium asks one question whose answer is a monthly series. The app builds and indexes
its services on the first login, and the model then writes the SQL, so the waits are
long; they are on DOM state, never on sleeps. Also marked `e2e`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from demo_data import build_demo_database
from tests.e2e.helpers import login, wait_idle
from tests.live.helpers import DEMO_ORDERS, LIVE_TIMEOUT_S, product_env_cleared
from tests.support.app_server import AppServer
from tests.support.fixtures_browser import app_env, open_page
from tests.support.live_llm import LiveOllama

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
ADMIN = ("admin", "Adm1n-live-Passw0rd")
COOKIE_KEY = "live-cookie-key-0123456789abcdefghijklmnopqrstuvwxyz"
QUESTION = "How many orders did we get each month in 2026?"
TURNS = "[class*='st-key-chat_turn_']"
SHOTS = Path(__file__).resolve().parents[1] / "e2e" / "artifacts"
ANSWER_MS = (LIVE_TIMEOUT_S * 3 + 60) * 1000  # up to three model calls, then drawing


@pytest.fixture(scope="module")
def live_app(
    live_ollama: LiveOllama, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppServer]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is missing: `sudo apt-get install -y chromium` (make test does it)")
    data = tmp_path_factory.mktemp("live-app-data")
    build_demo_database(f"sqlite:///{data / 'demo.sqlite'}", orders=DEMO_ORDERS)
    env = app_env(
        data, live_ollama, admin=ADMIN, cookie_key=COOKIE_KEY, ollama_timeout_s=LIVE_TIMEOUT_S
    )
    # Only the question's own prompt: warming every role's start up front would make the
    # question wait behind prompts it does not use (the warm-up has tests of its own).
    env["OLLAMA_WARM_UP"] = "false"
    with product_env_cleared(tmp_path_factory.mktemp("live-app-cwd")):
        server = AppServer(env, tmp_path_factory.mktemp("live-app-log") / "streamlit.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def page(browser: Browser, live_app: AppServer, request: pytest.FixtureRequest) -> Iterator[Page]:
    yield from open_page(browser, request)


def test_chat_answers_with_a_table_and_a_chart(page: Page, live_app: AppServer) -> None:
    login(page, live_app, *ADMIN)
    expect(page.get_by_role("heading", name="Ask your data")).to_be_visible()
    turns = page.locator(TURNS)
    before = turns.count()
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(QUESTION)
    expect(box).to_have_value(QUESTION)
    box.press("Enter")
    expect(turns).to_have_count(before + 1, timeout=ANSWER_MS)
    wait_idle(page, timeout_ms=ANSWER_MS)
    answer = turns.nth(before)
    expect(answer.get_by_text(QUESTION).first).to_be_visible()
    expect(answer.get_by_test_id("stDataFrame")).to_be_visible()
    expect(answer.get_by_test_id("stPlotlyChart")).to_be_visible()
    # The README's screenshot (docs/screenshot-chat.png) is this one, taken with the real model.
    answer.evaluate("turn => turn.scrollIntoView({block: 'start'})")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "chat-answer-real-model.png"))
