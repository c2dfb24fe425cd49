"""Polish of the chat page in AppTest: a pin menu that knows a dashboard just created,
real times for fast SQL, and suggestions in the reader's language.

The page runs on its own as a logged-in admin on a small demo database; Ollama is
unreachable, so answers come from "Write SQL yourself".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from auth.services import AuthServices
from backend.demo import load_examples
from tests.support.apptest import open_page, page_services, texts
from ui.context import LANGUAGE_KEY


@pytest.fixture
def auth(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[AuthServices]:
    yield from page_services(monkeypatch, tmp_path, {"boss": ("admin", "Chief-unit-Passw0rd")})


def run_own_sql(at: AppTest, sql: str) -> AppTest:
    box = next(area for area in at.text_area if area.placeholder.startswith("SELECT"))
    box.input(sql)
    submit = [b for b in at.button if b.label in {"Run SQL", "Ejecutar SQL"}]
    return submit[0].click().run()


def footers(at: AppTest) -> list[str]:
    return [c for c in texts(at.caption) if re.search(r"rows? · ", c)]


def test_every_pin_menu_lists_a_dashboard_just_created(auth: AuthServices) -> None:
    at = run_own_sql(open_page("chat", timeout=90), "SELECT SUM(amount) AS revenue FROM payments")
    at = run_own_sql(at, "SELECT COUNT(*) AS orders FROM orders")
    assert at.selectbox(key="turn_1_board").options == ["New dashboard…"]
    at.text_input(key="turn_2_new_board").input("Sales board")
    at = at.button(key="turn_2_pin").click().run()
    assert not at.exception
    assert [t.value for t in at.toast] == ["Pinned to “Sales board”. Open it from Dashboards."]
    # The answer drawn above the one pinned lists the new board at once, no reload.
    assert at.selectbox(key="turn_1_board").options == ["Sales board", "New dashboard…"]


def test_fast_sql_reports_the_time_it_took_not_zero(auth: AuthServices) -> None:
    at = run_own_sql(open_page("chat", timeout=90), "SELECT COUNT(*) AS orders FROM orders")
    at.text_area(key="turn_1_sql").input("SELECT COUNT(*) AS paid FROM payments")
    at = at.button(key="turn_1_rerun").click().run()  # an edited answer
    assert not at.exception
    times = footers(at)
    assert len(times) == 2, times
    for footer in times:
        seconds = re.search(r"· ([\d.,]+) s$", footer)
        assert seconds is not None, footer
        assert float(seconds.group(1).replace(",", ".")) > 0, footer


def test_suggestions_follow_the_language_switch(auth: AuthServices) -> None:
    at = open_page("chat", language="en", timeout=90)
    english = {e.question for e in load_examples()}
    labels = [b.label for b in at.button if (b.key or "").startswith("chat_suggestion_")]
    assert labels and all(label.replace("\\", "") in english for label in labels), labels
    at.session_state[LANGUAGE_KEY] = "es"
    at = at.run()
    spanish = {e.question for e in load_examples(language="es")}
    labels = [b.label for b in at.button if (b.key or "").startswith("chat_suggestion_")]
    assert labels and all(label.replace("\\", "") in spanish for label in labels), labels
