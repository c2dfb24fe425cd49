"""Retrieve mode: the tables the question's nearest approved examples read come first
among those the search found, and the prompt shows those examples.

An invented schema on the real MariaDB where the user's word ("clients") names a
look-alike table (TLS client certificates) and the right one is called `customers`;
question names off, so the plain search ranks the look-alike first. The scripted Ollama
writes the SQL.
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager

import pytest

from backend.domain import AccessPolicy, Actor, Example
from testkit.scripted_ollama import ScriptedOllama
from tests.support.engine_db import create_schema
from tests.support.harbour_schema import QUESTION, SCHEMA, harbour_services
from wiring.services import Services

pytestmark = pytest.mark.mariadb

ANALYST = Actor(username="ana", role="analyst")
NEAR = Example(
    "Which clients live in Peru?", "SELECT full_name FROM customers WHERE country = 'Peru'"
)
CLERK = Actor(
    username="cleo",
    role="clerk",
    policy=AccessPolicy(allowed_tables=frozenset({"client_certificates", "vessels", "berths"})),
)


@pytest.fixture
def harbour(mysql_url: str) -> str:
    return create_schema(mysql_url, SCHEMA)


def build(
    scripted_ollama: ScriptedOllama, url: str, examples: list[Example], **overrides: object
) -> AbstractContextManager[Services]:
    return harbour_services(scripted_ollama, url, examples=examples, **overrides)


def _top(services: Services, actor: Actor = ANALYST) -> list[str]:
    return [t.name for t in services.engine.rank_tables(QUESTION, actor, k=2).tables]


def test_a_near_approved_example_brings_the_table_it_reads_forward(
    harbour: str, scripted_ollama: ScriptedOllama
) -> None:
    with build(scripted_ollama, harbour, []) as services:
        # The user's own word alone finds the look-alike first: what the examples fix.
        assert _top(services)[0] == "client_certificates"
    with build(scripted_ollama, harbour, [NEAR]) as services:
        assert _top(services)[0] == "customers"
        assert services.engine.rank_tables(QUESTION, ANALYST, k=2).examples == (NEAR,)


def test_the_sql_prompt_holds_the_examples_found_with_its_tables(
    harbour: str, scripted_ollama: ScriptedOllama
) -> None:
    far = Example("How many berths per quay?", "SELECT quay, COUNT(*) FROM berths GROUP BY quay")
    with build(scripted_ollama, harbour, [far, NEAR]) as services:
        answer = services.engine.ask(QUESTION, ANALYST)
    assert answer.ok, answer.error
    assert answer.result is not None
    assert answer.result.frame["full_name"].tolist() == ["Ada", "Cy"]
    assert answer.retrieval is not None and answer.retrieval.examples is not None
    assert answer.retrieval.examples[0] == NEAR
    prompt = "\n".join(m["content"] for m in scripted_ollama.last_chat["messages"])
    assert "CREATE TABLE customers" in prompt
    assert "client_certificates" not in prompt
    shown = re.findall(r"^Question: (.+)$", prompt, flags=re.MULTILINE)[:-1]
    assert shown == [e.question for e in answer.retrieval.examples]


@pytest.mark.parametrize(
    "hidden",
    [
        NEAR,
        Example("Which clients own vessels?", "SELECT v.vessel_name FROM vessels v, customers c"),
        Example("Which clients own vessels?", "SELECT vessel_name FROM vessels JOIN customers"),
        Example("Clients' ships?", "SELECT * FROM vessels WHERE id IN (SELECT id FROM customers)"),
        Example("Clients by ship", "WITH c AS (SELECT * FROM customers) SELECT * FROM c, berths"),
    ],
)
def test_an_example_reading_what_a_role_may_not_read_moves_nothing_and_is_not_shown(
    harbour: str, scripted_ollama: ScriptedOllama, hidden: Example
) -> None:
    with build(scripted_ollama, harbour, []) as services:
        plain = _top(services, CLERK)
    with build(scripted_ollama, harbour, [hidden]) as services:
        found = services.engine.rank_tables(QUESTION, CLERK, k=2)
        services.engine.ask(QUESTION, CLERK)
    assert [t.name for t in found.tables] == plain
    assert set(plain) <= {"client_certificates", "vessels", "berths"}
    assert found.examples == ()
    # The first request, before any repair quotes the scripted model's own query back.
    prompt = "\n".join(m["content"] for m in scripted_ollama.chat_requests[0]["messages"])
    assert "customers" not in prompt.lower()


def test_with_the_whole_schema_the_examples_are_listed_as_before(
    harbour: str, scripted_ollama: ScriptedOllama
) -> None:
    with build(scripted_ollama, harbour, [NEAR], schema_mode="full") as services:
        answer = services.engine.ask(QUESTION, ANALYST)
    assert answer.ok, answer.error
    assert answer.retrieval is not None and answer.retrieval.examples is None
    assert NEAR.question in scripted_ollama.last_chat["messages"][0]["content"]


def test_the_prompt_lists_the_most_read_tables_first_in_one_fixed_order(
    harbour: str, scripted_ollama: ScriptedOllama
) -> None:
    quays = [
        Example(
            "Ships per quay?",
            "SELECT b.quay, COUNT(*) FROM berths b JOIN vessels v ON v.id = b.vessel_id "
            "GROUP BY b.quay",
        ),
        Example(
            "Heaviest berthed ship?",
            "SELECT MAX(v.tonnage) FROM vessels v JOIN berths b ON b.vessel_id = v.id",
        ),
    ]
    with build(scripted_ollama, harbour, [NEAR, *quays], retrieval_k=5) as services:
        answer = services.engine.ask(QUESTION, ANALYST)
    assert answer.ok, answer.error
    assert answer.retrieval is not None
    ranked = [t.name for t in answer.retrieval.tables]
    system = scripted_ollama.last_chat["messages"][0]["content"]
    in_prompt = re.findall(r"^CREATE TABLE (\w+)", system, flags=re.MULTILINE)
    assert in_prompt[:3] == ["berths", "vessels", "customers"]  # read by 2, 2, 1 examples
    assert in_prompt[3:] == [name for name in ranked if name not in in_prompt[:3]]
    # The ranking itself: the tables more of the near examples read first (the search
    # found all three), each group in the search's order.
    assert set(ranked[:2]) == {"berths", "vessels"} and ranked[2] == "customers"
