"""The chat, dashboards and examples pages in AppTest, in Spanish: a switch of language
re-draws the page and the answers already in the conversation (KPI card, sentence,
captions, chart switcher) in the new language at once.

The page runs on its own with a logged-in session pre-seeded, on the test's own app
database, a small demo business database and in-memory Qdrant; Ollama is unreachable,
so the answers come from "Write SQL yourself".
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from auth.passwords import PasswordHasher
from auth.services import AuthServices, open_auth
from backend.config import get_settings
from backend.demo import build_demo_database
from ui.context import LANGUAGE_KEY

PAGES = Path(__file__).resolve().parents[2] / "ui" / "pages"
KPI_SQL = "SELECT SUM(amount) AS revenue FROM payments"
MONTHLY_SQL = (
    "SELECT SUBSTR(paid_at, 1, 7) AS month, SUM(amount) AS revenue FROM payments "
    "GROUP BY SUBSTR(paid_at, 1, 7) ORDER BY month"
)


@pytest.fixture
def auth(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[AuthServices]:
    app_db = f"sqlite:///{tmp_path / 'app.sqlite'}"
    business_db = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    build_demo_database(business_db, orders=100)
    for name, value in {
        "APP_DATABASE_URL": app_db,
        "DATABASE_URL": business_db,
        "QDRANT_PATH": ":memory:",
        "OLLAMA_BASE_URL": "http://127.0.0.1:9",
        "AUTH_COOKIE_KEY": "unit-cookie-key-0123456789abcdefghijklmnopqrstuvwxyz",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("KESKINUBE_LANGUAGE", raising=False)
    clear_caches()
    services = open_auth(app_db, hasher=PasswordHasher(rounds=4))
    services.users.create_user("boss", role="admin", password="Chief-unit-Passw0rd")
    yield services
    services.close()
    clear_caches()


def clear_caches() -> None:
    get_settings.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()


def open_page(name: str, language: str) -> AppTest:
    at = AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=90)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "boss"
    at.session_state["name"] = "boss"
    at.session_state["roles"] = ["admin"]
    at.session_state[LANGUAGE_KEY] = language
    return at.run()


def run_own_sql(at: AppTest, sql: str) -> AppTest:
    box = next(area for area in at.text_area if area.placeholder.startswith("SELECT"))
    box.input(sql)
    submit = [b for b in at.button if b.label in {"Run SQL", "Ejecutar SQL"}]
    return submit[0].click().run()


def texts(elements: object) -> list[str]:
    return [str(element.value) for element in elements]  # type: ignore[attr-defined]


def test_switching_to_spanish_redraws_the_page_and_old_answers(auth: AuthServices) -> None:
    at = open_page("chat", "en")
    assert not at.exception
    assert at.title[0].value == "Ask your data"
    assert [e.label for e in at.expander] == ["Write SQL yourself"]
    at = run_own_sql(at, KPI_SQL)
    at = run_own_sql(at, MONTHLY_SQL)
    assert not at.exception
    english_kpi = at.metric[0].value
    assert english_kpi.startswith("€"), english_kpi  # '€860K'
    assert at.metric[0].label == "Revenue"
    english_sentences = texts(at.markdown)
    assert any(caption.startswith("1 row · ") for caption in texts(at.caption))
    assert "Chart type" in [box.label for box in at.selectbox]

    at.session_state[LANGUAGE_KEY] = "es"
    at = at.run()
    assert not at.exception
    assert at.title[0].value == "Nueva conversación"  # still untitled: only SQL so far
    assert at.chat_input[0].placeholder == "Haz una pregunta sobre tus datos…"
    assert "Escribe tú el SQL" in [e.label for e in at.expander]
    kpi = at.metric[0].value
    assert kpi.endswith("\u00a0€") and kpi != english_kpi, kpi  # '860\u00a0mil\u00a0€'
    assert at.metric[0].label == "Ingresos"
    assert texts(at.markdown) != english_sentences  # the sentences, written anew
    captions = texts(at.caption)
    assert any(caption.startswith("1 fila · ") for caption in captions), captions
    assert any(caption.startswith("Tu SQL") for caption in captions), captions
    assert "Tipo de gráfico" in [box.label for box in at.selectbox]


def test_a_pinned_chart_and_the_examples_page_read_in_spanish(auth: AuthServices) -> None:
    at = run_own_sql(open_page("chat", "es"), KPI_SQL)
    assert [b.label for b in at.button if b.key == "turn_1_pin"] == ["Fijar"]
    at.button(key="turn_1_pin").click().run()
    assert not at.exception
    assert [t.value for t in at.toast] == ["Fijado en «Mi panel». Ábrelo desde Paneles."]

    board = open_page("dashboards", "es")
    assert not board.exception
    assert board.title[0].value == "Paneles"
    assert board.selectbox[0].label == "Panel"
    assert any(c.startswith("Última actualización: ") for c in texts(board.caption))
    assert {"Subir", "Bajar", "Quitar del panel"} <= {b.label for b in board.button}
    assert board.metric[0].label == "Ingresos"
    assert board.metric[0].value.endswith("\u00a0€")

    review = open_page("examples", "es")
    assert not review.exception
    assert review.title[0].value == "Ejemplos"
    assert [h.value for h in review.subheader] == [
        "Pendientes de revisión (0)",
        "Aprobados (0)",
    ]
