"""Browser test of data sources: an admin adds a second database on the Data sources page
and lets analysts use it instead of `main`; an analyst then sees no choice of source,
asks there, and gets rows of that database.

The app server is the session's (demo SQLite as `main`); the test puts everything it
changes back, so the other browser tests keep their analysts' `main`.
"""

from __future__ import annotations

import secrets
import sqlite3
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from playwright.sync_api import Browser, Page, expect

from auth.services import open_auth
from backend.sources.secrets import SecretBox
from backend.sources.store import SourceStore
from testkit.scripted_ollama import ScriptedOllama
from tests.e2e.helpers import app_db_url, click_until, ensure_user, login, open_app, wait_idle
from tests.e2e.test_chat import answers, ask
from tests.support.app_server import AppServer

ANALYST_PASSWORD = "Analyst-e2e-Sources-Passw0rd"


def test_an_analyst_allowed_only_an_added_source_asks_there_and_cannot_pick_main(
    page: Page,
    app: AppServer,
    admin_cookies: list[Any],
    browser: Browser,
    e2e_ollama: ScriptedOllama,
    tmp_path: Path,
) -> None:
    name = f"hr-{secrets.token_hex(3)}"
    path = tmp_path / "hr.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE staff (id INTEGER PRIMARY KEY, name TEXT, team TEXT)")
        conn.executemany(
            "INSERT INTO staff VALUES (?, ?, ?)",
            [(1, "Aino Virtanen", "north"), (2, "Bruno Costa", "south")],
        )
    analyst = f"e2e-src-{secrets.token_hex(3)}"
    ensure_user(app, analyst, "analyst", ANALYST_PASSWORD)
    try:
        page.context.add_cookies(admin_cookies)
        open_app(page, app, "admin_sources")
        expect(page.get_by_role("heading", name="Data sources", exact=True)).to_be_visible()
        page.get_by_label("Kind of database").first.click()
        page.get_by_role("option", name="SQLite").click()
        wait_idle(page)
        form = page.locator("[data-testid='stForm']").filter(
            has=page.get_by_role("button", name="Test and add")
        )
        form.get_by_label("Name", exact=True).fill(name)
        form.get_by_label("SQLite file (its path on the Keskinube server)").fill(str(path))
        form.get_by_label("Description").fill("People and teams")
        form.get_by_test_id("stMultiSelect").locator("input").click()
        page.get_by_role("option", name="analyst").click()
        page.keyboard.press("Escape")
        added = page.get_by_text(f"Added data source {name}.")
        click_until(page, form.get_by_role("button", name="Test and add"), added)
        # A file this server may write: saved, with how to make it read-only.
        expect(page.get_by_text("The account can also change data").first).to_be_visible()

        # Take `main` away from analysts: the new source is then their only one.
        wait_idle(page)
        expect(page.get_by_text("Who may use main")).to_be_visible()  # the first, picked
        expect(page.get_by_role("checkbox", name="analyst", exact=True)).to_be_checked()
        page.get_by_test_id("stCheckbox").filter(has_text="analyst").click()
        expect(page.get_by_text("The analyst role may no longer use main.")).to_be_visible()

        e2e_ollama.add(
            answers("How many people are on the staff", "SELECT COUNT(*) AS people FROM staff")
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        try:  # the analyst in their own browser
            other = context.new_page()
            login(other, app, analyst, ANALYST_PASSWORD)
            sidebar = other.get_by_test_id("stSidebar")
            expect(sidebar.get_by_text("Log out")).to_be_visible()
            turn = ask(other, "How many people are on the staff?")
            # `staff` is only in the added database: main (the demo) has no such table.
            expect(turn.get_by_test_id("stMetricValue")).to_have_text("2")
            # The page has settled with the answer drawn: still nothing to pick.
            expect(sidebar.get_by_text("Services")).to_be_visible()
            expect(sidebar.get_by_label("Data source")).to_have_count(0)
        finally:
            context.close()
    finally:
        services = open_auth(app_db_url(app))
        try:
            services.policies.set_source_allowed("analyst", "main", None)
            # The key only encrypts: removing needs none of the server's.
            store = SourceStore(services.engine, SecretBox(Fernet.generate_key()))
            if name in {source.name for source in store.list()}:
                store.remove(name)
        finally:
            services.close()
