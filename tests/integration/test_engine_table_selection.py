"""Table selection in retrieve mode: the model picks the tables from a catalogue first.

An invented warehouse schema with cryptic names on the real MariaDB; the scripted Ollama
server answers the selection request (it ends "Tables:") and then the SQL request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from backend.domain import AccessPolicy, Actor
from testkit.scripted_ollama import ScriptedOllama, when
from tests.support.engine_db import create_schema
from tests.support.services import scripted_services
from wiring.services import Services

pytestmark = pytest.mark.mariadb

ANALYST = Actor(username="ana", role="analyst")
SCHEMA = [
    "CREATE TABLE WHS_LOC (WHS_ID INT PRIMARY KEY, WHS_NM VARCHAR(40), RGN VARCHAR(10))",
    "CREATE TABLE ITM_MST (ITM_ID INT PRIMARY KEY, ITM_DSC VARCHAR(40))",
    "CREATE TABLE INV_BAL (WHS_ID INT, ITM_ID INT, QTY_OH INT, "
    "FOREIGN KEY (WHS_ID) REFERENCES WHS_LOC (WHS_ID), "
    "FOREIGN KEY (ITM_ID) REFERENCES ITM_MST (ITM_ID))",
    "CREATE TABLE EMP_MST (EMP_ID INT PRIMARY KEY, EMP_NM VARCHAR(40), SAL_AMT INT)",
    "CREATE TABLE VND_MST (VND_ID INT PRIMARY KEY, VND_NM VARCHAR(40), PAY_TRM INT)",
    "CREATE TABLE SHP_TRK (SHP_ID INT PRIMARY KEY, CRR_CD CHAR(3), DLV_DYS INT)",
    "INSERT INTO WHS_LOC VALUES (1, 'North', 'N'), (2, 'South', 'S')",
    "INSERT INTO ITM_MST VALUES (10, 'Bolt'), (20, 'Nut')",
    "INSERT INTO INV_BAL VALUES (1, 10, 5), (1, 20, 7), (2, 10, 1)",
]
STOCK_SQL = (
    "SELECT w.WHS_NM, SUM(b.QTY_OH) AS on_hand FROM WHS_LOC w JOIN INV_BAL b "
    "ON b.WHS_ID = w.WHS_ID GROUP BY w.WHS_NM ORDER BY w.WHS_NM"
)
QUESTION = "how much stock sits in each depot"


@pytest.fixture
def warehouse(mysql_url: str) -> str:
    return create_schema(mysql_url, SCHEMA)


@contextmanager
def build(
    scripted_ollama: ScriptedOllama, url: str, pick: str = "INV_BAL, WHS_LOC", **overrides: object
) -> Iterator[Services]:
    settings = {
        "schema_mode": "retrieve",
        "table_selection": True,
        "question_names": False,  # with selection: test_engine_question_names.py
        "retrieval_k": 3,
        "answer_candidates": 0,
        **overrides,
    }
    with scripted_services(scripted_ollama, url, **settings) as built:
        scripted_ollama.add(
            when(regex=r"Tables:\s*$", reply=pick),
            when(QUESTION, reply=f"```sql\n{STOCK_SQL}\n```"),
        )
        scripted_ollama.clear_requests()
        yield built


@pytest.fixture
def services(warehouse: str, scripted_ollama: ScriptedOllama) -> Iterator[Services]:
    with build(scripted_ollama, warehouse) as built:
        yield built


def test_the_picked_tables_are_the_ones_the_sql_prompt_holds(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    answer = services.engine.ask(QUESTION, ANALYST)
    assert answer.ok, answer.error
    assert answer.retrieval is not None and answer.retrieval.selected == ("INV_BAL", "WHS_LOC")
    assert [t.name for t in answer.retrieval.tables][:2] == ["INV_BAL", "WHS_LOC"]
    pick, write = scripted_ollama.chat_requests
    catalogue = pick["messages"][0]["content"]
    for table in ("WHS_LOC", "ITM_MST", "INV_BAL", "EMP_MST", "VND_MST", "SHP_TRK"):
        assert f"\n{table}: " in catalogue
    assert "INV_BAL: columns WHS_ID, ITM_ID, QTY_OH [links: ITM_MST, WHS_LOC]" in catalogue
    sql_prompt = "\n".join(m["content"] for m in write["messages"])
    assert "CREATE TABLE INV_BAL" in sql_prompt and "CREATE TABLE WHS_LOC" in sql_prompt
    assert "select" in answer.timings


def test_the_whole_catalogue_is_the_same_for_every_question(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    services.engine.ask(QUESTION, ANALYST)
    services.engine.ask("who are our suppliers", ANALYST)
    picks = [r for r in scripted_ollama.chat_requests if "Catalogue" in r["messages"][0]["content"]]
    assert len(picks) == 2 and picks[0]["messages"][0] == picks[1]["messages"][0]


def test_over_budget_only_the_retrievals_pool_is_listed_by_the_question(
    warehouse: str, scripted_ollama: ScriptedOllama
) -> None:
    with build(
        scripted_ollama, warehouse, table_catalogue_max_tokens=0, table_selection_pool=5
    ) as built:
        assert built.engine.ask(QUESTION, ANALYST).ok
        pick = scripted_ollama.chat_requests[0]["messages"]
        assert "Catalogue" not in pick[0]["content"]
        listed = pick[1]["content"].split("\n\nQuestion:")[0].splitlines()[1:]
        assert len(listed) == 5


def test_a_reply_naming_no_table_leaves_the_retrieval_order(
    warehouse: str, scripted_ollama: ScriptedOllama
) -> None:
    with build(scripted_ollama, warehouse, pick="I am not sure.") as services:
        answer = services.engine.ask(QUESTION, ANALYST)
        ranked = services.engine.rank_tables(QUESTION, ANALYST, k=3)
    assert answer.retrieval is not None and answer.retrieval.selected == ()
    assert [t.name for t in answer.retrieval.tables] == [t.name for t in ranked.tables]


def test_a_restricted_role_sees_and_can_pick_only_its_tables(
    warehouse: str, scripted_ollama: ScriptedOllama
) -> None:
    clerk = Actor(
        username="cleo",
        role="clerk",
        policy=AccessPolicy(
            allowed_tables=frozenset({"whs_loc", "inv_bal", "emp_mst"}),
            denied_columns=frozenset({("emp_mst", "sal_amt")}),
        ),
    )
    with build(scripted_ollama, warehouse, pick="ITM_MST, EMP_MST") as services:
        answer = services.engine.ask(QUESTION, clerk)
    catalogue = scripted_ollama.chat_requests[0]["messages"][0]["content"]
    assert "ITM_MST:" not in catalogue and "SAL_AMT" not in catalogue
    assert "EMP_MST: columns EMP_ID, EMP_NM" in catalogue
    assert answer.retrieval is not None and answer.retrieval.selected == ("EMP_MST",)


def test_warm_up_evaluates_the_catalogue_when_it_is_the_same_for_every_question(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    assert services.engine.warm_up(ANALYST)
    warm = scripted_ollama.last_chat
    assert warm["options"]["num_predict"] == 1
    services.engine.ask(QUESTION, ANALYST)
    assert scripted_ollama.chat_requests[1]["messages"][0] == warm["messages"][0]


def test_without_selection_there_is_no_pick(
    warehouse: str, scripted_ollama: ScriptedOllama
) -> None:
    with build(scripted_ollama, warehouse, table_selection=False) as built:
        assert built.engine.ask(QUESTION, ANALYST).ok
        assert scripted_ollama.chat_count == 1
        assert not built.engine.warm_up(ANALYST)
