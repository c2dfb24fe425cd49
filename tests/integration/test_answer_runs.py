"""Every question leaves one run record of what produced its answer, whichever door it came
through; SQL run by hand, tiles, exports and reviews leave none; a record that cannot be
written never costs the answer; a vote counts under the run it was given on (scripted
Ollama, business and app databases on SQLite)."""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from appdb.engine import create_app_engine
from appdb.migrate import upgrade
from auth.audit import AuditLog
from backend.answer_service import AnswerService
from backend.conversations import ConversationStore
from backend.domain import AccessPolicy, Actor, Note
from backend.feedback import FeedbackStore
from backend.monitoring.figures import RunFilter
from backend.monitoring.store import RunStore
from backend.prompt_fingerprint import prompt_fingerprint
from testkit.scripted_ollama import ScriptedOllama, when
from tests.support.runs import recorded_runs
from tests.support.services import scripted_services
from wiring.services import Services, answer_service

COUNT = "SELECT COUNT(*) AS n FROM orders"
ANA = Actor("ana", "analyst")


@pytest.fixture
def services(scripted_ollama: ScriptedOllama, tmp_path: Path) -> Iterator[Services]:
    url = f"sqlite:///{tmp_path / 'shop.sqlite'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE orders (id INTEGER PRIMARY KEY, amount REAL)")
        conn.exec_driver_sql("INSERT INTO orders VALUES (1, 10), (2, 20)")
        conn.exec_driver_sql("CREATE TABLE secrets (id INTEGER PRIMARY KEY)")
    engine.dispose()
    scripted_ollama.add(
        when("how many orders", reply=f"```sql\n{COUNT}\n```"),
        when("no orders", reply="```sql\nSELECT id FROM orders WHERE amount > 99\n```"),
        when("the secrets", reply="```sql\nSELECT id FROM secrets\n```"),
    )
    with scripted_services(scripted_ollama, url) as built:
        yield built


@pytest.fixture
def app_db(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = create_app_engine(f"sqlite:///{tmp_path / 'app.sqlite'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def answers(services: Services, app_db: sa.Engine) -> AnswerService:
    """The doors' answer service, as the wiring builds it: runs kept beside the audit."""
    return answer_service(services, AuditLog(app_db), ConversationStore(app_db))


@pytest.mark.parametrize("source", ["page", "cli", "api", "mcp"])
def test_each_door_that_asks_records_what_produced_the_answer(
    answers: AnswerService,
    services: Services,
    scripted_ollama: ScriptedOllama,
    app_db: sa.Engine,
    source: str,
) -> None:
    keep = source == "page"
    reply = answers.ask(ANA, "How many orders?", source=source, keep=keep)  # type: ignore[arg-type]
    assert reply.ok and reply.run_id is not None
    [run] = recorded_runs(app_db)
    engine = services.engine
    model = scripted_ollama.chat_model
    assert run["id"] == reply.run_id
    assert (run["username"], run["source"], run["question"]) == ("ana", source, "How many orders?")
    assert (run["outcome"], run["database"], run["cached"]) == (
        "answered",
        services.database,
        False,
    )
    assert run["model"] == model
    assert run["model_digest"] == hashlib.sha256(model.encode()).hexdigest()
    assert run["prompt_hash"] == prompt_fingerprint(engine.config, "sqlite")
    assert run["schema_mode"] == engine.config.schema_mode
    assert reply.answer.retrieval is not None
    assert run["retrieval_mode"] == reply.answer.retrieval.mode
    assert run["knowledge_version"] == engine.knowledge_version() is not None
    assert (run["attempts"], run["candidates"]) == (1, 0)
    assert run["prompt_tokens"] > 0 and run["completion_tokens"] > 0
    timings = json.loads(run["timings"])
    assert {"retrieve", "generate", "check", "execute"} <= set(timings)
    assert run["seconds"] >= sum(timings.values()) - 0.001  # the whole wait
    if keep:
        assert reply.turn is not None and reply.turn.run_id == reply.run_id
        stored = ConversationStore(app_db).turn("ana", reply.turn.id)
        assert stored.run_id == reply.run_id
    else:
        assert reply.turn is None


def test_the_outcome_and_the_cache_are_recorded(answers: AnswerService, app_db: sa.Engine) -> None:
    no_secrets = Actor("nina", "analyst", policy=AccessPolicy(allowed_tables=frozenset({"orders"})))
    answers.ask(ANA, "How many orders?", source="api", keep=False)
    answers.ask(ANA, "How many orders?", source="api", keep=False)  # from the answer cache
    answers.ask(ANA, "Any orders above 99? no orders", source="api", keep=False)
    answers.ask(no_secrets, "List the secrets", source="api", keep=False)
    runs = recorded_runs(app_db)
    assert [(r["outcome"], r["cached"]) for r in runs] == [
        ("answered", False),
        ("answered", True),
        ("empty", False),
        ("refused", False),
    ]
    assert json.loads(runs[1]["timings"]).get("cache") is not None


def test_a_dead_model_is_recorded_as_such(
    answers: AnswerService, scripted_ollama: ScriptedOllama, app_db: sa.Engine
) -> None:
    scripted_ollama.fail_status = 500
    reply = answers.ask(ANA, "How many orders? again", source="page", keep=False)
    assert not reply.ok
    [run] = recorded_runs(app_db)
    assert run["outcome"] == "model_down" and run["model_digest"] is None


def test_sql_tiles_exports_and_reviews_leave_no_run(
    answers: AnswerService, app_db: sa.Engine
) -> None:
    answers.run_sql(ANA, COUNT, source="page", keep=False)
    answers.run_sql(ANA, COUNT, source="tile", question="Orders", keep=False)
    answers.run_sql(ANA, COUNT, source="review", keep=False)
    answers.export(ANA, COUNT, io.BytesIO(), question="Orders")
    assert recorded_runs(app_db) == []


def test_a_run_that_cannot_be_written_never_costs_the_answer(
    services: Services,
    app_db: sa.Engine,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = RunStore(sa.create_engine(f"sqlite:///{tmp_path / 'no_tables.sqlite'}"))
    chats = ConversationStore(app_db)
    answers = answer_service(services, AuditLog(app_db), chats, runs=broken)
    with caplog.at_level(logging.ERROR, logger="backend.answer_service"):
        reply = answers.ask(ANA, "How many orders?", source="page")
    assert reply.ok and reply.run_id is None
    assert reply.audit_warning is None  # the audit was written; the asker is not bothered
    assert reply.turn is not None and chats.turn("ana", reply.turn.id).run_id is None
    [logged] = [r for r in caplog.records if r.name == "backend.answer_service"]
    assert logged.exc_info is not None and "run record failed for ana" in logged.getMessage()


def test_a_vote_counts_under_the_run_it_was_given_on(
    answers: AnswerService, services: Services, app_db: sa.Engine
) -> None:
    reply = answers.ask(ANA, "How many orders?", source="page")
    assert reply.turn is not None
    votes = FeedbackStore(app_db, index=services.store, database=services.database)
    votes.thumbs_up("ana", reply.turn.question, COUNT, run_id=reply.turn.run_id)
    store = RunStore(app_db)
    version = prompt_fingerprint(services.engine.config, "sqlite")
    assert list(store.figures(RunFilter(prompt_hash=version)).votes["votes"]) == [1]
    assert store.figures(RunFilter(prompt_hash="other")).votes.empty


def test_the_knowledge_version_changes_when_the_knowledge_does(
    answers: AnswerService, services: Services, app_db: sa.Engine
) -> None:
    answers.ask(ANA, "How many orders?", source="cli", keep=False)
    services.store.index_notes(services.database, [Note("Revenue means the sum of amounts.")])
    services.engine.refresh()  # as every re-index does
    answers.ask(ANA, "How many orders? (2)", source="cli", keep=False)
    before, after = (run["knowledge_version"] for run in recorded_runs(app_db))
    assert before and after and before != after


def test_each_run_keeps_how_near_its_question_was_to_the_indexed_tables(
    answers: AnswerService, services: Services, app_db: sa.Engine
) -> None:
    """The question drift's measure: the cosine similarity of the question's embedding to
    the nearest indexed table (or example), from the vector its retrieval computed."""
    answers.ask(ANA, "How many orders?", source="api", keep=False)
    answers.ask(ANA, "Will it rain in Lisbon tomorrow?", source="api", keep=False)
    answers.ask(ANA, "How many orders?", source="api", keep=False)  # from the answer cache
    near, far, cached = (run["similarity"] for run in recorded_runs(app_db))
    assert -1 <= far < near <= 1
    assert cached == pytest.approx(near)
    figures = RunStore(app_db).figures(RunFilter(), far_below=(near + far) / 2)
    assert list(figures.far["far"]) == [1] and list(figures.far["measured"]) == [3]
    assert figures.farthest["question"].iloc[0] == "Will it rain in Lisbon tomorrow?"


def test_no_similarity_is_measured_without_embeddings(
    answers: AnswerService, scripted_ollama: ScriptedOllama, app_db: sa.Engine
) -> None:
    scripted_ollama.fail_status = 500
    answers.ask(ANA, "How many orders? once more", source="page", keep=False)
    [run] = recorded_runs(app_db)
    assert run["similarity"] is None
