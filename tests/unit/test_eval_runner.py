"""The eval runner's order of work: the engine's pass first, the baseline's after, live progress.

A small SQLite demo database, the scripted Ollama server and an in-memory Qdrant: the
runner's real wiring, with only the model scripted.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backend.config import Settings
from demo_data import build_demo_database
from evaluation.baseline_langchain import available
from evaluation.records import QuestionRecord
from evaluation.runner import EvalOptions, run_evaluation
from evaluation.sets import GoldQuestion, Selected
from testkit.scripted_ollama import ScriptedOllama, when

QUESTIONS = (
    GoldQuestion(
        "q1",
        "How many customers are there?",
        "SELECT COUNT(*) FROM customers",
        tags=("easy", "count"),
    ),
    GoldQuestion(
        "q2",
        "How many suppliers are there?",
        "SELECT COUNT(*) FROM suppliers",
        tags=("easy", "count"),
    ),
    GoldQuestion(
        "q3",
        "How many products are there?",
        "SELECT COUNT(*) FROM products",
        tags=("easy", "count"),
    ),
)


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('runner') / 'demo.sqlite'}"
    build_demo_database(url, orders=100)
    return url


@pytest.fixture
def model(scripted_ollama: ScriptedOllama) -> ScriptedOllama:
    for q in QUESTIONS:
        sql = f"```sql\n{q.gold_sql}\n```"
        # The engine's prompt ends with the question; LangChain's adds "SQLQuery:".
        scripted_ollama.add(
            when(regex=re.escape(f"Question: {q.question}") + r"\s*$", reply=sql),
            when(regex=re.escape(f"Question: {q.question}") + r"\s*SQLQuery:", reply=sql),
        )
    return scripted_ollama


def _settings(model: ScriptedOllama, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        ollama_base_url=model.url,
        ollama_model=model.chat_model,
        ollama_embed_model=model.embed_model,
    )


def _run(
    model: ScriptedOllama, url: str, tmp_path: Path, *, baseline: bool, seen: list[QuestionRecord]
) -> list[QuestionRecord]:
    selected = [Selected(q, scored=True) for q in QUESTIONS]
    options = EvalOptions(database=url, baseline=baseline)
    results = run_evaluation(selected, _settings(model, tmp_path), options, progress=seen.append)
    return list(results.records)


def test_progress_reports_each_question_as_it_is_answered(
    model: ScriptedOllama, demo_url: str, tmp_path: Path
) -> None:
    seen: list[QuestionRecord] = []
    chats_at_report: list[int] = []

    def progress(record: QuestionRecord) -> None:
        seen.append(record)
        chats_at_report.append(model.chat_count - len(model.prefill_requests))

    selected = [Selected(q, scored=True) for q in QUESTIONS]
    options = EvalOptions(database=demo_url)
    run_evaluation(selected, _settings(model, tmp_path), options, progress=progress)
    assert [r.question.id for r in seen] == ["q1", "q2", "q3"]
    assert chats_at_report == [1, 2, 3]  # live, not all at the end of the database
    assert all(r.engine is not None and r.engine.correct for r in seen)


@pytest.mark.skipif(available() is not None, reason=available() or "")
def test_baseline_runs_after_the_engine_has_answered_every_question(
    model: ScriptedOllama, demo_url: str, tmp_path: Path
) -> None:
    seen: list[QuestionRecord] = []
    records = _run(model, demo_url, tmp_path, baseline=True, seen=seen)
    kinds = [
        "warm-up"
        if r in model.prefill_requests
        else "baseline"
        if "SQLQuery:" in r["messages"][-1]["content"]
        else "engine"
        for r in model.chat_requests
    ]
    # One server slot keeps one prompt prefix: the two systems must not take turns.
    assert kinds == ["warm-up"] + ["engine"] * 3 + ["baseline"] * 3
    assert [r.question.id for r in seen] == ["q1", "q2", "q3"]
    assert all(r.baseline is not None for r in seen)  # reported once, when final
    for record in records:
        assert record.engine is not None and record.engine.correct
        assert record.baseline is not None and record.baseline.correct
