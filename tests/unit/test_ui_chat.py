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
from streamlit.testing.v1 import AppTest

from auth.services import AuthServices
from tests.support.apptest import open_page, page_services, texts
from ui.components.formats import NA
from ui.context import LANGUAGE_KEY

KPI_SQL = "SELECT SUM(amount) AS revenue FROM payments"
MONTHLY_SQL = (
    "SELECT SUBSTR(paid_at, 1, 7) AS month, SUM(amount) AS revenue FROM payments "
    "GROUP BY SUBSTR(paid_at, 1, 7) ORDER BY month"
)


@pytest.fixture
def auth(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[AuthServices]:
    yield from page_services(monkeypatch, tmp_path, {"boss": ("admin", "Chief-unit-Passw0rd")})


def run_own_sql(at: AppTest, sql: str) -> AppTest:
    box = next(area for area in at.text_area if area.placeholder.startswith("SELECT"))
    box.input(sql)
    submit = [b for b in at.button if b.label in {"Run SQL", "Ejecutar SQL"}]
    return submit[0].click().run()


def test_switching_to_spanish_redraws_the_page_and_old_answers(auth: AuthServices) -> None:
    at = open_page("chat", language="en", timeout=90)
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
    shown = [caption.replace("\\", "") for caption in texts(at.caption)]  # escaped markdown
    assert "Computed the sum of payments.amount from payments." in shown
    assert "Chart type" in [box.label for box in at.selectbox]
    assert at.dataframe[0].proto.placeholder == NA  # empty cells: not Streamlit's "None"

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
    explained = [c.replace("\\", "").replace("\u2060", "") for c in captions]
    assert "Cálculo: la suma de payments.amount, a partir de payments." in explained
    assert "Tipo de gráfico" in [box.label for box in at.selectbox]


def test_a_pinned_chart_and_the_examples_page_read_in_spanish(auth: AuthServices) -> None:
    at = run_own_sql(open_page("chat", language="es", timeout=90), KPI_SQL)
    assert [b.label for b in at.button if b.key == "turn_1_pin"] == ["Fijar"]
    at.button(key="turn_1_pin").click().run()
    assert not at.exception
    assert [t.value for t in at.toast] == ["Fijado en «Mi panel». Ábrelo desde Paneles."]

    board = open_page("dashboards", language="es", timeout=90)
    assert not board.exception
    assert board.title[0].value == "Paneles"
    assert board.selectbox[0].label == "Panel"
    assert any(c.startswith("Última actualización: ") for c in texts(board.caption))
    assert {"Subir", "Bajar", "Quitar del panel"} <= {b.label for b in board.button}
    assert board.metric[0].label == "Ingresos"
    assert board.metric[0].value.endswith("\u00a0€")

    review = open_page("examples", language="es", timeout=90)
    assert not review.exception
    assert review.title[0].value == "Ejemplos"
    assert [h.value for h in review.subheader] == [
        "Pendientes de revisión (0)",
        "Aprobados (0)",
    ]
