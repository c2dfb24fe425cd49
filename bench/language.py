"""Spanish vs English on the demo schema: retrieval recall@5, and eval accuracy side by side.

The demo golden set (`bench/golden/demo.jsonl`, 75 questions) and its hand translation
(`demo_es.jsonl`: same ids, gold SQL and tags) are asked of the demo schema — English
table and column names, comments and sample values — built with `build_demo_database`
(what `keskinube demo-db` runs) into a scratch SQLite file, introspected and indexed as
`wiring.services.index_database` does (sample values, the demo's column comments).

A question counts as found when ALL its gold tables (every table its gold SQL reads,
via sqlglot) are in the top 5 of the production ranking, `Engine.rank_tables` (see
`bench/retrieval.py`, whose `production_engine` is reused, `schema_mode="retrieve"`:
with the default "auto" the 12 demo tables are sent whole and retrieval does not
matter). Follow-ups are searched by their own text, as the engine does; the table
also gives the 67 stand-alone questions alone. Runs: English and Spanish × sparse-only
and hybrid (real embeddings on Ollama's API when the model is served, else skipped and
said so) × without and with the demo glossary (`backend/demo/glossary.yaml`,
`vectorstore.glossary`), which widens sparse queries only.

With `--eval-en`/`--eval-es` (reports of `keskinube eval --set ... --out FILE`) the
markdown also puts the real model's execution accuracy side by side, per difficulty and
per question where the languages differ.

    python -m bench language [--embed-url URL] [--embed-model all-minilm] [--sparse-only]
        [--orders 5000] [--eval-en FILE --eval-es FILE]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlglot
from qdrant_client import QdrantClient
from sqlglot import exp

from backend.adapters.sql_runner import create_database_engine
from backend.domain import Example, TableDoc
from backend.join_paths import expand_join_paths
from backend.pipeline import Engine
from backend.ports import ChatModel
from backend.schema import introspect
from bench.common import REPO_ROOT, md_table, run_and_write
from bench.retrieval import (
    ACTOR,
    K,
    MemoEmbedder,
    RetrievalKnobs,
    production_engine,
    real_embedder,
)
from demo_data import build_demo_database
from evaluation.sets import GoldQuestion, load_set
from vectorstore.glossary import Glossary, load_glossary
from vectorstore.sparse import SparseEncoder
from vectorstore.store import QdrantSchemaStore
from wiring.services import demo_comments

SETS = {"en": REPO_ROOT / "bench/golden/demo.jsonl", "es": REPO_ROOT / "bench/golden/demo_es.jsonl"}
GLOSSARY = REPO_ROOT / "backend/demo/glossary.yaml"
DATABASE = "demo"


def gold_tables(sql: str) -> frozenset[str]:
    """Tables the query reads (lower-cased), CTE names left out."""
    tree = sqlglot.parse_one(sql, read="sqlite")
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    return frozenset(t.name.lower() for t in tree.find_all(exp.Table) if t.name.lower() not in ctes)


def demo_schema(orders: int) -> list[TableDoc]:
    """The demo tables as the product indexes them, from a scratch SQLite database."""
    with tempfile.TemporaryDirectory(prefix="kk-language-") as folder:
        url = f"sqlite:///{Path(folder) / 'demo.sqlite'}"
        build_demo_database(url, orders=orders)
        engine = create_database_engine(url)
        try:
            return [demo_comments(t) for t in introspect(engine)]
        finally:
            engine.dispose()


@contextmanager
def indexed(
    tables: list[TableDoc],
    embedder: MemoEmbedder | None,
    glossary: Glossary | None,
    model: ChatModel | None = None,
    knobs: RetrievalKnobs | None = None,
    examples: Sequence[Example] = (),
) -> Iterator[tuple[QdrantSchemaStore, Engine]]:
    """The schema (and approved `examples`) indexed in a fresh in-memory Qdrant, and the
    production engine over it (choosing tables with `model` when one is given, as `knobs`
    say: `Engine.choose_tables`)."""
    client = QdrantClient(location=":memory:")
    try:
        store = QdrantSchemaStore(client, embedder, sparse=SparseEncoder(glossary))
        stats = store.index_tables(DATABASE, tables)
        if embedder is not None and stats.sparse_only:
            raise RuntimeError(f"embeddings failed while indexing: {stats.warning}")
        if examples:
            store.index_examples(DATABASE, list(examples))
        yield store, production_engine(store, DATABASE, model=model, knobs=knobs)
    finally:
        client.close()


def score_questions(
    store: QdrantSchemaStore,
    engine: Engine,
    questions: Sequence[GoldQuestion],
    core_engine: Engine | None = None,
) -> dict[str, Any]:
    """Rank every question's tables with the production ranking and score recall@K; with
    a `core_engine` (the same with a core), also which questions it sends the core whole
    and whether their gold tables are in the prompt then (the core, or top K + join path)."""
    records = []
    for q in questions:
        top = [t.name for t in engine.choose_tables(q.question, ACTOR).tables]
        raw = [t.name for t in store.search_tables(DATABASE, q.question, k=K).tables]
        gold = gold_tables(q.gold_sql)
        joined = top + list(expand_join_paths(top, engine.tables()))
        record = {
            "id": q.id,
            "follow_up": q.previous_id is not None,
            "gold": sorted(gold),
            "top": top,
            "hit": gold <= set(top),
            "raw_hit": gold <= set(raw),
            "hit_with_joins": gold <= set(joined),
        }
        if core_engine is not None:
            chosen = core_engine.choose_tables(q.question, ACTOR)
            shown = [t.name for t in chosen.tables]
            if chosen.mode != "core":
                shown += expand_join_paths(shown, core_engine.tables())
            record.update(core=chosen.mode == "core", hit_with_core=gold <= set(shown))
        records.append(record)
    return summarise(records)


def score(
    tables: list[TableDoc],
    questions: tuple[GoldQuestion, ...],
    embedder: MemoEmbedder | None,
    glossary: Glossary | None,
) -> dict[str, Any]:
    """Index the schema, rank every question's tables, and score recall@K."""
    with indexed(tables, embedder, glossary) as (store, engine):
        return score_questions(store, engine, questions)


def _recall(records: list[dict[str, Any]], key: str = "hit") -> float:
    return round(sum(r[key] for r in records) / len(records), 4) if records else float("nan")


def _with_core(records: list[dict[str, Any]]) -> dict[str, Any]:
    """How many questions got the core whole, and how often the gold tables were in the
    prompt with the core; nothing when no core was measured."""
    if not records or "core" not in records[0]:
        return {}
    return {
        "core_questions": sum(r["core"] for r in records),
        "in_prompt_with_core": _recall(records, "hit_with_core"),
    }


def summarise(records: list[dict[str, Any]]) -> dict[str, Any]:
    alone = [r for r in records if not r["follow_up"]]
    return {
        "questions": len(records),
        "recall_at_5": _recall(records),
        "standalone_questions": len(alone),
        "standalone_recall_at_5": _recall(alone),
        "recall_with_join_paths": _recall(records, "hit_with_joins"),
        "raw_recall_at_5": _recall(records, "raw_hit"),
        **_with_core(records),
        "misses": [{k: r[k] for k in ("id", "gold", "top")} for r in records if not r["hit"]],
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    sets = {language: load_set(path).questions for language, path in SETS.items()}
    glossary = load_glossary(GLOSSARY)
    embedder, note = real_embedder(args.embed_url, args.embed_model, sparse_only=args.sparse_only)
    print(note, flush=True)
    started = time.perf_counter()
    tables = demo_schema(args.orders)
    print(f"demo schema: {len(tables)} tables in {time.perf_counter() - started:.1f}s", flush=True)
    runs = []
    for mode, emb in (("sparse", None), ("hybrid", embedder)):
        if mode == "hybrid" and emb is None:
            continue
        for with_glossary in (False, True):
            for language, questions in sets.items():
                result = score(tables, questions, emb, glossary if with_glossary else None)
                runs.append(
                    {"language": language, "mode": mode, "glossary": with_glossary, **result}
                )
                print(f"{language} {mode} glossary={with_glossary}: {result['recall_at_5']}")
    return {
        "k": K,
        "embed_model": args.embed_model if embedder else None,
        "embedding": note,
        "orders": args.orders,
        "glossary_terms": len(glossary),
        "runs": runs,
        "eval": compare_evals(args.eval_en, args.eval_es),
    }


def compare_evals(en: Path | None, es: Path | None) -> dict[str, Any] | None:
    """Execution accuracy of two `keskinube eval` reports, overall, per difficulty, per id."""
    if en is None or es is None:
        return None
    reports = {"en": json.loads(en.read_text()), "es": json.loads(es.read_text())}
    correct = {
        lang: {q["id"]: q["correct"] for q in r["questions"] if q["counted"]}
        for lang, r in reports.items()
    }
    return {
        "files": {"en": str(en), "es": str(es)},
        "model": {lang: r["meta"].get("model") for lang, r in reports.items()},
        "settings": {lang: r["meta"].get("settings") for lang, r in reports.items()},
        "totals": {lang: r["engine"]["totals"] for lang, r in reports.items()},
        "by_difficulty": {lang: r["engine"]["by_difficulty"] for lang, r in reports.items()},
        "only_en": sorted(i for i, ok in correct["en"].items() if ok and not correct["es"].get(i)),
        "only_es": sorted(i for i, ok in correct["es"].items() if ok and not correct["en"].get(i)),
    }


def _side_by_side(runs: list[dict[str, Any]]) -> str:
    """One row per retrieval × glossary: English and Spanish recall, and who missed what."""
    rows = []
    for mode, glossary in dict.fromkeys((r["mode"], r["glossary"]) for r in runs):
        pair = {r["language"]: r for r in runs if (r["mode"], r["glossary"]) == (mode, glossary)}
        en, es = pair["en"], pair["es"]
        missed = {lang: {m["id"] for m in r["misses"]} for lang, r in pair.items()}
        rows.append(
            [
                mode,
                "on" if glossary else "off",
                en["recall_at_5"],
                es["recall_at_5"],
                round(es["recall_at_5"] - en["recall_at_5"], 4),
                _ids(missed["es"] - missed["en"]),
                _ids(missed["en"] - missed["es"]),
            ]
        )
    return md_table(
        [
            "retrieval",
            "glossary",
            "English @5",
            "Spanish @5",
            "es − en",
            "missed in Spanish only",
            "missed in English only",
        ],
        rows,
    )


def _ids(ids: set[str]) -> str:
    return "-" if not ids else " ".join(sorted(ids)) if len(ids) <= 15 else f"{len(ids)} questions"


def markdown(data: dict[str, Any]) -> str:
    rows = [
        [
            r["mode"],
            "on" if r["glossary"] else "off",
            r["language"],
            r["questions"],
            r["recall_at_5"],
            r["standalone_recall_at_5"],
            r["recall_with_join_paths"],
            r["raw_recall_at_5"],
            _ids({m["id"] for m in r["misses"]}),
        ]
        for r in data["runs"]
    ]
    table = md_table(
        [
            "retrieval",
            "glossary",
            "language",
            "questions",
            "recall@5",
            "stand-alone @5 (67)",
            "top 5 + join path",
            "raw store @5",
            "missed (production)",
        ],
        rows,
    )
    text = (
        "# Spanish vs English — demo schema (75 golden questions, translated by hand)\n\n"
        f"Recall@{data['k']} of all gold tables, production ranking (`Engine.rank_tables`, "
        '`schema_mode="retrieve"`; with the default "auto" the 12 demo tables are sent '
        "whole); follow-ups searched by their own text, as the engine does. Schema, comments "
        f"and sample values in English. {data['embedding']}. Glossary: "
        f"`backend/demo/glossary.yaml` ({data['glossary_terms']} terms), applied to sparse "
        "queries only.\n\n"
        + _side_by_side(data["runs"])
        + "\n\nDetails (stand-alone: the 67 questions that are not follow-ups; top 5 + join "
        "path: with the tables the engine adds to join them; raw store: `search_tables(k=5)` "
        "without the engine's re-rank):\n\n" + table + "\n"
    )
    if data["embed_model"] == "all-minilm":
        text += (
            "\nThe dense side here is all-MiniLM-L6-v2, an English model: it reads Spanish "
            "questions poorly. A multilingual embedder (README: `bge-m3`) is the remedy; none "
            "can be served on the benchmark machine, so it is not measured.\n"
        )
    if data["eval"]:
        text += "\n" + _eval_markdown(data["eval"])
    return text


def _eval_markdown(ev: dict[str, Any]) -> str:
    def cell(figures: dict[str, Any]) -> str:
        return f"{figures['correct']}/{figures['questions']} = {figures['accuracy']:.1%}"

    totals = ev["totals"]
    rows = [["all", cell(totals["en"]), cell(totals["es"])]]
    for level in ("easy", "medium", "hard"):
        if level in ev["by_difficulty"]["en"]:
            rows.append(
                [
                    level,
                    cell(ev["by_difficulty"]["en"][level]),
                    cell(ev["by_difficulty"]["es"][level]),
                ]
            )
    rows.append(
        [
            "valid SQL",
            f"{totals['en']['valid_sql_rate']:.1%}",
            f"{totals['es']['valid_sql_rate']:.1%}",
        ]
    )
    model = (ev["model"]["es"] or {}).get("name", "?")
    mode = (ev["settings"]["es"] or {}).get("schema_mode", "?")
    return (
        f"## Execution accuracy, real model ({model}, schema mode {mode})\n\n"
        + md_table(["", "English", "Spanish"], rows)
        + f"\n\nRight in English only: {', '.join(ev['only_en']) or '-'}. "
        f"Right in Spanish only: {', '.join(ev['only_es']) or '-'}.\n"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench language", description=__doc__)
    parser.add_argument("--embed-url", default="http://127.0.0.1:11434")
    parser.add_argument("--embed-model", default="all-minilm")
    parser.add_argument("--sparse-only", action="store_true")
    parser.add_argument("--orders", type=int, default=5000, help="demo orders (sample values)")
    parser.add_argument("--eval-en", type=Path, help="keskinube eval report, English set")
    parser.add_argument("--eval-es", type=Path, help="keskinube eval report, Spanish set")
    run_and_write("language", run, markdown, parser.parse_args(argv))


if __name__ == "__main__":
    main()
