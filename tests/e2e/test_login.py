"""Browser tests of the login gate: roles and their pages, wrong passwords, lockout,
refresh, logout, a copied session cookie after logout, the cookie's flags, and direct
visits to pages a role may not open."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ADMIN
from tests.e2e.helpers import (
    COOKIE_NAME,
    LOGIN_FORM,
    SIDEBAR_NAV,
    ensure_user,
    login,
    logout,
    nav_labels,
    open_app,
    submit_login,
    wait_for_cookie,
    wait_idle,
)
from tests.support.app_server import AppServer

MANAGER = ("e2e-manager", "Manager-e2e-Passw0rd")
ANALYST = ("e2e-analyst", "Analyst-e2e-Passw0rd")
GENERIC_REFUSAL = "Incorrect username or password."


@pytest.fixture(scope="module")
def people(app: AppServer) -> dict[str, tuple[str, str]]:
    """One account per role, created in the server's app database."""
    ensure_user(app, MANAGER[0], "manager", MANAGER[1])
    ensure_user(app, ANALYST[0], "analyst", ANALYST[1])
    return {"admin": ADMIN, "manager": MANAGER, "analyst": ANALYST}


@pytest.mark.parametrize(
    ("role", "pages"),
    [
        (
            "admin",
            [
                "Chat",
                "Dashboards",
                "Examples",
                "API tokens",
                "Users",
                "Data sources",
                "Access rules",
                "Audit log",
                "Knowledge",
                "Monitoring",
            ],
        ),
        ("manager", ["Chat", "Dashboards", "API tokens"]),
        ("analyst", ["Chat", "Examples", "API tokens"]),
    ],
)
def test_each_role_sees_only_its_pages(
    page: Page, app: AppServer, people: dict[str, tuple[str, str]], role: str, pages: list[str]
) -> None:
    login(page, app, *people[role])
    assert nav_labels(page) == pages
    expect(page.get_by_text(f"{people[role][0]} · {role}")).to_be_visible()


def test_wrong_password_and_unknown_user_get_the_same_message(
    page: Page, app: AppServer, people: dict[str, tuple[str, str]]
) -> None:
    open_app(page, app)
    submit_login(page, people["analyst"][0], "not-the-password-1")
    expect(page.get_by_text(GENERIC_REFUSAL)).to_be_visible()
    submit_login(page, "nobody-by-this-name", "not-the-password-1")
    expect(page.get_by_text(GENERIC_REFUSAL)).to_be_visible()
    expect(page.locator("[data-testid='stSidebarNav']")).to_have_count(0)


def test_five_failures_lock_the_account_even_for_the_right_password(
    page: Page, app: AppServer
) -> None:
    username, password = "e2e-lockout", "Lockout-e2e-Passw0rd"
    ensure_user(app, username, "analyst", password)
    open_app(page, app)
    for _ in range(4):
        submit_login(page, username, "wrong-password-99")
        expect(page.get_by_text(GENERIC_REFUSAL)).to_be_visible()
    submit_login(page, username, "wrong-password-99")
    expect(page.get_by_text("Too many failed logins. Try again in 15 minutes.")).to_be_visible()
    submit_login(page, username, password)
    expect(page.get_by_text("Too many failed logins.")).to_be_visible()
    expect(page.locator(LOGIN_FORM)).to_be_visible()


def test_refresh_keeps_the_user_logged_in_ten_times(
    page: Page, app: AppServer, people: dict[str, tuple[str, str]]
) -> None:
    login(page, app, *people["manager"])
    for attempt in range(10):
        page.reload()
        wait_idle(page)
        expect(page.get_by_text(f"{MANAGER[0]} · manager"), f"reload {attempt + 1}").to_be_visible()
        expect(page.locator(LOGIN_FORM)).to_have_count(0)


def test_logout_clears_the_session_and_the_cookie(
    page: Page, app: AppServer, people: dict[str, tuple[str, str]]
) -> None:
    login(page, app, *people["analyst"])
    logout(page)
    wait_for_cookie(page, present=False)
    page.reload()
    wait_idle(page)
    expect(page.locator(LOGIN_FORM)).to_be_visible()
    expect(page.locator("[data-testid='stSidebarNav']")).to_have_count(0)


def _session_cookie(page: Page) -> dict[str, Any]:
    found = [c for c in page.context.cookies() if c["name"] == COOKIE_NAME]
    assert len(found) == 1, page.context.cookies()
    return dict(found[0])


def _visit_with(browser: Browser, app: AppServer, cookie: dict[str, Any]) -> Page:
    """A fresh browser (no session) that carries only a copy of `cookie`."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([cookie])  # type: ignore[list-item]
    page = context.new_page()
    page.set_default_timeout(20_000)
    open_app(page, app)
    return page


def test_the_session_cookie_is_a_random_id_with_strict_same_site(
    page: Page, app: AppServer, people: dict[str, tuple[str, str]]
) -> None:
    login(page, app, *people["analyst"])
    cookie = _session_cookie(page)
    assert cookie["sameSite"] == "Strict"
    assert cookie["secure"] is False  # AUTH_COOKIE_SECURE=auto over plain http
    assert len(cookie["value"]) == 43 and ANALYST[0] not in cookie["value"]
    # Known limit: written by a JS component, the cookie can't be HttpOnly.
    assert cookie["httpOnly"] is False


def test_a_cookie_copied_before_logout_no_longer_logs_in_after_it(
    page: Page, app: AppServer, browser: Browser, people: dict[str, tuple[str, str]]
) -> None:
    login(page, app, *people["manager"])
    copied = _session_cookie(page)
    thief = _visit_with(browser, app, copied)
    try:  # the copy works while the session lives (so the check below can fail)
        expect(thief.get_by_text(f"{MANAGER[0]} · manager")).to_be_visible()
    finally:
        thief.context.close()
    logout(page)
    thief = _visit_with(browser, app, copied)
    try:
        expect(thief.locator(LOGIN_FORM)).to_be_visible()
        expect(thief.locator(SIDEBAR_NAV)).to_have_count(0)
        expect(thief.get_by_text(f"{MANAGER[0]} · manager")).to_have_count(0)
    finally:
        thief.context.close()


def test_analyst_visiting_an_admin_url_gets_the_default_page(
    page: Page, app: AppServer, people: dict[str, tuple[str, str]]
) -> None:
    login(page, app, *people["analyst"])
    open_app(page, app, "admin_users")
    expect(page.get_by_text("Page not found")).to_be_visible()
    expect(page.get_by_text(f"{ANALYST[0]} · analyst")).to_be_visible()
    expect(page.get_by_role("heading", name="Users")).to_have_count(0)
    expect(page.get_by_role("button", name="Create user")).to_have_count(0)
    assert "Users" not in nav_labels(page)


def test_logged_out_visit_to_an_admin_url_shows_the_login_form(page: Page, app: AppServer) -> None:
    open_app(page, app, "admin_users")
    expect(page.locator(LOGIN_FORM)).to_be_visible()
    expect(page.get_by_role("button", name="Create user")).to_have_count(0)


@pytest.fixture
def fresh_app(app_env: dict[str, str], tmp_path: Path) -> Iterator[AppServer]:
    """A second server that no browser has visited yet (its own, empty data folder)."""
    server = AppServer({**app_env, "KESKINUBE_DATA_DIR": str(tmp_path)}, tmp_path / "log.txt")
    server.start()
    yield server
    server.stop()


def test_first_visits_to_a_fresh_server_are_guarded_and_the_first_login_works(
    page: Page, fresh_app: AppServer
) -> None:
    # The very first visit of the process goes through app.py and its gate like any other
    # (with the page files in a folder named pages/, Streamlit ran the asked file alone
    # until app.py's first st.navigation call): the login form, nothing of the page.
    for url_path in (
        "admin_users",
        "admin_access",
        "admin_audit",
        "knowledge",
        "chat",
        "dashboards",
        "examples",
    ):
        open_app(page, fresh_app, url_path)
        expect(page.locator(LOGIN_FORM), url_path).to_be_visible()
        expect(page.get_by_text("Page not found"), url_path).to_be_visible()  # st.navigation's
        expect(page.locator(SIDEBAR_NAV), url_path).to_have_count(0)
        expect(page.get_by_text("to see this page"), url_path).to_have_count(0)
    # From the app's root: after an unknown URL, Streamlit's "page not found" dialog lies
    # over the form until it is closed.
    open_app(page, fresh_app)
    login(page, fresh_app, *ADMIN)  # and the first login of the process is not lost
    assert "Users" in nav_labels(page)
