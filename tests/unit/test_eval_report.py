"""Totals, breakdowns, the terminal table, MLflow figures and the baseline's SQL cleaning."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from evaluation import tracking
from evaluation.baseline_langchain import clean_sql, question_text
from evaluation.records import EvalRun, Prediction, QuestionRecord
from evaluation.report import build_report, default_path, render, write_report
from evaluation.scoring import scoring_rule
from evaluation.sets import GoldQuestion


def prediction(
    correct: bool, *, valid: bool = True, retries: int = 0, seconds: float = 1.0, tokens: int = 100
) -> Prediction:
    return Prediction(
        sql="SELECT 1",
        correct=correct,
        valid_sql=valid,
        reason="match" if correct else "x",
        retries=retries,
        prompt_tokens=tokens,
        completion_tokens=10,
        latency_s=seconds,
        timings={"generate": seconds / 2, "execute": 0.01},
        retrieval_mode="hybrid",
    )


def record(qid: str, tags: tuple[str, ...], engine: Prediction, **kw: Any) -> QuestionRecord:
    question = GoldQuestion(qid, f"question {qid}", "SELECT 1", tags=tags)
    return QuestionRecord(question, kw.pop("scored", True), gold_rows=1, engine=engine, **kw)


META: dict[str, Any] = {
    "model": {"name": "m:1b", "digest": "abc", "embed_model": "e"},
    "prompt": {"version": "sql-v1", "template_hash": "123"},
    "set": {"hash": "f00", "path": "set.jsonl"},
    "code": {"commit": None, "dirty": None},
    "settings": {"k": 5, "num_ctx": 8192, "max_retries": 2, "schema_mode": "auto"},
    "scoring": {"rule": scoring_rule(), "rounding": True},
}
RECORDS = (
    record("a", ("easy", "count"), prediction(True, seconds=1.0)),
    record("b", ("easy", "join"), prediction(False, valid=False, retries=2, seconds=3.0)),
    record(
        "c",
        ("hard", "join", "window"),
        prediction(True, retries=1, seconds=2.0),
        baseline=prediction(True),
    ),
    record("d", ("medium", "join"), prediction(False), gold_error="no such table"),
    record("e", ("medium", "join"), None, skipped="database unavailable: x"),  # type: ignore[arg-type]
    record("f", ("easy", "count"), prediction(True), scored=False),
)


def test_totals_count_only_scored_questions_with_working_gold() -> None:
    report = build_report(EvalRun(META, RECORDS))
    totals = report["engine"]["totals"]
    assert (totals["questions"], totals["correct"], totals["valid_sql"]) == (3, 2, 2)
    assert totals["accuracy"] == 0.6667 and totals["retries"] == 3
    assert totals["questions_retried"] == 2
    assert totals["latency_s"] == {
        "mean": 2.0,
        "median": 2.0,
        "p90": 3.0,
        "p95": 3.0,
        "first": 1.0,
    }
    assert totals["stages_mean_s"]["generate"] == 1.0
    assert totals["retrieval_modes"] == {"hybrid": 3}
    assert report["counts"] == {
        "selected": 6,
        "counted": 3,
        "context_only": 1,
        "skipped": 1,
        "gold_errors": 1,
    }


def test_breakdowns_by_tag_and_difficulty() -> None:
    report = build_report(EvalRun(META, RECORDS))
    by_tag = report["engine"]["by_tag"]
    assert by_tag["join"] == {"questions": 2, "correct": 1, "accuracy": 0.5, "valid_sql_rate": 0.5}
    assert set(by_tag) == {"count", "join", "window"}
    assert report["engine"]["by_difficulty"]["easy"]["questions"] == 2
    assert report["engine"]["by_difficulty"]["hard"]["correct"] == 1


def test_terminal_view_shows_questions_score_rule_and_breakdowns() -> None:
    report = build_report(EvalRun(META, RECORDS))
    text = render(report)
    assert "execution accuracy (engine): 2/3 = 66.7%" in text
    assert f"rule: {scoring_rule()}" in text
    assert "not scored: 1 skipped (database unavailable), 1 with failing gold SQL" in text
    lines = text.splitlines()
    assert lines[0].split() == [
        "id",
        "difficulty",
        "correct",
        "valid",
        "retries",
        "tokens",
        "seconds",
        "reason",
    ]
    assert any(line.startswith("join") and "1/2 50.0%" in line for line in lines)


def test_baseline_side_is_reported_beside_the_engine() -> None:
    report = build_report(EvalRun(META, RECORDS, baseline="langchain"))
    assert report["baseline"]["name"] == "langchain"
    assert report["baseline"]["totals"]["questions"] == 1
    text = render(report)
    assert "execution accuracy (langchain): 1/1 = 100.0%" in text
    assert "baseline" in text.splitlines()[0]


def test_report_file_lands_under_bench_results(tmp_path: Path) -> None:
    path = default_path(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert path == Path("bench/results/eval-20260102T030405Z.json")
    written = write_report(build_report(EvalRun(META, RECORDS)), tmp_path / "x" / "r.json")
    assert written.read_text().startswith("{\n")


def test_mlflow_params_and_metrics() -> None:
    report = build_report(EvalRun(META, RECORDS, baseline="langchain"))
    params = tracking.mlflow_params(report)
    assert params["model"] == "m:1b" and params["prompt_version"] == "sql-v1"
    assert params["set_hash"] == "f00" and params["k"] == "5" and params["code_version"] == ""
    assert params["prompt_hash"] == "123"  # an older report: the templates' hash
    assert params["embed_digest"] == tracking.UNKNOWN
    assert params["dataset_hash"] == tracking.UNKNOWN
    metrics = tracking.mlflow_metrics(report)
    assert metrics["accuracy"] == 0.6667 and metrics["baseline_accuracy"] == 1.0
    assert metrics["accuracy.join"] == 0.5 and metrics["accuracy.easy"] == 0.5
    assert metrics["latency_p50_s"] == 2.0 and metrics["latency_p95_s"] == 3.0
    assert metrics["prompt_tokens"] == 300 and metrics["completion_tokens"] == 30
    assert all(isinstance(v, float) for v in metrics.values())


def test_mlflow_missing_is_reported_not_fatal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mlflow.tracking", None)  # makes the import fail
    store = tracking.Store("sqlite:///x/mlflow.db")
    with pytest.raises(tracking.TrackingUnavailable, match=r"requirements-dev\.txt"):
        tracking.log_run(build_report(EvalRun(META, RECORDS)), "", store=store)


@pytest.mark.parametrize(
    ("text", "sql"),
    [
        ("SQLQuery: SELECT COUNT(*) FROM customers", "SELECT COUNT(*) FROM customers"),
        ('SELECT "name" FROM products;', 'SELECT "name" FROM products'),
        ("```sql\nSELECT 1\n```", "SELECT 1"),
        ("**SQLQuery:** SELECT 2\nSQLResult: 2\nAnswer: two", "SELECT 2"),
        ("Question: q\nSQLQuery: SELECT a\nFROM t\nAnswer: 3", "SELECT a\nFROM t"),
        ("I cannot answer that.", None),
    ],
)
def test_baseline_output_is_cleaned_like_a_fair_user_would(text: str, sql: str | None) -> None:
    assert clean_sql(text) == sql


def test_baseline_follow_ups_carry_earlier_questions_as_text() -> None:
    assert question_text("And 2025?", []) == "And 2025?"
    assert question_text("And 2025?", ["Orders in 2024?"]) == (
        "Earlier question: Orders in 2024?\nFollow-up question: And 2025?"
    )
