"""Helpers for the browser tests: wait for Streamlit to go idle, log in, log out, seed users.

Waits are on DOM state (the app's script-state attribute, elements appearing) or on the
browser's cookie jar, never fixed sleeps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.support.app_server import AppServer

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
COOKIE_NAME = "keskinube_auth"  # ui.auth_gate.COOKIE_NAME, kept free of a Streamlit import
LOGIN_FORM = ".st-key-keskinube_login_box [data-testid='stForm']"  # ui.auth_gate.LOGIN_BOX_KEY
SIDEBAR_NAV = "[data-testid='stSidebarNav']"


SUBMIT_MS = 6_000  # then a click the app never took: idle, password still typed
LOAD_MS = 60_000
SLOW_RUN_MS = 180_000  # the first login of a fresh server indexes the schema (slow when busy)


def wait_idle(page: Page, timeout_ms: float = 20_000) -> None:
    """Wait until the app's script run has finished (and its elements are drawn).

    Right after a click the attribute may still say notRunning for a moment: follow it
    with an `expect` on what the click should show, which waits for it.
    """
    page.wait_for_selector(IDLE, state="attached", timeout=timeout_ms)
    page.wait_for_function(
        "() => !document.querySelector(\"[data-testid='stStatusWidget']\")", timeout=timeout_ms
    )


def open_app(page: Page, app: AppServer, path: str = "") -> None:
    """Load the app (optionally a page URL such as "admin_users") and wait for it."""
    page.goto(f"{app.url}/{path}")
    # A page load starts a fresh session (imports, first run): slow on a busy machine.
    wait_idle(page, timeout_ms=LOAD_MS)


def submit_login(page: Page, username: str, password: str, *, attempts: int = 3) -> None:
    """Fill and submit the login form; wait until the app has taken the submission.

    The login callback empties the password box (or the form goes away). A click that
    lands while the cookie component's follow-up rerun redraws the form (right after a
    page load or a logout) can be dropped by the frontend: then the app stays idle with
    the password still typed, and the click is repeated (as a person would).
    """
    form = page.locator(LOGIN_FORM).first
    for attempt in range(attempts):
        form.get_by_role("textbox", name="Username").fill(username)
        form.get_by_role("textbox", name="Password").fill(password)
        form.get_by_role("button", name="Log in").click()
        try:
            page.wait_for_function(_SUBMITTED, arg=password, timeout=SUBMIT_MS)
            break
        except PlaywrightTimeoutError:
            if page.evaluate(_RUNNING):  # taken, only slow (a fresh server's first login)
                page.wait_for_function(_SUBMITTED, arg=password, timeout=SLOW_RUN_MS)
                break
            if attempt == attempts - 1:
                raise
    wait_idle(page, timeout_ms=SLOW_RUN_MS)


_SUBMITTED = """(typed) => {
  const box = document.querySelector(".st-key-keskinube_login_box input[type='password']");
  return !box || box.value !== typed;
}"""
_RUNNING = f"() => !document.querySelector({IDLE!r})"


def click_until(page: Page, button: Locator, shown: Locator, *, attempts: int = 3) -> None:
    """Click `button` until `shown` is visible (for actions that are safe to repeat).

    In the second or two after a page load, the cookie component's follow-up rerun can
    interrupt the click's run before it reaches the button, and the click is gone: the app
    goes idle with nothing shown. A run still going is only slow, and is waited for.
    """
    for attempt in range(attempts):
        button.click()
        try:
            expect(shown).to_be_visible(timeout=SUBMIT_MS)
            return
        except AssertionError:
            if page.evaluate(_RUNNING):
                expect(shown).to_be_visible(timeout=SLOW_RUN_MS)
                return
            if attempt == attempts - 1:
                raise


def login(page: Page, app: AppServer, username: str, password: str) -> None:
    """Log in through the form and wait for the navigation and the re-login cookie."""
    if not page.url.startswith(app.url) or not page.locator(LOGIN_FORM).count():
        open_app(page, app)
        expect(page.locator(LOGIN_FORM)).to_be_visible()
    submit_login(page, username, password)
    expect(page.locator(SIDEBAR_NAV)).to_be_visible(timeout=SLOW_RUN_MS)
    expect(page.get_by_text(f"{username.lower()} ·")).to_be_visible(timeout=SLOW_RUN_MS)
    wait_idle(page, timeout_ms=SLOW_RUN_MS)
    wait_for_cookie(page, present=True)


def logout(page: Page) -> None:
    """Press the sidebar's logout button and wait for the login form."""
    click_until(page, page.get_by_role("button", name="Log out"), page.locator(LOGIN_FORM))
    wait_idle(page)


def wait_for_cookie(page: Page, *, present: bool, timeout_ms: float = 10_000) -> None:
    """Wait until the re-login cookie is (or is no longer) in the browser's jar."""
    script = "([name, present]) => document.cookie.split('; ').some(c => c.startsWith(name + '=')) === present"  # noqa: E501
    page.wait_for_function(script, arg=[COOKIE_NAME, present], timeout=timeout_ms)


def nav_labels(page: Page) -> list[str]:
    """The page titles listed in the sidebar navigation."""
    links = page.locator(f"{SIDEBAR_NAV} [data-testid='stSidebarNavLink']")
    # Each link's text starts with its Material icon's name ("chat\n\nChat"): keep the title.
    return [text.strip().splitlines()[-1].strip() for text in links.all_inner_texts()]


def app_db_url(app: AppServer) -> str:
    """The app database the server uses (the harness sets only KESKINUBE_DATA_DIR)."""
    return f"sqlite:///{Path(app.env['KESKINUBE_DATA_DIR']) / 'app.sqlite'}"


def ensure_user(app: AppServer, username: str, role: str, password: str, **extra: Any) -> None:
    """Create `username` in the server's app database, or reset it to `role`/`password`."""
    from auth.services import open_auth

    services = open_auth(app_db_url(app))
    try:
        if services.users.find_user(username) is None:
            services.users.create_user(username, role=role, password=password, **extra)
        else:
            services.users.set_role(username, role)
            services.users.enable(username)
            services.users.reset_password(username, password)
            services.lockout.unlock(username)
    finally:
        services.close()
