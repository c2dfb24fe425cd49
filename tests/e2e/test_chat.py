"""Browser tests of the chat: answers with a table and a chart, a capped result and its
full CSV, one question at a time, a reload back into the open conversation (never another
user's), an access rule's notice, edited SQL, history after logout, thumbs up → Examples
review, and help when Ollama is down."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Locator, Page, expect

from backend.demo import load_examples
from testkit.scripted_ollama import Rule, ScriptedOllama, when
from tests.e2e.conftest import ADMIN
from tests.e2e.helpers import LOAD_MS, ensure_user, login, logout, wait_idle
from tests.support.app_server import AppServer

if TYPE_CHECKING:
    from playwright.sync_api import Browser

# Copied by hand to docs/screenshot-chat.png for the README; tests never write to docs/.
SHOTS = Path(__file__).resolve().parent / "artifacts"
ANALYST = ("e2e-chat-analyst", "Analyst-chat-Passw0rd")
MONTHLY_SQL = (
    "SELECT SUBSTR(order_date, 1, 7) AS month, COUNT(*) AS orders FROM orders "
    "WHERE order_date >= '2025-10-01' GROUP BY SUBSTR(order_date, 1, 7) ORDER BY month"
)
CHANNEL_SQL = "SELECT channel, COUNT(*) AS orders FROM orders GROUP BY channel ORDER BY orders DESC"
ALL_ORDERS_SQL = "SELECT order_id, order_date, status FROM orders ORDER BY order_id"


def answers(question_start: str, sql: str) -> Rule:
    """A scripted reply to a question (not to a follow-up that quotes it as history)."""
    last_line = rf"(?m)^Question: {re.escape(question_start)}[^\n]*\s*\Z"
    return when(regex=last_line, reply=f"```sql\n{sql}\n```")


TURNS = "[class*='st-key-chat_turn_']"
ANSWER_TIMEOUT_MS = 30_000
QUIET_MS = 500
# True once the app has been idle (no script run, no status widget) for QUIET_MS: the login
# cookie component triggers a second run right after most runs, and input typed during
# that run can be lost.
_QUIET = """(quietMs) => {
  const app = document.querySelector("[data-testid='stApp']");
  const idle = app && app.getAttribute("data-test-script-state") === "notRunning"
    && !document.querySelector("[data-testid='stStatusWidget']");
  if (!idle) { window.__kkIdleSince = null; return false; }
  window.__kkIdleSince = window.__kkIdleSince ?? performance.now();
  return performance.now() - window.__kkIdleSince >= quietMs;
}"""


def settle(page: Page) -> None:
    """Wait until the app has stayed idle for a moment (DOM state, polled; no sleep)."""
    wait_idle(page)
    page.evaluate("() => { window.__kkIdleSince = null; }")
    page.wait_for_function(_QUIET, arg=QUIET_MS, timeout=ANSWER_TIMEOUT_MS)


def turns(page: Page) -> Locator:
    """Every stored question and answer on the page, oldest first."""
    return page.locator(TURNS)


def new_turn(page: Page, before: int) -> Locator:
    """Wait until the page shows the turn stored after `before` turns; return it."""
    expect(turns(page)).to_have_count(before + 1, timeout=ANSWER_TIMEOUT_MS)
    settle(page)
    return turns(page).nth(before)


def ask(page: Page, question: str) -> Locator:
    """Type a question into the chat box; return its stored turn once drawn."""
    settle(page)
    before = turns(page).count()
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    expect(box).to_have_value(question)
    box.press("Enter")
    turn = new_turn(page, before)
    expect(turn.get_by_text(question).first).to_be_visible()
    return turn


def open_sql(answer: Locator) -> None:
    """Expand the answer's SQL expander."""
    answer.get_by_test_id("stExpander").filter(has_text="SQL").locator("summary").click()
    expect(answer.locator("textarea")).to_be_visible()


def count(data_dir: str, sql: str) -> int:
    with sqlite3.connect(Path(data_dir) / "demo.sqlite") as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM ({sql})").fetchone()[0])


def open_page(page: Page, title: str) -> None:
    page.locator("[data-testid='stSidebarNavLink']", has_text=title).click()
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
    settle(page)


@pytest.fixture
def ollama_rules(e2e_ollama: ScriptedOllama) -> ScriptedOllama:
    e2e_ollama.add(
        answers("How many orders per month since October", MONTHLY_SQL),
        answers("How many orders per sales channel", CHANNEL_SQL),
        answers("List every order", ALL_ORDERS_SQL),
        answers("What do our staff earn", "SELECT last_name, salary FROM employees"),
    )
    return e2e_ollama


def warm_ups(ollama: ScriptedOllama) -> int:
    """Chat calls that only have the model evaluate a prompt (one token out): warm-ups."""
    return len(ollama.prefill_requests)


def test_question_gets_a_sentence_chart_and_table(
    page: Page, app: AppServer, ollama_rules: ScriptedOllama
) -> None:
    before = warm_ups(ollama_rules)
    login(page, app, *ADMIN)
    expect(page.get_by_role("heading", name="Ask your data")).to_be_visible()
    # Right after login, the model evaluates the prompt start the role's questions share.
    deadline = time.monotonic() + ANSWER_TIMEOUT_MS / 1000
    while warm_ups(ollama_rules) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert warm_ups(ollama_rules) > before
    suggestions = page.locator("[class*='st-key-chat_suggestion_'] button")
    expect(suggestions).to_have_count(3)
    # An empty conversation suggests questions from the schema's examples; click one.
    example = next(e for e in load_examples() if "month by month" in e.question)
    ollama_rules.add(answers(example.question, example.sql))
    settle(page)
    suggestions.filter(has_text=example.question).click()
    answer = new_turn(page, 0)
    expect(answer.get_by_test_id("stPlotlyChart")).to_be_visible()
    expect(answer.get_by_test_id("stDataFrame")).to_be_visible()
    expect(answer.get_by_text("Revenue went from €")).to_be_visible()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_role("button", name=example.question)).to_be_visible()
    answer.evaluate("turn => turn.scrollIntoView({block: 'start'})")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "chat-answer-for-docs.png"))


def test_a_capped_result_says_more_than_the_cap_and_the_csv_holds_all(
    page: Page, app: AppServer, ollama_rules: ScriptedOllama
) -> None:
    login(page, app, *ADMIN)
    page.get_by_role("button", name="New conversation").click()
    settle(page)
    # A list longer than the page's row cap (1,000): never "1,000 rows" as its count; the
    # page shows 1,000 and points to the CSV, which holds them all.
    answer = ask(page, "List every order with its date and status")
    capped = answer.get_by_text("The query matched more than 1,000 rows")
    expect(capped).to_be_visible()
    expect(capped).to_contain_text("Download the CSV for all of them")
    expect(answer.get_by_text("More than 1,000 rows ·")).to_be_visible()
    expect(answer.get_by_text(re.compile(r"^1,000 rows"))).to_have_count(0)
    with page.expect_download() as download_info:
        answer.get_by_role("button", name="Download CSV").click()
    data = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(data)))
    assert rows[0] == ["order_id", "order_date", "status"]
    assert len(rows) - 1 == count(app.env["KESKINUBE_DATA_DIR"], ALL_ORDERS_SQL) > 1_000


def test_the_impatient_user_cannot_ask_twice_and_keeps_the_answer(
    page: Page, app: AppServer, ollama_rules: ScriptedOllama
) -> None:
    login(page, app, *ADMIN)
    page.get_by_role("button", name="New conversation").click()
    settle(page)
    box = page.get_by_test_id("stChatInputTextArea")
    ollama_rules.delay_s = 2.0  # every model call: a slow answer
    try:
        box.fill("How many orders per sales channel?")
        box.press("Enter")
        # One question at a time: the input is off while the answer is produced.
        expect(box).to_be_disabled()
        expect(turns(page)).to_have_count(1, timeout=ANSWER_TIMEOUT_MS)
    finally:
        ollama_rules.delay_s = 0.0
    settle(page)
    first = turns(page).nth(0)
    expect(first.get_by_text("How many orders per sales channel?")).to_be_visible()
    expect(first.get_by_test_id("stDataFrame")).to_be_visible()
    expect(box).to_be_enabled()


def test_a_reload_reopens_the_open_conversation_and_never_another_users(
    page: Page, app: AppServer, ollama_rules: ScriptedOllama, browser: Browser
) -> None:
    question = "How many orders per sales channel, before a reload?"
    login(page, app, *ADMIN)
    page.get_by_role("button", name="New conversation").click()
    settle(page)
    ask(page, question)
    opened = re.search(r"[?&]c=(\d+)", page.url)  # the open conversation, in the URL
    assert opened, page.url
    page.reload()
    wait_idle(page, timeout_ms=LOAD_MS)
    expect(turns(page)).to_have_count(1)
    answer = turns(page).first
    expect(answer.get_by_text(question)).to_be_visible()
    expect(answer.get_by_test_id("stDataFrame")).to_be_visible()

    # Another user, handed the admin's conversation id in a URL: an empty chat.
    ensure_user(app, ANALYST[0], "analyst", ANALYST[1])
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        other = context.new_page()
        login(other, app, *ANALYST)
        other.goto(f"{app.url}/?c={opened[1]}")
        wait_idle(other, timeout_ms=LOAD_MS)
        expect(other.get_by_role("heading", name="Ask your data")).to_be_visible()
        expect(turns(other)).to_have_count(0)
        expect(other.get_by_text(question)).to_have_count(0)
        expect(other).not_to_have_url(re.compile(rf"[?&]c={opened[1]}\b"))
    finally:
        context.close()


FILTERED_USER = ("e2e-chat-iberia", "Iberia-chat-Passw0rd")
CUSTOMERS_SQL = "SELECT COUNT(*) AS customers FROM customers"


@pytest.fixture
def filtered_user(app: AppServer, e2e_ollama: ScriptedOllama) -> tuple[str, str]:
    """An analyst who may read only their region's customers (a row filter on the table,
    filled from the user's `region_id` attribute, described in the admin's words), as an
    admin sets it up."""
    from auth.services import open_auth
    from tests.e2e.helpers import app_db_url

    ensure_user(app, FILTERED_USER[0], "analyst", FILTERED_USER[1])
    services = open_auth(app_db_url(app))
    try:
        attributes = {"region_id": "1", "region_name": "Iberia"}
        services.users.set_attributes(FILTERED_USER[0], attributes)
        if not services.policies.row_filters(username=FILTERED_USER[0]):
            services.policies.add_row_filter(
                "customers",
                "region_id = :user.region_id",
                username=FILTERED_USER[0],
                description="Only customers in your region (:user.region_name) are included.",
            )
    finally:
        services.close()
    e2e_ollama.add(answers("How many customers do we have", CUSTOMERS_SQL))
    return FILTERED_USER


def test_an_answer_shaped_by_a_row_filter_says_so(
    page: Page, app: AppServer, filtered_user: tuple[str, str]
) -> None:
    data_dir = app.env["KESKINUBE_DATA_DIR"]
    region = count(data_dir, "SELECT customer_id FROM customers WHERE region_id = 1")
    assert 0 < region < count(data_dir, "SELECT customer_id FROM customers")
    login(page, app, *filtered_user)
    answer = ask(page, "How many customers do we have in total?")
    # The count is the region's, and the answer says a rule applied, and which.
    expect(answer.get_by_test_id("stMetricValue")).to_have_text(f"{region:,}")
    notice = answer.get_by_text("Only customers in your region (Iberia) are included.")
    expect(notice).to_be_visible()


def test_edited_sql_runs_through_the_guard_again(
    page: Page, app: AppServer, ollama_rules: ScriptedOllama
) -> None:
    login(page, app, *ADMIN)
    page.get_by_role("button", name="New conversation").click()
    settle(page)
    answer = ask(page, "How many orders per sales channel?")
    open_sql(answer)
    editor = answer.locator("textarea")
    editor.fill("SELECT status, COUNT(*) AS orders FROM orders GROUP BY status")
    before = turns(page).count()
    answer.get_by_role("button", name="Run edited SQL").click()
    edited = new_turn(page, before)
    expect(edited.get_by_text("SQL for: How many orders per sales channel?")).to_be_visible()
    expect(edited.get_by_test_id("stDataFrame")).to_be_visible()
    expect(edited.get_by_text("rows ·")).to_be_visible()

    open_sql(edited)
    edited.locator("textarea").fill("DELETE FROM orders")
    edited.get_by_role("button", name="Run edited SQL").click()
    refused = new_turn(page, before + 1)
    expect(refused.get_by_text("read", exact=False).first).to_be_visible()
    expect(refused.get_by_test_id("stDataFrame")).to_have_count(0)


def test_conversation_is_there_after_logout_and_login(
    page: Page, app: AppServer, ollama_rules: ScriptedOllama
) -> None:
    login(page, app, *ADMIN)
    page.get_by_role("button", name="New conversation").click()
    settle(page)
    ask(page, "How many orders per sales channel, again?")
    settle(page)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("button", name="Rename or delete").click()
    page.get_by_role("textbox", name="Name").fill("Channels e2e")
    page.get_by_role("button", name="Rename", exact=True).click()
    settle(page)
    expect(page.get_by_role("heading", name="Channels e2e")).to_be_visible()
    logout(page)
    login(page, app, *ADMIN)
    page.get_by_test_id("stSidebar").get_by_role("button", name="Channels e2e").click()
    settle(page)
    answer = turns(page).last
    expect(answer.get_by_test_id("stPlotlyChart")).to_be_visible()
    expect(answer.get_by_test_id("stDataFrame")).to_be_visible()


def test_thumbs_up_is_reviewed_on_the_examples_page(
    page: Page, app: AppServer, ollama_rules: ScriptedOllama
) -> None:
    question = "How many orders per month since October, for the examples?"
    ensure_user(app, ANALYST[0], "analyst", ANALYST[1])
    login(page, app, *ANALYST)
    page.get_by_role("button", name="New conversation").click()
    settle(page)
    answer = ask(page, question)
    answer.get_by_role("button", name="thumb_up icon").click()
    expect(page.get_by_text("proposed as an example")).to_be_visible()
    open_page(page, "Examples")  # the analyst's own proposal, waiting; no review buttons
    mine = page.locator("[class*='st-key-ex_pending_']").filter(has_text=question)
    expect(mine).to_have_count(1)
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    logout(page)
    login(page, app, *ADMIN)  # an admin reviews it
    open_page(page, "Examples")
    cards = page.locator("[class*='st-key-ex_pending_']")
    expect(cards.first).to_be_visible()
    [card] = [c for c in cards.all() if c.get_by_label("Question").input_value() == question]
    expect(card.get_by_label("SQL")).to_have_value(MONTHLY_SQL)
    card.get_by_role("button", name="Approve").click()
    settle(page)
    expect(page.get_by_text(f"Approved “{question}”")).to_be_visible()
    approved = page.locator("[class*='st-key-ex_approved_']").filter(has_text=question)
    expect(approved).to_have_count(1)


def test_policy_refusal_reads_as_help(
    page: Page, app: AppServer, ollama_rules: ScriptedOllama
) -> None:
    ensure_user(app, ANALYST[0], "analyst", ANALYST[1])
    login(page, app, *ANALYST)
    answer = ask(page, "What do our staff earn?")
    expect(answer.get_by_text("employees.salary")).to_be_visible()
    expect(answer.get_by_test_id("stException")).to_have_count(0)


@pytest.fixture
def ollama_down(e2e_ollama: ScriptedOllama) -> Iterator[ScriptedOllama]:
    e2e_ollama.stop()
    try:
        yield e2e_ollama
    finally:
        e2e_ollama.start()


def test_without_ollama_the_help_says_what_to_do_and_own_sql_works(
    page: Page, app: AppServer, ollama_down: ScriptedOllama
) -> None:
    login(page, app, *ADMIN)
    page.get_by_role("button", name="New conversation").click()
    settle(page)
    answer = ask(page, "Which products sell best while the model is away?")
    expect(answer.get_by_text("The language model isn't answering right now")).to_be_visible()
    # What an admin needs to fix it is folded away under the answer.
    answer.get_by_test_id("stExpander").filter(has_text="Technical detail").locator(
        "summary"
    ).click()
    expect(answer.get_by_text("Ollama isn't reachable").first).to_be_visible()
    expect(answer.get_by_text("ollama pull", exact=False).first).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    own = page.get_by_test_id("stExpander").filter(has_text="Write SQL yourself")
    own.get_by_role("textbox", name="SQL").fill(CHANNEL_SQL)
    before = turns(page).count()
    own.get_by_role("button", name="Run SQL").click()
    mine = new_turn(page, before)
    expect(mine.get_by_test_id("stPlotlyChart")).to_be_visible()
    expect(mine.get_by_test_id("stDataFrame")).to_be_visible()
    # The failed question is still in the conversation.
    expect(answer.get_by_text("The language model isn't answering right now")).to_be_visible()


SPANISH_USER = ("e2e-chat-lucia", "Lucia-chat-Passw0rd")
LANGUAGE_PICKER = ".st-key-keskinube_language"  # ui.components.language.SIDEBAR_PICKER_KEY
REVENUE_SQL = "SELECT SUM(amount) AS revenue FROM payments"
MONTHLY_REVENUE_SQL = (
    "SELECT SUBSTR(paid_at, 1, 7) AS month, SUM(amount) AS revenue FROM payments "
    "WHERE paid_at >= '2025-10-01' GROUP BY SUBSTR(paid_at, 1, 7) ORDER BY month"
)


def spanish_kpi(data_dir: str) -> str:
    """The KPI card's value for REVENUE_SQL, as Spanish writes it ('1,2 M€')."""
    import pandas as pd

    from backend.charts import ChartSpec, kpi_value

    with sqlite3.connect(Path(data_dir) / "demo.sqlite") as conn:
        frame = pd.read_sql(REVENUE_SQL, conn)
    return kpi_value(frame, ChartSpec("kpi", y="revenue"), locale="es", currency="€")


def test_in_spanish_the_chat_its_numbers_and_charts_follow(
    page: Page, app: AppServer, e2e_ollama: ScriptedOllama
) -> None:
    from auth.services import open_auth
    from tests.e2e.helpers import app_db_url, click_until

    ensure_user(app, SPANISH_USER[0], "admin", SPANISH_USER[1])
    services = open_auth(app_db_url(app))
    try:
        services.users.set_language(SPANISH_USER[0], None)  # English until the switch
    finally:
        services.close()
    e2e_ollama.add(
        answers("¿Cuánto hemos ingresado en total", REVENUE_SQL),
        answers("¿Cuánto hemos ingresado cada mes", MONTHLY_REVENUE_SQL),
    )
    login(page, app, *SPANISH_USER)
    expect(page.get_by_role("heading", name="Ask your data")).to_be_visible()
    spanish = page.locator(LANGUAGE_PICKER).get_by_role("radio", name="Español")
    click_until(page, spanish, page.get_by_role("heading", name="Pregunta a tus datos"))
    settle(page)
    box = page.get_by_test_id("stChatInputTextArea")
    expect(box).to_have_attribute("placeholder", "Haz una pregunta sobre tus datos…")
    expect(page.get_by_test_id("stExpander").filter(has_text="Escribe tú el SQL")).to_be_visible()
    expect(page.get_by_test_id("stSidebar").get_by_text("Conversaciones")).to_be_visible()

    total = ask(page, "¿Cuánto hemos ingresado en total?")
    card = total.get_by_test_id("stMetric")
    expect(card.get_by_test_id("stMetricLabel")).to_have_text("Ingresos")
    expect(card.get_by_test_id("stMetricValue")).to_have_text(
        spanish_kpi(app.env["KESKINUBE_DATA_DIR"])
    )
    expect(total.get_by_text("1 fila · ", exact=False)).to_be_visible()
    expect(total.get_by_role("button", name="Descargar CSV")).to_be_visible()

    monthly = ask(page, "¿Cuánto hemos ingresado cada mes desde octubre?")
    chart = monthly.get_by_test_id("stPlotlyChart")
    expect(chart).to_be_visible()
    expect(monthly.get_by_test_id("stDataFrame")).to_be_visible()
    expect(monthly.get_by_text("Tipo de gráfico")).to_be_visible()
    y_ticks = chart.locator(".ytick text").all_text_contents()
    x_ticks = chart.locator(".xtick text").all_text_contents()
    assert y_ticks and all(tick.endswith("€") for tick in y_ticks if tick.strip("0 €")), y_ticks
    assert any("." in tick for tick in y_ticks), y_ticks  # thousands: '100.000 €'
    assert any(month in " ".join(x_ticks).lower() for month in ("oct", "nov", "dic")), x_ticks
