"""Honest waiting: a slow answer shows its step, the seconds spent, and why it waits."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Browser, Page, expect

from testkit.scripted_ollama import ScriptedOllama, when
from tests.e2e.conftest import ADMIN
from tests.e2e.helpers import login, open_app, wait_idle
from tests.support.app_server import AppServer

SQL = "SELECT status, COUNT(*) AS orders FROM orders GROUP BY status"
WARM_UP_S = 15.0  # the login's warm-up (its question is "?")
SLOW_S = 3.0  # every model call


def slow_warm_up(messages: object) -> str:
    time.sleep(WARM_UP_S)
    return "SELECT 1"


def until_quiet(ollama: ScriptedOllama, *, quiet_s: float = 2.0, limit_s: float = 90.0) -> None:
    """Wait until the model has had no new request for `quiet_s`: the app's start-up
    warm-up, if this is the first page of the server, is over."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        seen = len(ollama.chat_requests)
        time.sleep(quiet_s)
        if len(ollama.chat_requests) == seen:
            return
    raise AssertionError("the model kept getting requests")


def test_a_question_behind_the_warm_up_says_so_and_counts_the_seconds(
    page: Page, app: AppServer, e2e_ollama: ScriptedOllama
) -> None:
    e2e_ollama.add(when("How many orders per status", reply=f"```sql\n{SQL}\n```"))
    open_app(page, app)  # the first page of a server warms every role up (fast here)
    until_quiet(e2e_ollama)
    warm_up = when(regex=r"^Question: \?$", respond=slow_warm_up)
    e2e_ollama.add(warm_up, first=True)
    e2e_ollama.delay_s = SLOW_S
    try:
        login(page, app, *ADMIN)  # starts warming the model for the admin's role
        page.get_by_role("button", name="New conversation").click()
        wait_idle(page)
        box = page.get_by_test_id("stChatInputTextArea")
        box.fill("How many orders per status?")
        box.press("Enter")
        status = page.get_by_test_id("stExpander").filter(has_text="·").first
        expect(status).to_contain_text(re.compile(r"· [1-9]\d* s"), timeout=15_000)
        notice = page.get_by_text("The model is still reading this database's schema")
        expect(notice).to_be_visible(timeout=15_000)
        expect(notice).to_have_count(0, timeout=30_000)  # gone once the answer is in
    finally:
        e2e_ollama.delay_s = 0.0
        e2e_ollama.remove(warm_up)
    wait_idle(page)
    answer = page.locator("[class*='st-key-chat_turn_']").last
    expect(answer.get_by_test_id("stDataFrame")).to_be_visible()


def test_a_tab_closed_while_the_answer_is_written_finds_it_in_the_conversation(
    browser: Browser, app: AppServer, e2e_ollama: ScriptedOllama
) -> None:
    question = "How many orders per status, asked before closing the tab?"
    e2e_ollama.add(when(question, reply=f"```sql\n{SQL}\n```"))
    gone = browser.new_context(viewport={"width": 1280, "height": 900})
    page = gone.new_page()
    login(page, app, *ADMIN)
    page.get_by_role("button", name="New conversation").click()
    wait_idle(page)
    e2e_ollama.delay_s = SLOW_S
    try:
        box = page.get_by_test_id("stChatInputTextArea")
        box.fill(question)
        box.press("Enter")
        expect(page.get_by_text("Writing SQL…").first).to_be_visible(timeout=15_000)
        gone.close()  # the tab is closed while the model writes the SQL
        time.sleep(SLOW_S + 3)  # the answer is finished and kept meanwhile
    finally:
        e2e_ollama.delay_s = 0.0
    back = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        again = back.new_page()
        login(again, app, *ADMIN)
        sidebar = again.get_by_test_id("stSidebar")
        sidebar.get_by_role("button", name=question).click()
        wait_idle(again)
        turn = again.locator("[class*='st-key-chat_turn_']").last
        expect(turn.get_by_text(question).first).to_be_visible()
        expect(turn.get_by_test_id("stDataFrame")).to_be_visible()
    finally:
        back.close()
