"""The scale benchmark's accuracy mode: `keskinube eval` on the demo alone and among distractors.

Two runs of the same question set with the real model, each as the product runs it:

- demo alone: the demo database (`--db`, `kkbench_demo`), schema mode "auto": its 12
  tables fit the prompt, so the whole schema is sent (the small-schema figure issue 15
  compares with);
- at scale: a scratch MariaDB database (`--scratch-db`, `kkscale_demo`) holding the demo
  (same orders and seed, built by `build_demo_database`) and the distractors created
  empty (`bench/scale_db.py`), schema mode "retrieve" (what "auto" picks at 746 tables);
  it is built when missing and kept for the next run.

The product settings in the environment (QUESTION_NAMES, ANSWER_CANDIDATES…) reach both
runs. LangChain's chain is not run beside: at 746 tables its prompt would hold every
table (~280,000 tokens, `bench/results/prompt_tokens.md`), far past the model's window.

`keskinube eval` introspects and indexes each database itself, as the product does. The
eval reports (question text included) go to `--eval-dir` (default /tmp); the results
keep figures and question ids only. Execution accuracy, median seconds per question.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from backend.adapters.sql_runner import create_database_engine
from backend.config import Settings
from backend.domain import TableDoc
from bench.language import gold_tables
from bench.scale_db import create_empty_tables
from demo_data import build_demo_database

SCRATCH_DB = "mysql+pymysql://root@127.0.0.1:3306/kkscale_demo"


def ensure_scratch_database(url: str, distractors: list[TableDoc], orders: int) -> str:
    """The demo plus empty distractors on `url`, built unless already there; what was done."""
    parsed = sa.make_url(url)
    # URL.set(database=None) keeps the database on SQLAlchemy 2.1: replace the field.
    server = create_database_engine(parsed._replace(database=None).render_as_string(False))
    try:
        with server.begin() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE IF NOT EXISTS `{parsed.database}`")
    finally:
        server.dispose()
    engine = create_database_engine(url)
    try:
        present = set(sa.inspect(engine).get_table_names())
        if {t.name for t in distractors} <= present:
            return f"{parsed.database}: kept ({len(present)} tables)"
        build_demo_database(url, orders=orders, if_missing=True, progress=False)
        created = create_empty_tables(engine, [t for t in distractors if t.name not in present])
    finally:
        engine.dispose()
    return (
        f"{parsed.database}: demo + {created.tables} empty distractors built "
        f"({created.foreign_keys} foreign keys, {created.refused_foreign_keys} refused)"
    )


def _eval(
    question_set: Path, url: str, out: Path, limit: int | None, schema_mode: str
) -> dict[str, Any]:
    keskinube = str(Path(sys.executable).with_name("keskinube"))
    command = [
        keskinube,
        "eval",
        "--set",
        str(question_set),
        "--db",
        url,
        "--schema-mode",
        schema_mode,
        "--out",
        str(out),
        "--no-progress",
    ]
    if limit:
        command += ["--limit", str(limit)]
    subprocess.run(command, check=True)
    report = json.loads(out.read_text(encoding="utf-8"))
    totals = report["engine"]["totals"]
    counted = [q for q in report["questions"] if q["counted"]]
    shown = [q for q in counted if gold_tables(q["gold_sql"]) <= {t.lower() for t in q["tables"]}]
    return {
        "questions": totals["questions"],
        "accuracy": totals["accuracy"],
        "valid_sql_rate": totals["valid_sql_rate"],
        "median_s": totals["latency_s"]["median"],
        "p90_s": totals["latency_s"]["p90"],
        "schema_mode": schema_mode,
        "by_difficulty": report["engine"]["by_difficulty"],
        "wrong": [q["id"] for q in counted if not q["correct"]],
        # Questions whose gold tables were all in the SQL prompt, and how many of those
        # (and of the others) were answered right: retrieval's part of the gap.
        "gold_in_prompt": len(shown),
        "right_when_in": sum(q["correct"] for q in shown),
        "right_when_not": sum(q["correct"] for q in counted if q not in shown),
        "retried": sum(1 for q in counted if q.get("retries")),
        **_by_route(counted),
        "model": report["meta"].get("model"),
    }


def _by_route(counted: list[dict[str, Any]]) -> dict[str, Any]:
    """How many questions got the core whole (`backend.schema_core`), how many of those
    were right, and the median seconds of each route (none when no question took it)."""
    core = [q for q in counted if q.get("retrieval_mode") == "core"]
    others = [q for q in counted if q.get("retrieval_mode") != "core"]

    def median(questions: list[dict[str, Any]]) -> float | None:
        return round(statistics.median(q["latency_s"] for q in questions), 1) if questions else None

    return {
        "core": len(core),
        "right_with_core": sum(q["correct"] for q in core),
        "median_s_core": median(core),
        "median_s_retrieved": median(others),
    }


def run_accuracy(
    args: argparse.Namespace, question_set: Path, distractors: list[TableDoc]
) -> dict[str, Any]:
    """Both eval runs; the figures side by side, with the scratch database's story."""
    built = ensure_scratch_database(args.scratch_db, distractors, args.orders)
    print(built, flush=True)
    runs = {}
    scopes = (("demo alone", args.db, "auto"), ("at scale", args.scratch_db, "retrieve"))
    for scope, url, mode in scopes:
        if scope.split()[-1] not in args.accuracy_scopes.split(","):
            continue
        out = args.eval_dir / f"eval-scale-{scope.replace(' ', '-')}.json"
        runs[scope] = _eval(question_set, url, out, args.accuracy_limit, mode)
        print(f"{scope}: accuracy {runs[scope]['accuracy']}", flush=True)
    return {"scratch_database": built, "settings": _settings_in_environment(), "runs": runs}


def _settings_in_environment() -> dict[str, str]:
    """The product settings this run's environment sets (they reach `keskinube eval`),
    leaving out any that may hold a secret (keys, passwords, URLs with credentials)."""
    names = set(Settings.model_fields)
    return {
        k: v
        for k, v in sorted(os.environ.items())
        if k.lower() in names and not set(k.upper().split("_")) & _SECRET_WORDS
    }


# Whole words of the name: `FULL_SCHEMA_MAX_TOKENS` is a budget, `API_TOKEN` a secret.
_SECRET_WORDS = frozenset({"KEY", "PASSWORD", "SECRET", "TOKEN", "URL"})
