"""Browser test of the language: a user switches to Spanish in the sidebar, the navigation
and the page follow at once, and Spanish stays after logout, at the next login, and in a
new browser (the choice is saved for the user).
"""

from __future__ import annotations

from playwright.sync_api import Browser, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.e2e.helpers import (
    IDLE,
    LOGIN_FORM,
    SIDEBAR_NAV,
    SLOW_RUN_MS,
    SUBMIT_MS,
    app_db_url,
    click_until,
    ensure_user,
    login,
    nav_labels,
    wait_idle,
)
from tests.support.app_server import AppServer

USER = ("e2e-lucia", "Lucia-e2e-Passw0rd")
RUNNING = f"() => !document.querySelector({IDLE!r})"
SUBMITTED = """(typed) => {
  const box = document.querySelector(".st-key-keskinube_login_box input[type='password']");
  return !box || box.value !== typed;
}"""
PICKER = ".st-key-keskinube_language"  # ui.components.language.SIDEBAR_PICKER_KEY
ENGLISH_NAV = [
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
]
SPANISH_NAV = [
    "Chat",
    "Paneles",
    "Ejemplos",
    "Tokens de API",
    "Usuarios",
    "Orígenes de datos",
    "Reglas de acceso",
    "Registro de auditoría",
    "Conocimiento",
    "Supervisión",
]


def reset_language(app: AppServer, username: str) -> None:
    from auth.services import open_auth

    services = open_auth(app_db_url(app))
    try:
        services.users.set_language(username, None)
    finally:
        services.close()


def expect_spanish_navigation(page: Page) -> None:
    expect(page.locator(SIDEBAR_NAV)).to_contain_text("Registro de auditoría")
    assert nav_labels(page) == SPANISH_NAV
    expect(page.get_by_role("button", name="Cerrar sesión")).to_be_visible()


def submit_spanish_login(page: Page, username: str, password: str) -> None:
    """`helpers.submit_login` for the Spanish form: a click the app never took (the form
    idle, the password still typed) is repeated; a slow one is waited for."""
    form = page.locator(LOGIN_FORM).first
    for attempt in range(3):
        form.get_by_role("textbox", name="Usuario").fill(username)
        form.get_by_role("textbox", name="Contraseña").fill(password)
        form.get_by_role("button", name="Iniciar sesión").click()
        try:
            page.wait_for_function(SUBMITTED, arg=password, timeout=SUBMIT_MS)
            break
        except PlaywrightTimeoutError:
            if page.evaluate(RUNNING):
                page.wait_for_function(SUBMITTED, arg=password, timeout=SLOW_RUN_MS)
                break
            if attempt == 2:
                raise
    expect(page.locator(SIDEBAR_NAV)).to_be_visible(timeout=SLOW_RUN_MS)
    wait_idle(page, timeout_ms=SLOW_RUN_MS)


def press_until_gone(button: Locator, shown: Locator, *, attempts: int = 3) -> None:
    """Press `button` until `shown` appears; a slow run (a busy machine) is waited for, and
    a button already gone means its click was taken, so it is not pressed again."""
    for _ in range(attempts):
        try:
            button.click(timeout=SUBMIT_MS)
        except PlaywrightTimeoutError:
            break  # gone: the earlier click is being answered
        try:
            expect(shown).to_be_visible(timeout=SUBMIT_MS)
            return
        except AssertionError:
            continue
    expect(shown).to_be_visible(timeout=SLOW_RUN_MS)


def test_switching_to_spanish_applies_at_once_and_is_kept(
    page: Page, app: AppServer, browser: Browser
) -> None:
    ensure_user(app, USER[0], "admin", USER[1])
    reset_language(app, USER[0])
    page.goto(app.url)  # a fresh server's first page is slow on a busy machine
    wait_idle(page, timeout_ms=SLOW_RUN_MS)
    expect(page.locator(LOGIN_FORM)).to_be_visible(timeout=SLOW_RUN_MS)
    login(page, app, *USER)
    assert nav_labels(page) == ENGLISH_NAV

    spanish = page.locator(PICKER).get_by_role("radio", name="Español")
    click_until(page, spanish, page.get_by_role("button", name="Cerrar sesión"))
    wait_idle(page)
    expect_spanish_navigation(page)
    page.locator(f"{SIDEBAR_NAV} [data-testid='stSidebarNavLink']").filter(
        has_text="Usuarios"
    ).click()
    wait_idle(page)
    expect(page.get_by_role("heading", name="Usuarios", exact=True)).to_be_visible()
    expect(page.get_by_text("Crear un usuario")).to_be_visible()

    press_until_gone(page.get_by_role("button", name="Cerrar sesión"), page.locator(LOGIN_FORM))
    wait_idle(page)
    login_form = page.locator(LOGIN_FORM).first
    expect(login_form.get_by_role("button", name="Iniciar sesión")).to_be_visible()
    submit_spanish_login(page, *USER)
    expect_spanish_navigation(page)

    # A new browser has no session: the login page follows the browser (English here),
    # and the user's saved language applies as soon as they are in.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        fresh = context.new_page()
        fresh.set_default_timeout(20_000)
        login(fresh, app, *USER)
        expect_spanish_navigation(fresh)
    finally:
        context.close()
