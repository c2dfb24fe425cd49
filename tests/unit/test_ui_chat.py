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
from tests.support.apptest import page_services

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
