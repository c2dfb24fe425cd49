"""Retrieve mode with a core: a question about the tables the approved examples read gets
them whole, in one system message every such question shares; any other question gets its
retrieved tables as before.

The invented harbour schema on the real MariaDB (`tests.support.harbour_schema`), question
names off, the scripted Ollama writing the SQL.
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager

import pytest

from backend.domain import AccessPolicy, Actor, Answer, Example
from backend.question_names import NAMES_SYSTEM
from testkit.scripted_ollama import ScriptedOllama, when
from tests.support.engine_db import create_schema
from tests.support.harbour_schema import QUESTION, SCHEMA, harbour_services
from wiring.services import Services

pytestmark = pytest.mark.mariadb

ANALYST = Actor(username="ana", role="analyst")
QUAYS = [
    Example(
        "Ships per quay?",
        "SELECT b.quay, COUNT(*) FROM berths b JOIN vessels v ON v.id = b.vessel_id "
        "GROUP BY b.quay",
    ),
    Example("Berths per quay?", "SELECT quay, COUNT(*) FROM berths GROUP BY quay"),
]
ABOUT_QUAYS = "How many berths does each quay have?"
ABOUT_SHIPS = "Which berths hold the heaviest vessels?"
QUAY_SQL = "SELECT quay, COUNT(*) AS berths FROM berths GROUP BY quay ORDER BY quay"
SCHEMA_WITH_BERTHS = [*SCHEMA, "INSERT INTO vessels VALUES (1, 'Orca', 900)",
                      "INSERT INTO berths VALUES (1, 1, 'A'), (2, 1, 'B')"]  # fmt: skip


@pytest.fixture
def harbour(mysql_url: str) -> str:
    return create_schema(mysql_url, SCHEMA_WITH_BERTHS)


def build(
    scripted_ollama: ScriptedOllama, url: str, examples: list[Example], **overrides: object
) -> AbstractContextManager[Services]:
    settings = {"retrieval_k": 2, "core_schema_max_tokens": 4000, **overrides}
    quays = when(regex=r"quay|vessel|berth", reply=f"```sql\n{QUAY_SQL}\n```")
    return harbour_services(scripted_ollama, url, examples=examples, replies=[quays], **settings)


def _system(scripted_ollama: ScriptedOllama) -> str:
    # The first request of the question, before any repair quotes the model's query back.
    return str(scripted_ollama.chat_requests[0]["messages"][0]["content"])


def _tables(text: str) -> list[str]:
    return re.findall(r"CREATE TABLE `?(\w+)", text)


def _ask(services: Services, scripted_ollama: ScriptedOllama, question: str) -> Answer:
    scripted_ollama.clear_requests()
    return services.engine.ask(question, ANALYST)


def test_a_question_about_the_core_gets_it_whole_with_every_example_after_it(
    harbour: str, scripted_ollama: ScriptedOllama
) -> None:
    with build(scripted_ollama, harbour, QUAYS) as services:
        answer = _ask(services, scripted_ollama, ABOUT_QUAYS)
    assert answer.ok, answer.error
    assert answer.retrieval is not None and answer.retrieval.mode == "core"
    assert {t.name for t in answer.retrieval.tables} == {"berths", "vessels"}
    system = _system(scripted_ollama)
    assert sorted(_tables(system)) == ["berths", "vessels"]
    assert all(e.question in system for e in QUAYS)
    user = scripted_ollama.chat_requests[0]["messages"][1]["content"]
    assert user.strip() == f"Question: {ABOUT_QUAYS}"


def test_questions_about_the_core_share_one_system_message_which_the_warm_up_evaluates(
    harbour: str, scripted_ollama: ScriptedOllama
) -> None:
    with build(scripted_ollama, harbour, QUAYS) as services:
        warm = services.engine.warm_up_prompt(ANALYST)
        systems = []
        for question in (ABOUT_QUAYS, ABOUT_SHIPS):
            answer = _ask(services, scripted_ollama, question)
            assert answer.retrieval is not None and answer.retrieval.mode == "core", question
            systems.append(_system(scripted_ollama))
    assert warm is not None
    assert systems == [warm[0][1], warm[0][1]]


def test_a_question_past_the_core_gets_its_retrieved_tables(
    harbour: str, scripted_ollama: ScriptedOllama
) -> None:
    with build(scripted_ollama, harbour, QUAYS) as services:
        answer = _ask(services, scripted_ollama, QUESTION)
    # The search's best match for "clients" is not a core table.
    assert answer.retrieval is not None and answer.retrieval.mode != "core"
    shown = _tables(_system(scripted_ollama))
    assert sorted(shown) == sorted(t.name for t in answer.retrieval.tables)
    assert len(shown) == 2


def test_a_question_reaching_a_neighbour_outside_the_core_gets_its_retrieved_tables(
    harbour: str, scripted_ollama: ScriptedOllama
) -> None:
    question = "Which vessel has the greatest tonnage?"
    with build(scripted_ollama, harbour, []) as services:
        searched = services.engine.rank_tables(question, ANALYST, k=2)
    heaviest = Example("Heaviest ship?", "SELECT MAX(tonnage) FROM vessels")
    with build(scripted_ollama, harbour, [heaviest]) as services:
        answer = _ask(services, scripted_ollama, question)
    # The core is vessels alone, the search's best match; its neighbour berths is promoted
    # among the question's tables, so the question may reach past the core.
    assert [t.name for t in searched.tables] == ["vessels", "berths"]
    assert answer.retrieval is not None and answer.retrieval.mode != "core"
    assert sorted(_tables(_system(scripted_ollama))) == ["berths", "vessels"]


def test_no_core_without_examples_or_with_a_zero_budget(
    harbour: str, scripted_ollama: ScriptedOllama
) -> None:
    with build(scripted_ollama, harbour, []) as services:
        answer = _ask(services, scripted_ollama, ABOUT_QUAYS)
        assert services.engine.warm_up_prompt(ANALYST) is None
    assert answer.retrieval is not None and answer.retrieval.mode != "core"
    with build(scripted_ollama, harbour, QUAYS, core_schema_max_tokens=0) as services:
        answer = _ask(services, scripted_ollama, ABOUT_QUAYS)
    assert answer.retrieval is not None and answer.retrieval.mode != "core"


CLERK = Actor(
    username="cleo",
    role="clerk",
    policy=AccessPolicy(
        allowed_tables=frozenset({"client_certificates", "vessels", "berths"}),
        denied_columns=frozenset({("vessels", "tonnage")}),
    ),
)


@pytest.mark.parametrize(
    "hidden",
    [
        Example("Clients in Peru?", "SELECT full_name FROM customers WHERE country = 'Peru'"),
        Example("Clients' ships?", "SELECT v.vessel_name FROM vessels v, customers c"),
        Example("Clients' ships?", "SELECT vessel_name FROM vessels JOIN customers"),
        Example("Clients' ships?", "SELECT * FROM vessels WHERE id IN (SELECT id FROM customers)"),
        Example("Clients by ship", "WITH c AS (SELECT * FROM customers) SELECT * FROM c, berths"),
        Example("Heaviest ship?", "SELECT MAX(tonnage) FROM vessels"),
        Example("Heavy ships?", "SELECT vessel_name FROM vessels WHERE tonnage > 500"),
    ],
)
def test_a_core_holds_only_what_the_role_may_read(
    harbour: str, scripted_ollama: ScriptedOllama, hidden: Example
) -> None:
    # Read as often as the quays' tables, the hidden example would join their group.
    examples = [*QUAYS, hidden, hidden]
    with build(scripted_ollama, harbour, examples) as services:
        warm = services.engine.warm_up_prompt(CLERK)
        scripted_ollama.clear_requests()
        answer = services.engine.ask(ABOUT_QUAYS, CLERK)
    assert answer.retrieval is not None and answer.retrieval.mode == "core"
    assert {t.name for t in answer.retrieval.tables} <= {"berths", "vessels"}
    assert warm is not None
    said = "\n".join(
        [*(text for _, text in warm)]
        + [m["content"] for m in scripted_ollama.chat_requests[0]["messages"]]
    ).lower()
    assert "berths" in said
    assert "customers" not in said
    assert "tonnage" not in said


def _names_calls(scripted_ollama: ScriptedOllama) -> int:
    return sum(r["messages"][0]["content"] == NAMES_SYSTEM for r in scripted_ollama.chat_requests)


def test_a_question_the_plain_search_finds_about_the_core_asks_the_model_no_names(
    harbour: str, scripted_ollama: ScriptedOllama
) -> None:
    with build(scripted_ollama, harbour, QUAYS, question_names=True) as services:
        scripted_ollama.add(when(NAMES_SYSTEM, anywhere=True, reply="clients: customers"))
        core = _ask(services, scripted_ollama, ABOUT_QUAYS)
        core_calls = _names_calls(scripted_ollama)
        other = _ask(services, scripted_ollama, QUESTION)
        other_calls = _names_calls(scripted_ollama)
    assert core.retrieval is not None and core.retrieval.mode == "core"
    assert core_calls == 0
    assert other.retrieval is not None and other.retrieval.mode != "core"
    assert other_calls == 1


def test_with_table_selection_a_question_about_the_core_needs_no_pick(
    harbour: str, scripted_ollama: ScriptedOllama
) -> None:
    with build(scripted_ollama, harbour, QUAYS, table_selection=True) as services:
        answer = _ask(services, scripted_ollama, ABOUT_QUAYS)
        asked = len(scripted_ollama.chat_requests)
        other = _ask(services, scripted_ollama, QUESTION)
    assert answer.retrieval is not None and answer.retrieval.mode == "core"
    assert answer.retrieval.selected is None
    assert asked == 1  # the SQL request alone
    assert other.retrieval is not None and other.retrieval.selected is not None
