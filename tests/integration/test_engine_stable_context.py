"""Stable context: with the whole schema, every note and example follows it, cached with it.

Demo database, embedded Qdrant, scripted Ollama server, production wiring.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from backend import demo
from backend.adapters.ollama import OllamaChatModel
from backend.domain import AccessPolicy, Actor, Example
from demo_data import build_demo_database
from testkit.scripted_ollama import ScriptedOllama, when
from tests.support.services import scripted_services
from wiring.services import Services

ANALYST = Actor(username="ana", role="analyst")
COUNT_SQL = "SELECT COUNT(*) AS customers FROM customers"
# Retrieved per question, without a core (the demo's examples read all its tables, so its
# core would be the whole schema: `test_engine_core` covers that route).
_RETRIEVED = {"schema_mode": "retrieve", "core_schema_max_tokens": 0}


@pytest.fixture(scope="module")
def demo_sqlite(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('stable') / 'demo.sqlite'}"
    build_demo_database(url, orders=200)
    return url


def _services(url: str, ollama: ScriptedOllama, **overrides: object) -> Iterator[Services]:
    with scripted_services(ollama, url, **overrides) as services:
        ollama.add(when("Question:", reply=f"```sql\n{COUNT_SQL}\n```"))
        yield services


@pytest.fixture
def full(demo_sqlite: str, scripted_ollama: ScriptedOllama) -> Iterator[Services]:
    yield from _services(demo_sqlite, scripted_ollama, schema_mode="full")


def test_every_note_and_example_follows_the_schema_and_only_the_question_varies(
    full: Services, scripted_ollama: ScriptedOllama
) -> None:
    for question in ("How many customers are there?", "What was the revenue in 2025?"):
        assert full.engine.ask(question, ANALYST).ok
    first, second = (r["messages"] for r in scripted_ollama.chat_requests)
    assert first[0] == second[0]  # the same system message: one cached prefix
    system = first[0]["content"]
    assert all(note.text in system for note in demo.load_notes())
    assert all(example.question in system for example in demo.load_examples())
    assert second[-1]["content"] == "Question: What was the revenue in 2025?"


def test_retrieved_schema_keeps_retrieving_notes_and_examples_per_question(
    demo_sqlite: str, scripted_ollama: ScriptedOllama
) -> None:
    for services in _services(demo_sqlite, scripted_ollama, **_RETRIEVED):
        assert services.engine.ask("What was the revenue in 2025?", ANALYST).ok
    user = scripted_ollama.last_chat["messages"][-1]["content"]
    assert "Business notes:" in user and "Examples of questions" in user


def test_too_many_notes_and_examples_fall_back_to_retrieval(
    demo_sqlite: str, scripted_ollama: ScriptedOllama
) -> None:
    for services in _services(
        demo_sqlite, scripted_ollama, schema_mode="full", stable_context_max_tokens=100
    ):
        assert services.engine.ask("What was the revenue in 2025?", ANALYST).ok
    system, user = (m["content"] for m in scripted_ollama.last_chat["messages"])
    assert "Business notes:" not in system and "Business notes:" in user


def test_notes_and_examples_naming_a_hidden_column_are_left_out(
    full: Services, scripted_ollama: ScriptedOllama
) -> None:
    policy = AccessPolicy(denied_columns=frozenset({("employees", "salary")}))
    assert full.engine.ask("How many customers are there?", Actor("ana", "hr", policy=policy)).ok
    system = scripted_ollama.last_chat["messages"][0]["content"]
    assert "salary" not in system
    assert "Business notes:" in system  # the others are still there


def test_an_example_approved_between_questions_is_in_the_next_prompt(
    full: Services, scripted_ollama: ScriptedOllama
) -> None:
    assert full.engine.ask("How many customers are there?", ANALYST).ok
    approved = Example("Which zebra sold best?", "SELECT 1 AS zebra")
    full.store.index_examples(full.database, [approved])
    assert full.engine.ask("How many orders were placed?", ANALYST).ok
    assert approved.question in scripted_ollama.last_chat["messages"][0]["content"]


def test_warm_up_has_the_server_evaluate_what_every_question_starts_with(
    full: Services, scripted_ollama: ScriptedOllama
) -> None:
    assert full.engine.warm_up(ANALYST)
    warm = scripted_ollama.last_chat
    assert warm["options"]["num_predict"] == 1  # evaluate the prompt, write next to nothing
    assert full.engine.ask("How many customers are there?", ANALYST).ok
    assert scripted_ollama.last_chat["messages"][0] == warm["messages"][0]


def test_no_warm_up_when_prompts_are_built_from_retrieved_tables(
    demo_sqlite: str, scripted_ollama: ScriptedOllama
) -> None:
    for services in _services(demo_sqlite, scripted_ollama, **_RETRIEVED):
        assert not services.engine.warm_up(ANALYST)
    assert scripted_ollama.chat_requests == []


def test_a_warm_up_that_fails_is_logged_and_changes_nothing(
    full: Services, caplog: pytest.LogCaptureFixture
) -> None:
    settings = full.settings
    full.engine.model = OllamaChatModel(
        base_url="http://127.0.0.1:9",
        model=settings.ollama_model,
        num_ctx=2048,
        timeout_s=1,
        keep_alive="1m",
        prefill_timeout_s=1,
    )
    assert not full.engine.warm_up(ANALYST)
    assert "model warm-up for role analyst failed" in caplog.text
