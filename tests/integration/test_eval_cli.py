"""`keskinube eval` end to end: demo SQLite database, in-memory Qdrant, scripted Ollama.

The scripted model answers a small set partly right and partly wrong — exact gold SQL,
equivalent SQL written differently, a wrong result, SQL that never runs, a query fixed on
the retry, and a follow-up that only works if the earlier question's SQL is in the
prompt — so the exact score, the JSON report and the breakdowns can be checked.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from cli import main
from demo_data import build_demo_database
from evaluation.baseline_langchain import available
from evaluation.sets import load_set
from testkit.scripted_ollama import Messages, ScriptedOllama, when

REVENUE_2025 = (
    "SELECT SUM(oi.quantity * oi.unit_price * (1 - oi.discount)) AS revenue FROM orders o "
    "JOIN order_items oi ON oi.order_id = o.order_id WHERE o.status <> 'cancelled' "
    "AND o.order_date >= '2025-01-01' AND o.order_date < '2026-01-01'"
)
QUESTIONS: list[dict[str, Any]] = [
    {
        "id": "q1",
        "question": "How many customers are there?",
        "gold_sql": "SELECT COUNT(*) FROM customers",
        "tags": ["easy", "count"],
    },
    {
        "id": "q2",
        "question": "How many customers are in each segment?",
        "gold_sql": "SELECT segment, COUNT(*) AS n FROM customers GROUP BY segment",
        "tags": ["easy", "group-by"],
    },
    {
        "id": "q3",
        "question": "What was the revenue in 2025?",
        "gold_sql": REVENUE_2025,
        "tags": ["medium", "join", "date-range"],
    },
    {
        "id": "q4",
        "question": "Which 3 products cost the most?",
        "gold_sql": "SELECT name, unit_price FROM products ORDER BY unit_price DESC LIMIT 3",
        "tags": ["medium", "top-n"],
    },
    {
        "id": "q5",
        "question": "How many orders per channel?",
        "gold_sql": "SELECT channel, COUNT(*) FROM orders GROUP BY channel",
        "tags": ["easy", "group-by"],
    },
    {
        "id": "q6",
        "question": "Which suppliers are in Germany?",
        "gold_sql": "SELECT name FROM suppliers WHERE country = 'Germany'",
        "tags": ["easy", "filter"],
    },
    {
        "id": "q7",
        "question": "And how many of them are enterprise accounts?",
        "gold_sql": "SELECT COUNT(*) FROM customers WHERE segment = 'Enterprise'",
        "tags": ["medium", "follow-up", "filter"],
        "previous_id": "q1",
    },
]
ENGINE_REPLIES = {
    # the gold SQL itself
    "How many customers are there?": "SELECT COUNT(*) FROM customers",
    # equivalent: other column order, an alias, an ORDER BY the gold does not have
    "How many customers are in each segment?": (
        "SELECT COUNT(*) AS customers, segment FROM customers GROUP BY segment ORDER BY 1 DESC"
    ),
    # equivalent: rounded to cents, extra column
    "What was the revenue in 2025?": REVENUE_2025.replace(
        "SELECT SUM(oi.quantity * oi.unit_price * (1 - oi.discount)) AS revenue",
        "SELECT '2025' AS y, ROUND(SUM(oi.quantity * oi.unit_price * (1 - oi.discount)), 2) AS r",
    ),
    # wrong: the cheapest instead of the most expensive
    "Which 3 products cost the most?": (
        "SELECT name, unit_price FROM products ORDER BY unit_price ASC LIMIT 3"
    ),
    # never runs: no such table, on every retry
    "How many orders per channel?": "SELECT channel, COUNT(*) FROM sales GROUP BY channel",
    # a wrong column first, fixed on the retry (see _retry)
    "Which suppliers are in Germany?": "SELECT name FROM suppliers WHERE nation = 'Germany'",
}
FOLLOW_UP = "And how many of them are enterprise accounts?"


def _question_rule(question: str, sql: str) -> Any:
    return when(regex=re.escape(f"Question: {question}") + r"\s*$", reply=f"```sql\n{sql}\n```")


def _retry(messages: Messages) -> str:
    if any("Question: Which suppliers are in Germany?" in m["content"] for m in messages):
        return "```sql\nSELECT name FROM suppliers WHERE country = 'Germany'\n```"
    return f"```sql\n{ENGINE_REPLIES['How many orders per channel?']}\n```"


def _follow_up(messages: Messages) -> str:
    prompt = messages[-1]["content"]
    saw_history = "Earlier question: How many customers are there?" in prompt and (
        "SELECT COUNT(*) FROM customers" in prompt
    )
    where = "WHERE segment = 'Enterprise'" if saw_history else "WHERE segment = 'SMB'"
    return f"```sql\nSELECT COUNT(*) AS enterprise FROM customers {where}\n```"


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('eval') / 'demo.sqlite'}"
    build_demo_database(url, orders=300)
    return url


@pytest.fixture(scope="module")
def tracking_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One MLflow store for the module's eval runs, each still tracked: a new store costs
    MLflow ~5 s of its own migrations (test_eval_tracking.py checks the default store)."""
    return f"sqlite:///{tmp_path_factory.mktemp('mlruns') / 'mlflow.db'}"


@pytest.fixture
def question_set(tmp_path: Path) -> Path:
    path = tmp_path / "small.jsonl"
    path.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS))
    return path


@pytest.fixture
def env(
    demo_url: str,
    scripted_ollama: ScriptedOllama,
    tracking_uri: str,
    monkeypatch: pytest.MonkeyPatch,
) -> ScriptedOllama:
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.setenv("OLLAMA_BASE_URL", scripted_ollama.url)
    monkeypatch.setenv("OLLAMA_MODEL", scripted_ollama.chat_model)
    monkeypatch.setenv("OLLAMA_EMBED_MODEL", scripted_ollama.embed_model)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_uri)
    scripted_ollama.add(
        *(_question_rule(q, sql) for q, sql in ENGINE_REPLIES.items()),
        when(regex=re.escape(f"Question: {FOLLOW_UP}") + r"\s*$", respond=_follow_up),
        when("That query failed", respond=_retry),
    )
    return scripted_ollama


def _by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {q["id"]: q for q in report["questions"]}


def test_eval_scores_a_partly_right_model_exactly(
    env: ScriptedOllama, question_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.json"
    assert main(["eval", "--set", str(question_set), "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "execution accuracy (engine): 5/7 = 71.4%" in printed
    assert "rule: execution accuracy: rows compared as multisets" in printed

    report = json.loads(out.read_text())
    questions = _by_id(report)
    assert {qid for qid, q in questions.items() if q["correct"]} == {"q1", "q2", "q3", "q6", "q7"}
    assert questions["q4"]["valid_sql"] and "gold column 'name'" in questions["q4"]["reason"]
    # The model repeats its failing query, so the engine stops after one retry.
    assert not questions["q5"]["valid_sql"] and questions["q5"]["retries"] == 1
    assert "sales" in questions["q5"]["error"]
    assert questions["q6"]["retries"] == 1 and questions["q6"]["valid_sql"]
    assert questions["q7"]["previous_id"] == "q1"
    assert all(q["prompt_tokens"] > 0 and q["completion_tokens"] > 0 for q in questions.values())
    assert {"retrieve", "generate", "check", "execute"} <= set(questions["q1"]["timings"])
    assert not any(q["cached"] for q in questions.values())

    totals = report["engine"]["totals"]
    assert (totals["questions"], totals["correct"], totals["valid_sql"]) == (7, 5, 6)
    assert totals["accuracy"] == round(5 / 7, 4) and totals["retries"] == 2
    assert totals["cache_hits"] == 0
    assert report["engine"]["by_difficulty"]["easy"] == {
        "questions": 4,
        "correct": 3,
        "accuracy": 0.75,
        "valid_sql_rate": 0.75,
    }
    by_tag = report["engine"]["by_tag"]
    assert by_tag["group-by"]["questions"] == 2 and by_tag["group-by"]["correct"] == 1
    assert by_tag["top-n"]["correct"] == 0 and by_tag["follow-up"]["correct"] == 1
    assert by_tag["filter"] == {
        "questions": 2,
        "correct": 2,
        "accuracy": 1.0,
        "valid_sql_rate": 1.0,
    }

    meta = report["meta"]
    assert meta["set"]["hash"] == load_set(question_set).hash
    assert meta["model"]["name"] == env.chat_model and meta["model"]["digest"]
    assert meta["prompt"]["template_hash"] and meta["prompt"]["version"]
    assert set(meta["settings"]) >= {"k", "num_ctx", "max_retries", "schema_mode"}
    assert "commit" in meta["code"]
    assert report["baseline"] is None


def test_eval_filters_by_tag_and_runs_follow_up_context_unscored(
    env: ScriptedOllama, question_set: Path
) -> None:
    assert main(["eval", "--set", str(question_set), "--tags", "follow-up", "--no-progress"]) == 0
    written = list((Path.cwd() / "bench" / "results").glob("eval-*.json"))
    assert len(written) == 1  # the default place for the report
    report = json.loads(written[0].read_text())
    assert [(q["id"], q["scored"]) for q in report["questions"]] == [("q1", False), ("q7", True)]
    assert report["engine"]["totals"]["questions"] == 1
    assert report["engine"]["totals"]["correct"] == 1
    assert report["counts"]["context_only"] == 1


def test_eval_refuses_to_start_without_the_model(
    env: ScriptedOllama, question_set: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["eval", "--set", str(question_set), "--model", "missing:1b", "--no-progress"])
    assert status == 2
    assert "missing:1b" in capsys.readouterr().err
    assert env.chat_count == 0


def _baseline_rule(question: str, reply: str) -> Any:
    return when(regex=re.escape(f"Question: {question}") + r"\s*SQLQuery:", reply=reply)


@pytest.mark.skipif(available() is not None, reason=available() or "")
def test_eval_runs_the_langchain_baseline_side_by_side(
    env: ScriptedOllama,
    question_set: Path,
    demo_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env.add(
        _baseline_rule("How many customers are there?", "SQLQuery: SELECT COUNT(*) FROM customers"),
        _baseline_rule("How many customers are in each segment?", "DELETE FROM customers"),
        _baseline_rule("What was the revenue in 2025?", f"```sql\n{REVENUE_2025}\n```"),
    )
    before = _count(demo_url)
    out = tmp_path / "baseline.json"
    args = ["eval", "--set", str(question_set), "--baseline", "langchain", "--limit", "3"]
    assert main([*args, "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "execution accuracy (langchain): 2/3" in printed
    assert _count(demo_url) == before  # the baseline's DELETE ran read-only

    report = json.loads(out.read_text())
    questions = _by_id(report)
    assert questions["q1"]["baseline"]["predicted_sql"] == "SELECT COUNT(*) FROM customers"
    assert not questions["q2"]["baseline"]["valid_sql"]
    assert report["baseline"]["totals"]["correct"] == 2
    assert report["baseline"]["totals"]["prompt_tokens"] > 0
    assert report["meta"]["baseline"]["packages"]["langchain-community"]
    langchain_prompts = [
        r for r in env.chat_requests if "SQLQuery:" in r["messages"][-1]["content"]
    ]
    assert len(langchain_prompts) == 3
    assert all(r["options"]["temperature"] == 0 for r in langchain_prompts)
    assert "CREATE TABLE" in langchain_prompts[0]["messages"][-1]["content"]


def _count(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        value = int(conn.exec_driver_sql("SELECT COUNT(*) FROM customers").scalar_one())
    engine.dispose()
    return value


def _asked(model: ScriptedOllama) -> list[str]:
    """The set's questions the engine was asked, in order, each once however many tries."""
    asked: list[str] = []
    for request in model.chat_requests:
        prompt = request["messages"][-1]["content"].rstrip()
        for q in QUESTIONS:
            if prompt.endswith(f"Question: {q['question']}") and q["question"] not in asked:
                asked.append(q["question"])
    return asked


def test_a_stopped_run_goes_on_from_its_journal(
    env: ScriptedOllama, question_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = tmp_path / "run.jsonl"
    first = tmp_path / "first.json"
    common = ["eval", "--set", str(question_set), "--journal", str(journal), "--no-progress"]
    assert main([*common, "--limit", "3", "--out", str(first)]) == 0
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    assert "run" in lines[0] and [line["id"] for line in lines[1:]] == ["q1", "q2", "q3"]
    assert not any("question" in line or "gold_sql" in line for line in lines[1:])
    assert "How many customers" not in journal.read_text()  # a benchmark's text stays out

    # The run is carried on to the whole set: only the four questions left are asked, and
    # the follow-up reads its earlier question's SQL from the journal.
    assert _asked(env) == [q["question"] for q in QUESTIONS[:3]]
    out = tmp_path / "whole.json"
    assert main([*common, "--out", str(out)]) == 0
    assert "3 of 7 questions taken from" in capsys.readouterr().out
    assert _asked(env) == [q["question"] for q in QUESTIONS]
    report = json.loads(out.read_text())
    assert report["engine"]["totals"]["correct"] == 5  # as in one uninterrupted run
    assert _by_id(report)["q7"]["correct"]
    assert report["meta"]["set"]["resumed"] == 3
    earlier = _by_id(json.loads(first.read_text()))
    for qid in ("q1", "q2", "q3"):
        assert _by_id(report)[qid] == earlier[qid]
    assert len(journal.read_text().splitlines()) == 8

    # Everything answered: nothing is asked again.
    chats = env.chat_count
    assert main([*common, "--out", str(out)]) == 0
    assert env.chat_count == chats


def test_a_line_cut_short_by_a_kill_is_asked_again(
    env: ScriptedOllama, question_set: Path, tmp_path: Path
) -> None:
    journal = tmp_path / "run.jsonl"
    common = ["eval", "--set", str(question_set), "--journal", str(journal), "--no-progress"]
    assert main([*common, "--limit", "2", "--out", str(tmp_path / "a.json")]) == 0
    text = journal.read_text()
    journal.write_text(text[: text.rindex('"id"') + 10])  # the second record half written
    before = len(env.chat_requests)
    assert main([*common, "--limit", "2", "--out", str(tmp_path / "b.json")]) == 0
    asked = [r for r in env.chat_requests[before:] if r not in env.prefill_requests]
    prompts = [r["messages"][-1]["content"] for r in asked]
    assert prompts and all("each segment?" in p for p in prompts)


def test_the_model_server_is_warmed_before_the_first_question_and_timed_apart(
    env: ScriptedOllama, question_set: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.json"
    assert main(["eval", "--set", str(question_set), "--limit", "2", "--out", str(out)]) == 0
    first = env.chat_requests[0]
    assert first in env.prefill_requests  # the shared start, before any question
    assert len(env.prefill_requests) == 1  # once per database, not per question
    system = first["messages"][0]["content"]
    asked = [r for r in env.chat_requests if r not in env.prefill_requests]
    assert asked and all(r["messages"][0]["content"] == system for r in asked)
    warm_up = json.loads(out.read_text())["meta"]["warm_up"]
    assert warm_up["enabled"] and warm_up["starts"] == 1 and warm_up["seconds"] >= 0


def test_no_warm_up_when_it_is_switched_off(
    env: ScriptedOllama,
    question_set: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OLLAMA_WARM_UP", "false")
    out = tmp_path / "report.json"
    assert main(["eval", "--set", str(question_set), "--limit", "2", "--out", str(out)]) == 0
    assert env.chat_requests and not env.prefill_requests
    warm_up = json.loads(out.read_text())["meta"]["warm_up"]
    assert warm_up == {"enabled": False, "starts": 0, "seconds": 0}


def test_a_journal_of_another_run_is_refused(
    env: ScriptedOllama, question_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = tmp_path / "run.jsonl"
    common = ["eval", "--set", str(question_set), "--journal", str(journal), "--no-progress"]
    assert main([*common, "--limit", "1", "--out", str(tmp_path / "a.json")]) == 0
    chats = env.chat_count
    changes = (
        ["--row-limit", "50"],  # a knob that changes answers
        ["--no-rounding"],  # another scoring rule
        ["--schema-mode", "retrieve"],
    )
    for change in changes:
        assert main([*common, *change, "--out", str(tmp_path / "b.json")]) == 2
        err = capsys.readouterr().err
        assert "journal of another run" in err and "Traceback" not in err
        assert env.chat_count == chats  # refused before any question
        assert not (tmp_path / "b.json").exists()
