"""The prompts the engine builds, pinned byte for byte for a handful of cases.

Demo database (SQLite), embedded Qdrant, the scripted Ollama server recording every chat
request. Each case — whole schema, retrieved schema, table selection with the whole
catalogue or with candidates, a restricted policy, a follow-up, notes and examples that
no longer fit, a repair — records the messages sent to the model, the retrieval the answer
reports and the warm-up prompt, and compares them with tests/integration/golden/.

A model server caches prompt starts, so a prompt that changes by one byte costs minutes on
a CPU; this test makes such a change deliberate. After changing a prompt on purpose, rewrite
the file with `UPDATE_GOLDEN=1` and review its diff.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from backend import demo
from backend.domain import AccessPolicy, Actor, Answer, RowFilter, Turn
from backend.pipeline import Engine
from demo_data import build_demo_database
from testkit.scripted_ollama import ScriptedOllama, when
from tests.support.services import scripted_services

GOLDEN = Path(__file__).parent / "golden" / "engine_prompts.json"
TODAY = dt.date(2026, 3, 14)
COUNT_SQL = "SELECT COUNT(*) AS customers FROM customers"
ANALYST = Actor(username="ana", role="analyst")
RESTRICTED = Actor(
    "rita",
    "sales",
    policy=AccessPolicy(
        allowed_tables=frozenset(set(demo.DEMO_TABLE_NAMES) - {"suppliers"}),
        denied_columns=frozenset({("employees", "salary"), ("customers", "email")}),
        row_filters=(RowFilter("orders", "channel = :user.channel"),),
    ),
    attributes=(("channel", "online"),),
    language="es",
)
FOLLOW_UP = (Turn("How many orders were placed in 2025?", "SELECT COUNT(*) FROM orders"),)
QUESTIONS = ("How many customers are there?", "What was the revenue by product category?")


@dataclass(frozen=True)
class Case:
    """Engine config, who asks, and what: each question is asked, then the warm-up prompt read."""

    config: dict[str, Any]
    actor: Actor = ANALYST
    questions: tuple[str, ...] = QUESTIONS
    conversation: tuple[Turn, ...] = ()
    extra: dict[str, Callable[[Engine, Actor], Any]] = field(default_factory=dict)


CASES = {
    "full": Case({"schema_mode": "full"}),
    "full_restricted": Case({"schema_mode": "full"}, actor=RESTRICTED),
    "full_follow_up": Case(
        {"schema_mode": "full"}, questions=("And in 2024?",), conversation=FOLLOW_UP
    ),
    "full_context_retrieved": Case({"schema_mode": "full", "stable_context_max_tokens": 100}),
    "full_repair": Case({"schema_mode": "full"}, questions=("List the orphan widgets",)),
    "auto": Case({}),
    "retrieve": Case({"schema_mode": "retrieve", "retrieval_k": 3}),
    "retrieve_restricted": Case({"schema_mode": "retrieve"}, actor=RESTRICTED),
    "retrieve_follow_up": Case(
        {"schema_mode": "retrieve"}, questions=("And in 2024?",), conversation=FOLLOW_UP
    ),
    "selection_catalogue": Case(
        {"schema_mode": "retrieve", "table_selection": True, "retrieval_k": 3},
        extra={
            "choose_tables": lambda e, a: _retrieval(e.choose_tables(QUESTIONS[1], a)),
            "rank_tables": lambda e, a: _retrieval(e.rank_tables(QUESTIONS[1], a, k=4)),
        },
    ),
    "selection_candidates": Case(
        {
            "schema_mode": "retrieve",
            "table_selection": True,
            "catalogue_max_tokens": 10,
            "selection_pool": 4,
        },
    ),
    "selection_restricted": Case(
        {"schema_mode": "retrieve", "table_selection": True}, actor=RESTRICTED
    ),
    # 4,000 tokens hold the whole demo; 1,500 a part of it, so some questions reach past it.
    "retrieve_core": Case({"schema_mode": "retrieve", "core_schema_max_tokens": 4000}),
    "retrieve_core_part": Case({"schema_mode": "retrieve", "core_schema_max_tokens": 1500}),
    "retrieve_core_restricted": Case(
        {"schema_mode": "retrieve", "core_schema_max_tokens": 4000}, actor=RESTRICTED
    ),
}


@pytest.fixture(scope="module")
def demo_sqlite(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('prompts') / 'demo.sqlite'}"
    build_demo_database(url, orders=200)
    return url


def test_the_engine_builds_the_pinned_prompts(
    demo_sqlite: str, scripted_ollama: ScriptedOllama
) -> None:
    scripted_ollama.add(
        when(regex=r"Tables:\s*$", reply="order_items, products"),
        when(
            "orphan widgets",
            anywhere=True,
            replies=["```sql\nSELECT widget FROM customers\n```", f"```sql\n{COUNT_SQL}\n```"],
        ),
        when(reply=f"```sql\n{COUNT_SQL}\n```"),
    )
    texts: dict[str, str] = {}
    with scripted_services(scripted_ollama, demo_sqlite, answer_candidates=0) as services:
        engine = services.engine
        # Cases ask the same questions under other configs: every prompt must be built.
        engine.cache, engine.today = None, lambda: TODAY
        # Retrieved cases without a core unless they say so (the core cases name it).
        base = replace(engine.config, core_schema_max_tokens=0)
        recorded = {}
        for name, case in CASES.items():
            engine.config = replace(base, **case.config)
            recorded[name] = _record(case, engine, scripted_ollama, texts)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        body = {"texts": dict(sorted(texts.items())), "cases": recorded}
        GOLDEN.write_text(json.dumps(body, indent=1, ensure_ascii=False) + "\n")
    golden = json.loads(GOLDEN.read_text())
    assert list(recorded) == list(golden["cases"])
    for name, case in recorded.items():
        # Messages are stored by hash (the long system prompts repeat): compare the texts.
        assert _expand(case, texts) == _expand(golden["cases"][name], golden["texts"]), name


def _record(
    case: Case, engine: Engine, ollama: ScriptedOllama, texts: dict[str, str]
) -> dict[str, Any]:
    """What one case sends the model and answers, messages replaced by their hashes."""
    asked = []
    for question in case.questions:
        ollama.clear_requests()
        answer = engine.ask(question, case.actor, case.conversation)
        chats = [_hashed(r["messages"], texts) for r in ollama.chat_requests]
        asked.append({"question": question, "chats": chats, **_answer(answer)})
    warm = engine.warm_up_prompt(case.actor)
    warm_up = None if warm is None else _hashed([{"role": r, "content": c} for r, c in warm], texts)
    extra = {name: read(engine, case.actor) for name, read in case.extra.items()}
    return {"asked": asked, "warm_up_prompt": warm_up, **extra}


def _answer(answer: Answer) -> dict[str, Any]:
    retrieval = None if answer.retrieval is None else _retrieval(answer.retrieval)
    return {
        "sql": answer.sql,
        "error": answer.error,
        "retrieval": retrieval,
        "stages": sorted(answer.timings),
        "tokens": [answer.prompt_tokens, answer.completion_tokens],
    }


def _retrieval(retrieval: Any) -> dict[str, Any]:
    return {
        "mode": retrieval.mode,
        "tables": [[t.name, round(t.score, 6)] for t in retrieval.tables],
        "added_for_joins": list(retrieval.added_for_joins),
        "selected": None if retrieval.selected is None else list(retrieval.selected),
        "warning": retrieval.warning,
    }


def _hashed(messages: list[dict[str, Any]], texts: dict[str, str]) -> list[list[str]]:
    pairs = []
    for message in messages:
        content = message["content"]
        key = hashlib.sha256(content.encode()).hexdigest()[:16]
        texts[key] = content
        pairs.append([message["role"], key])
    return pairs


def _expand(value: Any, texts: dict[str, str]) -> Any:
    """`value` with every [role, hash] pair replaced by [role, text]."""
    if isinstance(value, list):
        if len(value) == 2 and all(isinstance(v, str) for v in value) and value[1] in texts:
            return [value[0], texts[value[1]]]
        return [_expand(v, texts) for v in value]
    if isinstance(value, dict):
        return {k: _expand(v, texts) for k, v in value.items()}
    return value
