"""Browser test of the Spanish switch: once an admin picks Español, no English is left on
any page they have — the chat with an answer (its sentence, chart, SQL, buttons and the
pin menu), a dashboard with a pinned chart, examples, and every admin page.

"English" is what the catalogue says it is (`tests.support.english_leaks`): every English
message whose Spanish differs, plus Streamlit's own defaults for a widget left without our
label. Data (table cells) and SQL are not interface text and are left out of the scan.
What each page showed is written to tests/e2e/artifacts/spanish-*.txt, for a person to read
what the catalogue cannot know is English (Streamlit's own screen-reader names).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from testkit.scripted_ollama import ScriptedOllama
from tests.e2e.helpers import (
    SIDEBAR_NAV,
    app_db_url,
    click_until,
    ensure_user,
    login,
    open_app,
    wait_idle,
)
from tests.e2e.test_chat import answers, ask, open_sql, settle
from tests.support.app_server import AppServer
from tests.support.english_leaks import Leak, english_in
from tests.support.fixtures_browser import ARTIFACTS

USER = ("e2e-marta", "Marta-es-Passw0rd")
PICKER = ".st-key-keskinube_language"  # ui.components.language.SIDEBAR_PICKER_KEY
QUESTION = "¿Cuántos pedidos hubo cada mes desde octubre?"
MONTHLY_SQL = (
    "SELECT SUBSTR(order_date, 1, 7) AS month, COUNT(*) AS orders FROM orders "
    "WHERE order_date >= '2025-10-01' GROUP BY SUBSTR(order_date, 1, 7) ORDER BY month"
)
BOARD = "Ventas e2e"

# Not interface text: the rows of a result (data from the database) and SQL code. The
# names of Material icons (ligatures: the text "dashboard" draws the icon) are left out too.
NOT_UI = "[data-testid='stDataFrame'], [data-testid='stCode'], pre"
# Streamlit's own English that no parameter of ours reaches (Streamlit 1.67 has no
# translations), by where it is on the page: (selector, why it stays).
KNOWN_EXCEPTIONS: tuple[tuple[str, str], ...] = (
    ("[data-testid='stChatInputSubmitButton']", "the send arrow's accessible name"),
    ("[data-testid='stToast'] button[aria-label='Close']", "a toast's close button's name"),
    ("[data-testid='InputInstructions']", "'Press Enter to apply' while typing"),
    ("[data-live-announcer]", "a select's screen-reader note ('1 option available.')"),
    (
        "[data-testid='stMultiSelectTagsContainer'] [aria-label^='Remove ']",
        "a multiselect chip's remove button's name",
    ),
    (
        "[data-testid='stPlotlyChart'] [aria-label='Fullscreen']",
        "the button Streamlit adds to Plotly's toolbar (Plotly's own ones are translated)",
    ),
    (
        "[data-testid='stFileUploaderDropzone'] button, "
        "[data-testid='stFileUploaderDropzoneInstructions'], "
        "[data-testid='stFileUploaderDropzoneInput']",
        "the file uploader's 'Upload' button, '200MB per file', its input's name "
        "(Knowledge's YAML import)",
    ),
)

# Every visible text of the page (portals too: popovers, menus, toasts), with what is not
# interface text hidden for the moment it is read; then the placeholders a reader sees
# (of empty inputs), the accessible names and the tooltips of the visible elements, and
# the tab's title. Each as [where, text].
_VISIBLE_TEXT = """(skip) => {
  const icons = [...document.body.querySelectorAll('span, i')]
    .filter(el => getComputedStyle(el).fontFamily.includes('Material Symbols'));
  const hidden = [...document.querySelectorAll(skip), ...icons];
  const before = hidden.map(el => el.style.display);
  hidden.forEach(el => { el.style.display = 'none'; });
  const texts = [['page', document.body.innerText], ['title', document.title]];
  for (const el of document.querySelectorAll('[placeholder], [aria-label], [title]')) {
    if (!el.checkVisibility() || el.closest(skip)) continue;
    const where = el.closest('[data-testid]')?.getAttribute('data-testid') ?? el.tagName;
    const select = el.closest("[data-baseweb='select']");
    for (const name of ['placeholder', 'aria-label', 'title']) {
      const value = el.getAttribute(name);
      if (!value) continue;
      // A select showing its value hides its placeholder (the value is text beside it).
      const shown = name !== 'placeholder'
        || (!el.value && !(select && select.innerText.trim()));
      if (shown) texts.push([`${where} ${name}`, value]);
    }
  }
  hidden.forEach((el, i) => { el.style.display = before[i]; });
  return texts;
}"""


def visible_texts(page: Page) -> list[tuple[str, str]]:
    """(where, text) for the page's interface text, less the known exceptions."""
    skip = ", ".join([NOT_UI, *(selector for selector, _ in KNOWN_EXCEPTIONS)])
    return [(where, text) for where, text in page.evaluate(_VISIBLE_TEXT, skip)]


class Scan:
    """English found page by page, reported together at the end (one run shows all)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.found: dict[str, list[Leak]] = {}

    def check(self, where: str) -> None:
        texts = visible_texts(self.page)
        leaks = english_in([text for _, text in texts])
        # What was read, for a person checking what the catalogue cannot know is English.
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"\W+", "-", where.lower()).strip("-")
        dump = "\n".join(f"[{where}] {text}" for where, text in texts)
        (ARTIFACTS / f"spanish-{name}.txt").write_text(dump, encoding="utf-8")
        if leaks:
            self.found[where] = leaks

    def report(self) -> str:
        return "\n".join(
            f"{where}: " + "; ".join(f"{leak.text!r} ({leak.key})" for leak in leaks)
            for where, leaks in self.found.items()
        )


def reset_language(app: AppServer, username: str) -> None:
    from auth.services import open_auth

    services = open_auth(app_db_url(app))
    try:
        services.users.set_language(username, None)
    finally:
        services.close()


def go(page: Page, title: str) -> None:
    """Open a page from the sidebar navigation by its (Spanish) title."""
    link = page.locator(f"{SIDEBAR_NAV} [data-testid='stSidebarNavLink']").filter(has_text=title)
    link.click()
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
    settle(page)


@pytest.fixture
def spanish_admin(page: Page, app: AppServer, e2e_ollama: ScriptedOllama) -> tuple[str, str]:
    # The app makes its first admin (ADMIN_PASSWORD) only while there is none: let it, on
    # a first page load, before this second admin exists (this test may run first).
    open_app(page, app)
    ensure_user(app, USER[0], "admin", USER[1])
    reset_language(app, USER[0])  # English until the switch
    e2e_ollama.add(answers("¿Cuántos pedidos hubo cada mes", MONTHLY_SQL))
    return USER


def test_in_spanish_no_english_is_left_on_any_page(
    page: Page, app: AppServer, spanish_admin: tuple[str, str]
) -> None:
    login(page, app, *spanish_admin)
    spanish = page.locator(PICKER).get_by_role("radio", name="Español")
    click_until(page, spanish, page.get_by_role("heading", name="Pregunta a tus datos"))
    settle(page)
    scan = Scan(page)
    scan.check("chat, empty")

    answer = ask(page, QUESTION)
    expect(answer.get_by_test_id("stPlotlyChart")).to_be_visible()
    expect(answer.get_by_test_id("stDataFrame")).to_be_visible()
    open_sql(answer)
    scan.check("chat, answer with its SQL")

    answer.get_by_role("button", name="thumb_down icon").click()
    expect(page.get_by_test_id("stPopoverBody")).to_be_visible()
    scan.check("chat, thumbs-down menu")
    page.keyboard.press("Escape")
    settle(page)

    answer.get_by_role("button", name="thumb_up icon").click()
    expect(page.get_by_text("propuesto como ejemplo")).to_be_visible()
    scan.check("chat, thumbs-up toast")
    settle(page)

    answer.get_by_role("button", name="Fijar en un panel").click()
    menu = page.get_by_test_id("stPopoverBody")
    menu.get_by_role("combobox", name="Panel").click()
    page.get_by_role("option", name="Nuevo panel…").click()
    settle(page)
    menu.get_by_role("textbox", name="Nombre").fill(BOARD)
    scan.check("chat, pin menu")
    menu.get_by_role("button", name="Fijar", exact=True).click()
    expect(page.get_by_text(f"Fijado en «{BOARD}»")).to_be_visible()
    scan.check("chat, pinned toast")
    page.keyboard.press("Escape")
    settle(page)

    go(page, "Paneles")
    expect(page.locator(".st-key-dashboard_grid").get_by_test_id("stPlotlyChart")).to_be_visible()
    scan.check("dashboards")
    for title in (
        "Ejemplos",
        "Tokens de API",
        "Usuarios",
        "Reglas de acceso",
        "Registro de auditoría",
    ):
        go(page, title)
        scan.check(title)
    go(page, "Conocimiento")
    wait_idle(page)
    scan.check("Conocimiento")

    assert not scan.found, "English on the Spanish pages:\n" + scan.report()
