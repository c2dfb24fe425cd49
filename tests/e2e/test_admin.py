"""Browser tests of the admin pages: create a user who then logs in, password rules,
the access page's re-index, the audit log and its CSV export; and the API tokens page
(every role's, here as the admin): a new token shown once, then revoked.

The admin logs in through the form once per module; each test then starts from that
re-login cookie, straight on its page (which also exercises the cookie path). No test
logs that session out: sessions are server-side, so a logout would end the shared
cookie for the tests after it.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.e2e.helpers import (
    LOAD_MS,
    app_db_url,
    click_until,
    login,
    nav_labels,
    open_app,
    wait_idle,
)
from tests.support.app_server import AppServer

Cookies = list[Any]


def open_admin_page(
    page: Page, app: AppServer, cookies: Cookies, url_path: str, title: str
) -> None:
    page.context.add_cookies(cookies)
    open_app(page, app, url_path)
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()


def test_admin_creates_a_user_who_then_logs_in(
    page: Page, app: AppServer, admin_cookies: Cookies, browser: Browser
) -> None:
    newcomer = f"e2e-new-{secrets.token_hex(3)}"
    open_admin_page(page, app, admin_cookies, "admin_users", "Users")
    form = page.locator("[data-testid='stForm']").filter(has_text="Create user")
    form.get_by_role("textbox", name="Username").fill(newcomer)
    form.get_by_role("textbox", name="Password (leave empty to generate one)").fill("short")
    refusal = page.get_by_text("The password must have at least 10 characters.")
    click_until(page, form.get_by_role("button", name="Create user"), refusal)  # repeatable
    wait_idle(page)
    form.get_by_role("textbox", name="Password (leave empty to generate one)").fill("")
    form.get_by_role("button", name="Create user").click()
    wait_idle(page)
    expect(page.get_by_text(f"Created analyst {newcomer}.")).to_be_visible()
    password = page.locator("[data-testid='stCode'] code").first.inner_text().strip()
    assert len(password) >= 10
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:  # the newcomer in their own browser (the admin's session stays open)
        newcomer_page = context.new_page()
        login(newcomer_page, app, newcomer, password)
        assert nav_labels(newcomer_page) == ["Chat", "Examples", "API tokens"]
    finally:
        context.close()


def test_access_page_reindexes_and_shows_the_stats(
    page: Page, app: AppServer, admin_cookies: Cookies
) -> None:
    open_admin_page(page, app, admin_cookies, "admin_access", "Access rules")
    expect(page.get_by_text(re.compile(r"^\d+ tables indexed\."))).to_be_visible()
    reindex = page.get_by_role("button", name="Re-index schema now")
    click_until(page, reindex, page.get_by_text("Re-indexed:"))


def test_audit_log_lists_logins_and_exports_csv(
    page: Page, app: AppServer, admin_cookies: Cookies
) -> None:
    open_admin_page(page, app, admin_cookies, "admin_audit", "Audit log")
    expect(page.get_by_text("newest first")).to_be_visible()
    text = Path(download_csv(page)).read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith('"id","at","username","event","status"')
    assert ',"admin","login_success",' in text  # every cell quoted (CSV injection)


def test_a_new_api_token_is_shown_once_works_and_is_revoked(
    page: Page, app: AppServer, admin_cookies: Cookies
) -> None:
    from auth.services import open_auth

    name = f"e2e-token-{secrets.token_hex(3)}"
    open_admin_page(page, app, admin_cookies, "api_tokens", "API tokens")
    form = page.locator("[data-testid='stForm']").filter(has_text="Create token")
    form.get_by_role("textbox", name="Name").fill(name)
    created = page.get_by_text(f"Created the token {name}.")
    click_until(page, form.get_by_role("button", name="Create token"), created)
    wait_idle(page)
    expect(page.get_by_text("it will not be shown again")).to_be_visible()
    secret = page.locator("[data-testid='stCode'] code").first.inner_text().strip()
    services = open_auth(app_db_url(app))
    try:
        user = services.tokens.authenticate(secret)
        assert user is not None and user.username == "admin"

        page.reload()  # the secret is gone for good; the token is listed (newest first)
        wait_idle(page, timeout_ms=LOAD_MS)
        expect(page.get_by_role("heading", name="Your tokens")).to_be_visible()
        expect(page.locator("[data-testid='stCode']")).to_have_count(0)
        page.get_by_text(f"Revoke {name} ({secret[:10]}…)").first.click()
        revoke = page.get_by_role("button", name="Revoke token").first
        expect(revoke).to_be_enabled()
        click_until(page, revoke, page.get_by_text(f"Revoked the token {name} of admin."))
        assert services.tokens.authenticate(secret) is None
    finally:
        services.close()


def download_csv(page: Page, attempts: int = 3) -> str:
    """Click "Download CSV" and return the file's path.

    The button's file is made on demand; a click that lands while the library's cookie
    component is still causing the page's second run asks for the previous run's file,
    which is gone, and nothing downloads. The next click asks for the current one.
    """
    for attempt in range(attempts):
        try:
            with page.expect_download(timeout=5_000) as download_info:
                page.get_by_role("button", name="Download CSV").click()
            return str(download_info.value.path())
        except PlaywrightTimeoutError:
            if attempt == attempts - 1:
                raise
            wait_idle(page)
    raise AssertionError("unreachable")
