"""Retrieval at scale in business words: the demo schema among 700+ distractor tables.

Issue 15's benchmark of the real case: a company schema with hundreds of tables, and
questions that name things the way a business user does — synonyms and paraphrases,
never the schema's table or column names (`bench/golden/scale.jsonl`, 66 questions with
gold SQL, and `scale_es.jsonl`, the same ids in Spanish; `tests/unit/test_scale_set.py`
checks that no question spells out a demo name).

One Qdrant collection holds

- the demo tables as the product indexes them: introspected from the demo database
  (`--db`, default `kkbench_demo` on the local MariaDB) by `backend.schema.introspect`
  with sample values, the demo's comments (`wiring.services.demo_comments`) and, with
  `--knowledge FILE`, a knowledge export applied as `wiring.services` applies it (to the
  distractors too, where the file names them: `python -m bench scale_naming` writes one
  for all 746 tables). When the
  database cannot be read, a scratch SQLite demo is built instead (said in the results);
- every Spider TRAIN table as a distractor, built as `bench/retrieval.py` builds them
  (identifiers only, named `<db>__<table>`), except those whose table name is a demo
  table's name, singular or plural ("Customer", "Order_Items"): `bench.schema_words`.

Every question is ranked by `Engine.rank_tables`, the engine's own retrieval call
(`bench/retrieval.py`'s `production_engine`, `schema_mode="retrieve"`), and found only
if ALL its gold tables are in the top 5 (`bench/language.py`'s `score_questions`).
Runs: {demo alone, at scale} × {sparse-only, hybrid} × {English, Spanish}; `--names` adds
the same rankings with question names (`QUESTION_NAMES`: the real chat model lists what a
database would call the question's things, asked once per question). Sparse
queries use the bundled glossary, as the product does by default (`GLOSSARY_PATH=auto`;
`--no-glossary` turns it off). Hybrid uses REAL embeddings (all-MiniLM-L6-v2 on Ollama's
API at `--embed-url`, default `$OLLAMA_BASE_URL`), and is skipped, and said so, when the
model is not served. `--core TOKENS` also asks every question of every ranking of an
engine with a core of that budget (`CORE_SCHEMA_MAX_TOKENS`, `backend.schema_core`): how
many it sends the core whole, and how often all gold tables are in the prompt then (the
core, or the top 5 + join path); recall@5 stays the ranking's, without a core (ms /
question then counts both engines' rankings). Results
hold question ids, never question text.

Targets (issue 15), at scale: recall@5 ≥ 0.90 hybrid, ≥ 0.75 sparse-only, ≥ 0.85 Spanish.

    python -m bench scale [--db URL] [--knowledge FILE] [--embed-url URL]
        [--embed-model all-minilm] [--sparse-only] [--no-glossary] [--distractors N]
        [--names] [--selection] [--core TOKENS] [--scopes demo,scale] [--languages en,es]
        [--out NAME]
        [--accuracy [--accuracy-limit N]]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from backend.adapters.sql_runner import create_database_engine
from backend.demo.content import load_examples
from backend.demo.schema import DEMO_TABLE_NAMES
from backend.domain import Completion, Example, TableDoc
from backend.knowledge import Knowledge
from backend.knowledge.apply import apply_knowledge
from backend.knowledge.yaml_io import parse_knowledge
from backend.ports import ChatModel
from backend.schema import introspect
from bench.common import REPO_ROOT, md_table, percentile, run_and_write
from bench.language import DATABASE, GLOSSARY, demo_schema, indexed, score_questions
from bench.retrieval import (
    K,
    MemoEmbedder,
    RetrievalKnobs,
    production_engine,
    real_embedder,
    served_chat_model,
)
from bench.scale_accuracy import SCRATCH_DB, run_accuracy
from bench.schema_words import same_table_name
from bench.spider import load_catalog, table_doc
from evaluation.sets import DIFFICULTIES, GoldQuestion, load_set
from vectorstore.glossary import load_glossary
from wiring.services import demo_comments

GOLDEN = REPO_ROOT / "bench" / "golden"
SETS = {"en": GOLDEN / "scale.jsonl", "es": GOLDEN / "scale_es.jsonl"}
DEMO_DB = "mysql+pymysql://root@127.0.0.1:3306/kkbench_demo"
MIN_TABLES = 300
# (retrieval, language) → recall@5 target at scale.
TARGETS = {("hybrid", "en"): 0.90, ("sparse", "en"): 0.75, ("hybrid", "es"): 0.85}


def distractor_entries(
    catalog: Sequence[dict[str, Any]], names: Sequence[str]
) -> list[dict[str, Any]]:
    """Spider train tables whose name is none of `names`, singular or plural."""
    return [
        entry
        for entry in catalog
        if entry.get("split") == "train"
        and not any(same_table_name(entry["table"], name) for name in names)
    ]


def distractor_tables(
    catalog: Sequence[dict[str, Any]], names: Sequence[str], limit: int | None = None
) -> list[TableDoc]:
    """The distractors as `bench/retrieval.py` indexes them; `limit` draws a fixed sample."""
    entries = distractor_entries(catalog, names)
    if limit is not None and limit < len(entries):
        entries = sorted(random.Random(15).sample(entries, limit), key=lambda e: e["table_id"])
    return [table_doc(entry, qualified=True) for entry in entries]


def load_knowledge_file(path: Path, tables: Sequence[TableDoc]) -> Knowledge:
    """A knowledge export (`keskinube knowledge export` YAML) for `tables`."""
    found = parse_knowledge(path.read_text(encoding="utf-8"), {t.name: t for t in tables})
    return Knowledge({(e.table, e.column): e for e in found.entries}, tuple(found.terms))


def with_knowledge(tables: list[TableDoc], knowledge: Path | None) -> list[TableDoc]:
    """`tables` with a knowledge export applied (those it does not name, unchanged)."""
    if knowledge is None:
        return tables
    return apply_knowledge(tables, load_knowledge_file(knowledge, tables))


def demo_tables(url: str, knowledge: Path | None, orders: int) -> tuple[list[TableDoc], str]:
    """The demo tables as the product indexes them, and where they were read from (with
    the `knowledge` file named; `run` applies it, to the distractors too)."""
    try:
        engine = create_database_engine(url)
        try:
            tables = [demo_comments(t) for t in introspect(engine)]
        finally:
            engine.dispose()
        source = f"introspected from {sa.make_url(url).render_as_string(hide_password=True)}"
    except sa.exc.SQLAlchemyError as error:
        tables, source = [], f"{url} unreadable ({type(error).__name__})"
    if not set(DEMO_TABLE_NAMES) <= {t.name for t in tables}:
        tables = demo_schema(orders)
        source += f"; a scratch SQLite demo ({orders:,} orders) was introspected instead"
    if knowledge is not None:
        source += f", with the knowledge in {knowledge}"
    return tables, source


def _by_difficulty(result: dict[str, Any], questions: Sequence[GoldQuestion]) -> dict[str, Any]:
    missed = {m["id"] for m in result["misses"]}
    figures = {}
    for level in DIFFICULTIES:
        ids = [q.id for q in questions if q.difficulty == level]
        if ids:
            figures[level] = round(sum(i not in missed for i in ids) / len(ids), 4)
    return figures


def _scope_runs(
    scope: str,
    tables: list[TableDoc],
    sets: dict[str, tuple[GoldQuestion, ...]],
    embedder: MemoEmbedder | None,
    args: argparse.Namespace,
) -> list[dict[str, Any]]:
    """Sparse (and hybrid) over one indexing of `tables`, each language scored on it."""
    glossary = None if args.no_glossary else load_glossary(GLOSSARY)
    runs = []
    for mode, emb, model, knobs in _modes(embedder, args):
        if emb is None and mode.startswith("hybrid"):
            continue
        started = time.perf_counter()
        with indexed(tables, emb, glossary, model, knobs, examples(tables, args)) as (
            store,
            engine,
        ):
            index_s = round(time.perf_counter() - started, 2)
            core = None
            if args.core:
                with_core = replace(knobs, core_schema_max_tokens=args.core)
                core = production_engine(store, DATABASE, model=model, knobs=with_core)
            for language, questions in sets.items():
                began = time.perf_counter()
                result = score_questions(store, engine, questions, core)
                per_question_ms = (time.perf_counter() - began) * 1000 / len(questions)
                result.update(
                    scope=scope,
                    tables=len(tables),
                    mode=mode,
                    language=language,
                    index_s=index_s,
                    ms_per_question=round(per_question_ms, 1),
                    by_difficulty=_by_difficulty(result, questions),
                )
                runs.append(result)
                print(f"{scope}, {mode}, {language}: {result['recall_at_5']}", flush=True)
    return runs


Mode = tuple[str, MemoEmbedder | None, ChatModel | None, RetrievalKnobs]
EXAMPLE_CHOICES = ("demo", "none", "everywhere")
_EXAMPLES_SAID = {
    "demo": "the demo's own",
    "none": "none",
    "everywhere": "the demo's own, and two from its names for every distractor table",
}


def examples(tables: Sequence[TableDoc], args: argparse.Namespace) -> list[Example]:
    """The approved examples indexed beside `tables`, as `--examples` says: the demo's own
    (what the product indexes for the demo database), none, or also two examples for every
    distractor table, written from its names alone ("How many <table words> are there?",
    "List the <label column> of every <table word>."): other corners of a big schema with
    examples of their own, which compete with the demo's for the question."""
    if args.examples == "none":
        return []
    found = list(load_examples(dialect="sqlite"))
    if args.examples == "everywhere":
        found += [e for t in tables if "__" in t.name for e in generic_examples(t)]
    return found


def generic_examples(table: TableDoc) -> list[Example]:
    """Two plain examples over `table` (a distractor, `<db>__<table>`) from its names."""
    words = table.name.split("__")[-1].replace("_", " ").lower()
    texts = [c for c in table.columns if any(w in c.type.lower() for w in ("char", "text"))]
    label = (texts or list(table.columns))[0]
    return [
        Example(f"How many {words} are there?", f"SELECT COUNT(*) FROM {table.name}"),
        Example(
            f"List the {label.name.replace('_', ' ').lower()} of every {words}.",
            f"SELECT {label.name} FROM {table.name}",
        ),
    ]


def _modes(embedder: MemoEmbedder | None, args: argparse.Namespace) -> list[Mode]:
    """The rankings of a run: sparse and hybrid, then with the model's steps."""
    base = RetrievalKnobs()
    modes: list[Mode] = [("sparse", None, None, base), ("hybrid", embedder, None, base)]
    if args.names:
        chat = _memo_chat(args)
        names = replace(base, question_names=True)
        modes.append(("sparse + names", None, chat, names))
        modes.append(("hybrid + names", embedder, chat, names))
    if args.selection:
        chosen = replace(base, table_selection=True)
        modes.append(
            (
                "hybrid + selection",
                embedder,
                served_chat_model(args.embed_url, args.chat_model),
                chosen,
            )
        )
    return modes


class _MemoChat:
    """The served chat model, each distinct request asked once per run: the question names
    are the same for every scope and retrieval (temperature 0), so one call serves all.

    With a `cache` file, the replies of earlier runs of the same model are read from it
    and every new one is written to it (only the model's words: to compare rankings
    without asking again; their seconds are then those of the new calls only)."""

    def __init__(self, inner: ChatModel, cache: Path | None = None) -> None:
        self.inner = inner
        self.model_name = inner.model_name
        self.replies: dict[tuple[tuple[str, str], ...], Completion] = {}
        self.seconds: list[float] = []
        self.cache = cache
        if cache is not None and cache.exists():
            for entry in json.loads(cache.read_text(encoding="utf-8")):
                if entry["model"] == self.model_name:
                    key = tuple((role, text) for role, text in entry["messages"])
                    self.replies[key] = Completion(entry["reply"])

    def save(self) -> None:
        if self.cache is None:
            return
        entries = [
            {"model": self.model_name, "messages": [list(m) for m in key], "reply": c.text}
            for key, c in self.replies.items()
        ]
        self.cache.write_text(json.dumps(entries, ensure_ascii=False, indent=1), "utf-8")

    def complete(self, messages: Sequence[tuple[str, str]]) -> Completion:
        key = tuple(messages)
        if key not in self.replies:
            started = time.perf_counter()
            self.replies[key] = self.inner.complete(messages)
            self.seconds.append(time.perf_counter() - started)
        return self.replies[key]


_MEMO: dict[str, _MemoChat] = {}


def _memo_chat(args: argparse.Namespace) -> _MemoChat:
    if args.chat_model not in _MEMO:
        _MEMO[args.chat_model] = _MemoChat(
            served_chat_model(args.embed_url, args.chat_model), args.names_cache
        )
    return _MEMO[args.chat_model]


def run(args: argparse.Namespace) -> dict[str, Any]:
    sets = {
        language: load_set(path).questions
        for language, path in SETS.items()
        if language in args.languages.split(",")
    }
    demo, source = demo_tables(args.db, args.knowledge, args.orders)
    distractors = distractor_tables(load_catalog(), DEMO_TABLE_NAMES, args.distractors)
    # One read of the file for both (`demo_tables` only names it in `source` here).
    everything = with_knowledge(demo + distractors, args.knowledge)
    demo = everything[: len(demo)]
    named = sum(a != b for a, b in zip(everything[len(demo) :], distractors, strict=True))
    if named:
        source += f"; {named} distractors with knowledge too"
    if len(everything) < MIN_TABLES:
        raise SystemExit(f"only {len(everything)} tables: the benchmark needs {MIN_TABLES}+")
    embedder, note = real_embedder(args.embed_url, args.embed_model, sparse_only=args.sparse_only)
    print(f"{source}; {len(distractors)} distractors; {note}", flush=True)
    scopes = args.scopes.split(",")
    runs = _scope_runs("demo alone", demo, sets, embedder, args) if "demo" in scopes else []
    if "scale" in scopes:
        runs += _scope_runs("at scale", everything, sets, embedder, args)
    for memo in _MEMO.values():
        memo.save()
    accuracy = run_accuracy(args, SETS["en"], distractors) if args.accuracy else None
    return {
        "k": K,
        "demo_tables": len(demo),
        "demo_source": source,
        "distractors": len(distractors),
        "tables_at_scale": len(everything),
        "glossary": not args.no_glossary,
        "examples": args.examples,
        "embed_model": args.embed_model if embedder else None,
        "embedding": note,
        "embedding_seconds_total": round(embedder.seconds, 1) if embedder else None,
        "questions": {language: len(questions) for language, questions in sets.items()},
        "targets": {f"{mode} {language}": t for (mode, language), t in TARGETS.items()},
        "runs": runs,
        "names_call_seconds": _call_seconds(),
        "accuracy": accuracy,
    }


def _call_seconds() -> dict[str, float] | None:
    """Median and 90th percentile seconds of the question-names calls, when any were made."""
    seconds = sorted(s for memo in _MEMO.values() for s in memo.seconds)
    if not seconds:
        return None
    return {
        "calls": len(seconds),
        "median": round(statistics.median(seconds), 2),
        "p90": round(percentile(seconds, 0.9), 2),
    }


def _ids(ids: Sequence[str]) -> str:
    return "-" if not ids else " ".join(sorted(ids)) if len(ids) <= 12 else f"{len(ids)} questions"


def _targets(data: dict[str, Any]) -> str:
    """Each target beside every ranking of its retrieval ("hybrid", "hybrid + names"…)."""
    at_scale = [r for r in data["runs"] if r["scope"] == "at scale"]
    rows = []
    for (retrieval, language), target in TARGETS.items():
        runs = [
            r
            for r in at_scale
            if r["language"] == language and r["mode"].split(" + ")[0] == retrieval
        ]
        if not runs:
            rows.append([f"{retrieval}, {language}", f"≥ {target:.2f}", "not measured", "-"])
        for run in runs:
            verdict = "met" if run["recall_at_5"] >= target else "NOT met"
            rows.append(
                [f"{run['mode']}, {language}", f"≥ {target:.2f}", run["recall_at_5"], verdict]
            )
    return md_table(["at scale", "target", "recall@5", "verdict"], rows)


def _names_markdown(seconds: dict[str, float] | None) -> str:
    if not seconds:
        return ""
    return (
        f"\n\nQuestion names: {seconds['calls']} model calls (one per question and language, "
        f"shared by every ranking; their seconds are in the first names row's ms / question), "
        f"median {seconds['median']} s, p90 {seconds['p90']} s."
    )


def _accuracy_markdown(accuracy: dict[str, Any] | None) -> str:
    if not accuracy:
        return "\n\nExecution accuracy: not measured in this run (`--accuracy`)."
    rows = [
        [
            scope,
            r.get("schema_mode", "retrieve"),
            r["questions"],
            r["accuracy"],
            r["valid_sql_rate"],
            r["median_s"],
            r["p90_s"],
            _in_prompt(r),
            _core_route(r),
            _ids(r["wrong"]),
        ]
        for scope, r in accuracy["runs"].items()
    ]
    headers = [
        "scope",
        "schema mode",
        "questions",
        "accuracy",
        "valid SQL",
        "median s",
        "p90 s",
        "gold tables in prompt (right)",
        "core whole (right; median s core / retrieved)",
        "wrong",
    ]
    settings = ", ".join(f"{k}={v}" for k, v in accuracy.get("settings", {}).items())
    return (
        "\n\nExecution accuracy, `keskinube eval` (real model; "
        f"{accuracy['scratch_database']}; {settings or 'default settings'}):\n\n"
        + md_table(headers, rows)
    )


def _in_prompt(run: dict[str, Any]) -> str:
    """How often the gold tables reached the prompt: "46 (20 right; 3 of the other 20)"."""
    if "gold_in_prompt" not in run:
        return "-"
    shown, others = run["gold_in_prompt"], run["questions"] - run["gold_in_prompt"]
    right = f"{run['right_when_in']} right; {run['right_when_not']} of the other {others}"
    return f"{shown} ({right})"


def _with_core_cell(run: dict[str, Any]) -> str:
    """With `--core`: "58 (0.985)", the questions sent the core whole and how often every
    gold table was in the prompt (the core, or the top 5 + join path)."""
    if "core_questions" not in run:
        return "-"
    return f"{run['core_questions']} ({run['in_prompt_with_core']})"


def _core_route(run: dict[str, Any]) -> str:
    """How many questions got the core whole: "54 (24 right; 9.1 / 27.0 s)"."""
    if not run.get("core"):
        return "-"
    seconds = f"{run['median_s_core']} / {run['median_s_retrieved'] or '-'} s"
    return f"{run['core']} ({run['right_with_core']} right; {seconds})"


def markdown(data: dict[str, Any]) -> str:
    rows = [
        [
            r["scope"],
            r["tables"],
            r["mode"],
            r["language"],
            r["questions"],
            r["recall_at_5"],
            *(r["by_difficulty"].get(level, "-") for level in DIFFICULTIES),
            r["recall_with_join_paths"],
            r["raw_recall_at_5"],
            _with_core_cell(r),
            r["index_s"],
            r["ms_per_question"],
            _ids([m["id"] for m in r["misses"]]),
        ]
        for r in data["runs"]
    ]
    table = md_table(
        [
            "scope",
            "tables",
            "retrieval",
            "language",
            "questions",
            "recall@5",
            "easy",
            "medium",
            "hard",
            "top 5 + join path",
            "raw store @5",
            "core whole (gold in prompt)",
            "index s",
            "ms / question",
            "missed",
        ],
        rows,
    )
    return (
        f"# Retrieval in business words, at {data['tables_at_scale']} tables\n\n"
        f"`bench/golden/scale.jsonl` ({data['questions']['en']} questions that avoid the "
        "schema's names) and `scale_es.jsonl` (the same in Spanish). A question counts only "
        f"if all its gold tables are in the top {data['k']} of `Engine.rank_tables` "
        '(`schema_mode="retrieve"`). Demo tables: '
        f"{data['demo_tables']}, {data['demo_source']}. Distractors: {data['distractors']} "
        "Spider train tables (identifiers only; none named like a demo table, singular or "
        f"plural). Glossary: {'on' if data['glossary'] else 'off'}. Approved examples "
        f"indexed: {_EXAMPLES_SAID[data.get('examples', 'none')]}. {data['embedding']}.\n\n"
        + table
        + "\n\nTargets (issue 15):\n\n"
        + _targets(data)
        + _names_markdown(data.get("names_call_seconds"))
        + _accuracy_markdown(data.get("accuracy"))
        + "\n\ntop 5 + join path: with the tables the engine adds to join them; raw store: "
        "`search_tables(k=5)` without the engine's re-rank. Timings from a shared 2-core "
        "machine: compare rows of one run only.\n"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench scale", description=__doc__)
    parser.add_argument("--db", default=DEMO_DB, help="the demo database to introspect")
    parser.add_argument("--knowledge", type=Path, help="knowledge YAML (demo, distractors)")
    parser.add_argument("--orders", type=int, default=5000, help="orders of a scratch demo")
    parser.add_argument(
        "--embed-url", default=os.environ.get("OLLAMA_BASE_URL") or "http://127.0.0.1:11434"
    )
    parser.add_argument("--embed-model", default="all-minilm")
    parser.add_argument("--sparse-only", action="store_true")
    parser.add_argument("--no-glossary", action="store_true", help="sparse queries unwidened")
    parser.add_argument(
        "--distractors", type=int, help="a fixed sample of N distractors (default: all)"
    )
    parser.add_argument(
        "--selection",
        action="store_true",
        help="also rank with table selection (TABLE_SELECTION): the real chat model picks",
    )
    parser.add_argument(
        "--names",
        action="store_true",
        help="also rank with question names (QUESTION_NAMES): the real chat model lists them",
    )
    parser.add_argument(
        "--names-cache", type=Path, help="JSON file of question-names replies, read and kept"
    )
    parser.add_argument("--out", default="", help="results name (default scale, scale_selection)")
    parser.add_argument(
        "--chat-model", default=os.environ.get("OLLAMA_MODEL") or "qwen2.5-coder:1.5b"
    )
    parser.add_argument(
        "--examples",
        choices=EXAMPLE_CHOICES,
        default="demo",
        help="approved examples indexed: the demo's (default), none, or also 2 per distractor",
    )
    parser.add_argument(
        "--core",
        type=int,
        default=0,
        help="also route with a core of this many tokens (CORE_SCHEMA_MAX_TOKENS; 0: off)",
    )
    parser.add_argument("--languages", default="en,es", help="en,es (default both)")
    parser.add_argument("--scopes", default="demo,scale", help="demo,scale (default both)")
    parser.add_argument("--accuracy", action="store_true", help="also keskinube eval, real model")
    parser.add_argument("--scratch-db", default=SCRATCH_DB, help="demo + empty distractors")
    parser.add_argument("--accuracy-limit", type=int, help="only the first N questions")
    parser.add_argument(
        "--accuracy-scopes", default="alone,scale", help="alone,scale: which evals to run"
    )
    parser.add_argument("--eval-dir", type=Path, default=Path("/tmp"), help="eval reports")
    args = parser.parse_args(argv)
    # A selection run (real model, slow) is written beside the retrieval figures.
    name = args.out or ("scale_selection" if args.selection else "scale")
    run_and_write(name, run, markdown, args)


if __name__ == "__main__":
    main()
