"""What a question's run record says: its outcome, the prompt's version, and the rest of
what produced the answer (no database: the records are built, not stored)."""

from __future__ import annotations

from dataclasses import fields, replace

import pandas as pd
import pytest

from backend.adapters.ollama import check_ollama
from backend.adapters.ollama_version import OllamaModelVersion
from backend.domain import Answer, Attempt, QueryResult, Retrieval, ScoredTable
from backend.engine_config import EngineConfig
from backend.i18n.message import Message
from backend.monitoring.outcome import FAILED, OUTCOMES, outcome_of
from backend.monitoring.prompt_version import OTHER_FIELDS, PROMPT_FIELDS, prompt_hash
from backend.monitoring.runs import Producer, answer_run
from testkit.scripted_ollama import ScriptedOllama

ROWS = QueryResult(pd.DataFrame({"n": [3]}), truncated=False, elapsed_s=0.1)
NO_ROWS = QueryResult(pd.DataFrame({"n": []}), truncated=False, elapsed_s=0.1)


def failed(key: str, *attempts: Attempt, **params: object) -> Answer:
    message = Message.of(key, **params)
    return Answer("q", None, None, attempts=attempts, error=str(message), error_message=message)


def tried(stage: str, key: str) -> Attempt:
    return Attempt("SELECT 1", key, stage, Message.of(key))


GAVE_UP = "engine.ask.gave_up"


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        (Answer("q", "SELECT 1", ROWS), "answered"),
        (Answer("q", "SELECT 1", NO_ROWS), "empty"),
        (failed("engine.ollama.unreachable", url="http://x"), "model_down"),
        (failed("engine.db.timeout", seconds=5), "db_error"),
        (failed("engine.db.unreachable"), "db_error"),
        (failed(GAVE_UP, tried("check", "guard.table.denied")), "refused"),
        (failed(GAVE_UP, tried("check", "guard.only_select")), "refused"),
        (
            failed(
                GAVE_UP, tried("check", "guard.only_select"), tried("execute", "engine.db.failed")
            ),
            "db_error",
        ),
        (
            failed(
                GAVE_UP,
                tried("execute", "engine.db.failed"),
                tried("generate", "engine.ask.repeated"),
            ),
            "db_error",
        ),
        (failed(GAVE_UP, tried("check", "engine.check.column")), "gave_up"),
        (failed(GAVE_UP, tried("generate", "engine.ask.no_sql")), "gave_up"),
        (failed("engine.ask.empty"), "other"),
        (failed("engine.schema.not_indexed"), "other"),
        (Answer("q", None, None, error="something in plain English"), "other"),
    ],
)
def test_each_answer_gets_one_outcome(answer: Answer, outcome: str) -> None:
    assert outcome_of(answer) == outcome


def test_every_outcome_but_the_answered_ones_is_a_failure() -> None:
    assert set(FAILED) == set(OUTCOMES) - {"answered", "empty"}


def test_every_engine_setting_is_sorted_into_prompt_shaping_or_not() -> None:
    names = {f.name for f in fields(EngineConfig)}
    assert names == set(PROMPT_FIELDS) | set(OTHER_FIELDS)
    assert not set(PROMPT_FIELDS) & set(OTHER_FIELDS)


def test_the_prompt_hash_follows_what_shapes_the_prompt_only() -> None:
    base = EngineConfig(database="shop")
    first = prompt_hash(base, "mysql")
    assert first == prompt_hash(EngineConfig(database="shop"), "mysql")
    assert len(first) == 12
    assert prompt_hash(replace(base, row_limit=5, candidates=3, database="other"), "mysql") == first
    assert prompt_hash(replace(base, schema_mode="full"), "mysql") != first
    assert prompt_hash(replace(base, chart_suggestions=True), "mysql") != first
    assert prompt_hash(base, "sqlite") != first


def test_the_prompt_hash_changes_with_a_template(monkeypatch: pytest.MonkeyPatch) -> None:
    from backend.monitoring import prompt_version

    config = EngineConfig(database="shop", num_ctx=4096)
    before = prompt_hash(config, "mysql")
    prompt_hash.cache_clear()
    monkeypatch.setattr(prompt_version, "SELECTION_SYSTEM", "Choose tables, briefly.")
    assert prompt_hash(config, "mysql") != before
    prompt_hash.cache_clear()


def test_a_run_counts_tries_candidates_stages_and_tokens() -> None:
    producer = Producer("shop", "qwen", "abc", "0123456789ab", "retrieve", "k1")
    answer = Answer(
        "how many?",
        "SELECT 1",
        ROWS,
        attempts=(
            Attempt("SELECT x", "no", "execute", candidate=0),
            Attempt("SELECT 1", None, "ok", candidate=0),
            Attempt("SELECT 2", None, "ok", candidate=2),
        ),
        retrieval=Retrieval((ScoredTable("orders", 1.0),), "hybrid"),
        timings={"retrieve": 0.2, "generate": 1.5, "execute": 0.1},
        prompt_tokens=900,
        completion_tokens=40,
        agreement=(2, 4),
    )
    run = answer_run(answer, username="ana", source="api", producer=producer, seconds=2.5)
    assert (run.outcome, run.attempts, run.candidates) == ("answered", 3, 3)  # 4 in the vote
    assert run.retrieval_mode == "hybrid" and run.timings == answer.timings
    assert (run.prompt_tokens, run.completion_tokens, run.cached) == (900, 40, False)
    no_vote = answer_run(
        replace(answer, agreement=None),
        username="ana",
        source="api",
        producer=producer,
        seconds=2.5,
    )
    assert no_vote.candidates == 2


def test_the_model_digest_is_asked_once_per_ttl(scripted_ollama: ScriptedOllama) -> None:
    now = [0.0]
    version = OllamaModelVersion(
        base_url=scripted_ollama.url,
        model=scripted_ollama.chat_model,
        ttl_s=60,
        clock=lambda: now[0],
    )
    assert version.name == scripted_ollama.chat_model
    scripted_ollama.clear_requests()
    digest = version.digest()
    assert digest and len(digest) >= 12
    assert [version.digest() for _ in range(5)] == [digest] * 5
    asked = [r for r in scripted_ollama.requests if r.path == "/api/tags"]
    assert len(asked) == 1
    now[0] = 61.0
    version.digest()
    assert len([r for r in scripted_ollama.requests if r.path == "/api/tags"]) == 2


def test_an_unreachable_model_server_gives_no_digest_and_is_not_asked_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from backend.adapters import ollama_version

    asked: list[str] = []

    def counted(**kwargs: object) -> object:
        asked.append(str(kwargs["base_url"]))
        return check_ollama(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ollama_version, "check_ollama", counted)
    version = OllamaModelVersion(base_url="http://127.0.0.1:9", model="qwen", clock=lambda: 0.0)
    assert [version.digest(), version.digest()] == [None, None]
    assert asked == ["http://127.0.0.1:9"]
