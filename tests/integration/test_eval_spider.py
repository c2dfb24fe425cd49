"""Spider-style sets: a database URL template, one database per question, MySQL gold SQL.

Two tiny SQLite databases and one that does not exist stand in for Spider's; on MariaDB
the set's `gold_sql_mysql` is used instead of its SQLite-only `gold_sql`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from cli import main
from testkit.scripted_ollama import ScriptedOllama, when

TABLES = {
    "pets": (
        "CREATE TABLE pet (name TEXT, kind TEXT, age INTEGER)",
        "INSERT INTO pet VALUES ('rex', 'dog', 3), ('tom', 'cat', 5), ('kit', 'cat', 1)",
    ),
    "music": (
        "CREATE TABLE singer (name TEXT, country TEXT)",
        "INSERT INTO singer VALUES ('ann', 'France'), ('bob', 'Spain')",
    ),
}
SPIDER = [
    {
        "db_id": "pets",
        "question": "How many cats are there?",
        "query": "SELECT count(*) FROM pet WHERE kind = 'cat'",
    },
    {
        "db_id": "pets",
        "question": "Name the pets from youngest to oldest.",
        "query": "SELECT name FROM pet ORDER BY age",
    },
    {
        "db_id": "music",
        "question": "Which singers are from France?",
        "query": "SELECT name FROM singer WHERE country = 'France'",
    },
    {"db_id": "missing", "question": "How many trains?", "query": "SELECT count(*) FROM train"},
]
REPLIES = {
    "How many cats are there?": "SELECT COUNT(*) AS cats FROM pet WHERE kind = 'cat'",
    "Name the pets from youngest to oldest.": "SELECT name FROM pet ORDER BY age DESC",
    "Which singers are from France?": "SELECT name, country FROM singer WHERE country = 'France'",
}


def _script(ollama: ScriptedOllama, replies: dict[str, str]) -> None:
    ollama.add(
        *(
            when(regex=re.escape(f"Question: {q}") + r"\s*$", reply=f"```sql\n{sql}\n```")
            for q, sql in replies.items()
        )
    )


@pytest.fixture(scope="module")
def tracking_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One MLflow store for the module's eval runs, each still tracked: a new store costs
    MLflow ~5 s of its own migrations (test_eval_tracking.py checks the default store)."""
    return f"sqlite:///{tmp_path_factory.mktemp('mlruns') / 'mlflow.db'}"


@pytest.fixture
def env(
    scripted_ollama: ScriptedOllama, tracking_uri: str, monkeypatch: pytest.MonkeyPatch
) -> ScriptedOllama:
    monkeypatch.setenv("OLLAMA_BASE_URL", scripted_ollama.url)
    monkeypatch.setenv("OLLAMA_MODEL", scripted_ollama.chat_model)
    monkeypatch.setenv("OLLAMA_EMBED_MODEL", scripted_ollama.embed_model)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_uri)
    return scripted_ollama


def _run(args: list[str], out: Path) -> dict[str, Any]:
    assert main([*args, "--out", str(out), "--no-progress"]) == 0
    return json.loads(out.read_text())


def test_spider_json_runs_each_question_on_its_database(
    tmp_path: Path, env: ScriptedOllama
) -> None:
    for db, statements in TABLES.items():
        (tmp_path / db).mkdir()
        engine = sa.create_engine(f"sqlite:///{tmp_path / db / db}.sqlite")
        with engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
        engine.dispose()
    dev = tmp_path / "dev.json"
    dev.write_text(json.dumps(SPIDER))
    _script(env, REPLIES)

    template = f"sqlite:///{tmp_path}/{{db}}/{{db}}.sqlite"
    report = _run(["eval", "--set", str(dev), "--db", template], tmp_path / "r.json")

    by_id = {q["id"]: q for q in report["questions"]}
    assert [by_id[i]["correct"] for i in "012"] == [True, False, True]
    assert by_id["1"]["reason"] == "order differs"
    assert by_id["3"]["skipped"].startswith("database unavailable")
    assert report["counts"]["skipped"] == 1
    assert report["engine"]["totals"]["questions"] == 3
    assert report["meta"]["set"]["gold_field"] == "query"
    assert report["meta"]["database"] == template


@pytest.mark.mariadb
def test_spider_jsonl_uses_gold_sql_mysql_on_mariadb(
    tmp_path: Path, mysql_url: str, env: ScriptedOllama
) -> None:
    engine = sa.create_engine(mysql_url)
    with engine.begin() as conn:
        for statement in TABLES["music"]:
            conn.exec_driver_sql(statement.replace("name TEXT", "name VARCHAR(20)"))
    engine.dispose()
    url = sa.make_url(mysql_url)
    template = url.set(database="DBNAME").render_as_string(hide_password=False)
    template = template.replace("DBNAME", "{db}")
    linking = tmp_path / "linking.jsonl"
    linking.write_text(
        json.dumps(
            {
                "idx": 7,
                "db_id": url.database,
                "question": "Which singers are from France?",
                "gold_sql": "SELECT name FROM singer WHERE country = 'France' AND instr(name, 'a')",
                "gold_sql_mysql": "SELECT `name` FROM singer WHERE country = 'France'",
            }
        )
        + "\n"
    )
    _script(env, REPLIES)

    report = _run(["eval", "--set", str(linking), "--db", template], tmp_path / "m.json")

    assert report["meta"]["set"]["gold_field"] == "gold_sql_mysql"
    question = report["questions"][0]
    assert question["id"] == "7" and question["gold_error"] is None
    assert question["correct"] and report["engine"]["totals"]["correct"] == 1
