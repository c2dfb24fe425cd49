"""What users saw in answers, in AppTest: a mean of amounts without its currency and with
three decimals, English column names in Spanish titles, and the SQL shown twice when the
guard changed nothing but its spelling and the row cap.

The chat page runs on its own as a logged-in user on the small demo database (see
`tests.support.apptest`); answers come from "Write SQL yourself", so no model is needed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from streamlit import dataframe_util
from streamlit.testing.v1 import AppTest

from auth.services import AuthServices
from backend.config import get_settings
from backend.knowledge.model import APPROVED, Entry
from backend.knowledge.store import KnowledgeStore
from backend.sources import database_key
from tests.support.apptest import open_page, page_services, texts
from ui.context import LANGUAGE_KEY

SQL_RAN = "What ran, after the access rules and the row cap were applied:"


@pytest.fixture
def auth(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[AuthServices]:
    users = {"boss": ("admin", "Chief-unit-Passw0rd"), "mia": ("manager", "Manager-unit-Passw0rd")}
    for services in page_services(monkeypatch, tmp_path, users):
        services.users.set_attributes("mia", {"region_id": "2"})
        services.policies.add_row_filter("customers", "region_id = :user.region_id", role="manager")
        yield services


def run_own_sql(at: AppTest, sql: str) -> AppTest:
    box = next(area for area in at.text_area if area.placeholder.startswith("SELECT"))
    box.input(sql)
    submit = [b for b in at.button if b.label in {"Run SQL", "Ejecutar SQL"}]
    return submit[0].click().run()


def plain(values: list[str]) -> list[str]:
    return [v.replace("\\", "").replace("\u2060", "") for v in values]


def table_cells(at: AppTest) -> pd.DataFrame:
    """The display values of the answer's table, as the browser receives them."""
    proto = at.dataframe[0].proto.arrow_data.styler.display_values
    return dataframe_util.convert_arrow_bytes_to_pandas_df(proto)


def test_a_mean_of_prices_is_money_with_two_decimals_everywhere(auth: AuthServices) -> None:
    # The alias names no currency: the SQL says it is a mean of a money column.
    sql = "SELECT AVG(unit_price) AS avg_item_value FROM order_items"
    at = run_own_sql(open_page("chat", timeout=90), sql)
    assert not at.exception
    money = r"€\d{1,3}(,\d{3})*\.\d{2}"
    sentences = plain(texts(at.markdown))
    assert any(re.fullmatch(rf"Average item value is {money}\.", s) for s in sentences), sentences
    assert re.fullmatch(money, at.metric[0].value)
    assert re.fullmatch(money, table_cells(at)["avg_item_value"].iloc[0])

    at.session_state[LANGUAGE_KEY] = "es"
    at = at.run()
    spanish = r"\d{1,3}(\.\d{3})*,\d{2}\u00a0€"
    assert re.fullmatch(spanish, at.metric[0].value), at.metric[0].value
    assert re.fullmatch(spanish, table_cells(at)["avg_item_value"].iloc[0])


def test_spanish_titles_and_sentences_use_the_knowledge_labels(auth: AuthServices) -> None:
    store = KnowledgeStore(auth.engine, database_key(get_settings().business_database_url))
    store.save(
        [
            Entry("payments", "", "Money received.", ("payments",), ("pagos",), APPROVED),
            Entry("payments", "method", "How it was paid.", (), ("método de pago",), APPROVED),
        ]
    )
    at = open_page("chat", language="es", timeout=90)
    sql = "SELECT method AS payment_method, COUNT(*) AS payments FROM payments GROUP BY method"
    at = run_own_sql(at, sql)
    assert not at.exception
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert figure["layout"]["title"]["text"] == "Pagos por método de pago"
    assert figure["layout"]["xaxis"]["title"]["text"] == "Método de pago"
    sentences = plain(texts(at.markdown))
    assert any("4 valores de método de pago" in s for s in sentences), sentences
    assert not any("method" in s or "payments" in s.lower() for s in sentences), sentences


def test_the_sql_is_shown_once_when_the_rules_changed_nothing(auth: AuthServices) -> None:
    # The guard adds a LIMIT and respells the query: still the same query.
    sql = "select region_id, name\nfrom regions where region_id <= 3"
    at = run_own_sql(open_page("chat", timeout=90), sql)
    assert not at.exception
    assert SQL_RAN not in texts(at.caption)
    assert len(at.code) == 1  # the SQL the user wrote, above the answer

    # A row filter rewrote the query: both are shown.
    at = open_page("chat", username="mia", role="manager", timeout=90)
    at = run_own_sql(at, "SELECT COUNT(*) AS customers FROM customers")
    assert not at.exception
    assert SQL_RAN in texts(at.caption)
    ran = at.code[-1].value
    assert "region_id = '2'" in ran, ran
