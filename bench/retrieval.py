"""Schema retrieval recall@5 on the 1,034 Spider dev questions, sparse-only and hybrid.

A question counts as found only if ALL its gold tables (those its gold SQL reads) are
among the top 5 tables. Two rankings are scored for every question:

- production: `Engine.rank_tables` — the very call the engine makes when it retrieves
  (store searched `max(4k, 20)` deep, then `promote_fk_neighbours`), on an `Engine` built
  over the benchmark's store, so the figure cannot drift from the product;
- raw: `QdrantSchemaStore.search_tables(k=5)` alone, the store's own ranking (the figure
  published before the re-rank shipped), kept as the comparison row.

Two scopes:

- per database: each of the 20 dev databases indexed in its own collection (as the
  product indexes one business database), questions asked of their own database;
- at scale: one collection of all 876 Spider tables (`<db>__<table>`, 795 of them from
  train databases acting as distractors), every dev question asked against it.

Retrieval is measured as if the schema were too large to send whole (`schema_mode=
"retrieve"`): with the default "auto", the small Spider databases would be sent whole.

Sparse-only uses no embedder (what the product falls back to); hybrid uses REAL
embeddings — all-MiniLM-L6-v2 served on Ollama's API (`../shared/llm/start.sh`, model
`all-minilm`) through the product's `OllamaEmbedder`. Diagnostics beside the official
figure: dense-only top 5, recall@10 of the raw ranking, and top 5 + the join-path tables
the engine adds (`expand_join_paths`). By default the schema is identifiers only (no
comments, no sample values: the catalog has none); `--natural` adds a second run with
Spider's human-written column names as comments. Misses of the production ranking are
analysed by `bench/retrieval_analysis.py`; the results hold question ids, never question
text.

Targets (issue 3): ≥ 0.95 per database, ≥ 0.90 at 876 tables (production ranking).

    python -m bench retrieval [--embed-url http://127.0.0.1:11434] [--embed-model all-minilm]
        [--sparse-only] [--natural] [--mysql] [--scopes database 876]
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from qdrant_client import QdrantClient

from backend.adapters.ollama import OllamaChatModel, OllamaEmbedder, check_ollama
from backend.domain import Actor, Completion, QueryResult, TableDoc
from backend.engine_config import EngineConfig
from backend.join_paths import expand_join_paths
from backend.pipeline import Engine
from backend.ports import ChatModel, SchemaIndex
from bench.common import md_table, percentile, quiet_logs, write_results
from bench.retrieval_analysis import analyse_misses
from bench.spider import SpiderQuestion, dev_databases, load_catalog, load_questions, table_doc
from vectorstore.store import QdrantSchemaStore, collection_name

K = 5
SCALE_DATABASE = "spider_all"
TARGET_PER_DB = 0.95
TARGET_AT_SCALE = 0.90
DEEP = 20  # raw ranks reported for misses, and recall@10
ACTOR = Actor("bench", "bench")  # unrestricted, as an admin asks


class _NoModel:
    """Retrieval never calls the model; any call is a bug in the benchmark."""

    model_name = "none"

    def complete(self, messages: Sequence[tuple[str, str]]) -> Completion:
        raise RuntimeError("the retrieval benchmark must not call the model")


class _NoRunner:
    """Retrieval never runs SQL; any call is a bug in the benchmark."""

    dialect = "sqlite"

    def run(self, sql: str, *, row_limit: int) -> QueryResult:
        raise RuntimeError("the retrieval benchmark must not run SQL")


def production_engine(
    index: SchemaIndex,
    database: str,
    *,
    model: ChatModel | None = None,
    knobs: RetrievalKnobs | None = None,
) -> Engine:
    """An `Engine` over `index` whose `rank_tables` is the product's retrieval, unchanged;
    with a `model`, its `choose_tables` asks it (table selection and/or question names, as
    `knobs` say; table selection alone when they say nothing)."""
    knobs = knobs or RetrievalKnobs(table_selection=model is not None)
    config = EngineConfig(
        database=database,
        retrieval_k=K,
        schema_mode="retrieve",
        table_selection=knobs.table_selection,
        question_names=knobs.question_names,
        core_schema_max_tokens=knobs.core_schema_max_tokens,
    )
    return Engine(model=model or _NoModel(), runner=_NoRunner(), index=index, config=config)


def served_chat_model(base_url: str, model: str) -> ChatModel:
    """The product's chat model on the served model, as the wiring builds it."""
    return OllamaChatModel(
        base_url=base_url, model=model, num_ctx=8192, timeout_s=300, keep_alive="30m"
    )


@dataclass(frozen=True)
class RetrievalKnobs:
    """The model steps a benchmark run turns on (both off: the plain ranking)."""

    table_selection: bool = False
    question_names: bool = False
    # The core's budget (`CORE_SCHEMA_MAX_TOKENS`); 0: no core, the plain ranking.
    core_schema_max_tokens: int = 0

    def label(self) -> str:
        """The steps this run adds to the plain ranking, for a results row."""
        parts = ["selection"] * self.table_selection + ["names"] * self.question_names
        return " + ".join(parts)


class MemoEmbedder:
    """The real embedder, remembering vectors so each text is embedded once per run."""

    def __init__(self, inner: OllamaEmbedder, batch: int = 64) -> None:
        self.inner, self.batch = inner, batch
        self.model_name = inner.model_name
        self.vectors: dict[str, list[float]] = {}
        self.seconds = 0.0
        self.texts = 0

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self.vectors]
        for start in range(0, len(missing), self.batch):
            chunk = missing[start : start + self.batch]
            started = time.perf_counter()
            self.vectors.update(zip(chunk, self.inner.embed(chunk), strict=True))
            self.seconds += time.perf_counter() - started
            self.texts += len(chunk)
        return [self.vectors[t] for t in texts]


@dataclass
class Scope:
    """Where questions are asked: the collection of each question and its tables."""

    name: str
    tables: dict[str, dict[str, TableDoc]]  # database → table name → doc
    database_of: dict[int, str] = field(default_factory=dict)
    qualified: bool = False

    def gold(self, q: SpiderQuestion) -> set[str]:
        """Gold table names as indexed, lower-cased (names are compared case-insensitively)."""
        return {(f"{q.db_id}__{t}" if self.qualified else t).lower() for t in q.gold_tables}


def build_scopes(
    catalog: list[dict[str, Any]], questions: list[SpiderQuestion], natural: bool
) -> list[Scope]:
    dev = set(dev_databases(catalog, questions))
    per_db: dict[str, dict[str, TableDoc]] = defaultdict(dict)
    for entry in catalog:
        if entry["db_id"] in dev:
            doc = table_doc(entry, qualified=False, natural=natural)
            per_db[entry["db_id"]][doc.name] = doc
    everything = {
        doc.name: doc for doc in (table_doc(e, qualified=True, natural=natural) for e in catalog)
    }
    return [
        Scope("per database", dict(per_db), {q.idx: q.db_id for q in questions}),
        Scope(
            "at 876 tables",
            {SCALE_DATABASE: everything},
            {q.idx: SCALE_DATABASE for q in questions},
            qualified=True,
        ),
    ]


def _dense_top(client: QdrantClient, database: str, vector: list[float], k: int) -> list[str]:
    points = client.query_points(
        collection_name("schema", database),
        query=vector,
        using="dense",
        limit=8 * k,
        with_payload=["table"],
    ).points
    seen: list[str] = []
    for point in points:
        table = str((point.payload or {}).get("table", ""))
        if table and table not in seen:
            seen.append(table)
    return seen[:k]


def _ms(latencies: list[float]) -> dict[str, float]:
    return {
        "p50": round(percentile(latencies, 0.5) * 1000, 2),
        "p95": round(percentile(latencies, 0.95) * 1000, 2),
    }


def evaluate(
    scope: Scope, questions: list[SpiderQuestion], embedder: MemoEmbedder | None
) -> dict[str, Any]:
    """Index the scope, ask every question, and score recall@K (plus diagnostics)."""
    client = QdrantClient(location=":memory:")
    store = QdrantSchemaStore(client, embedder)
    started = time.perf_counter()
    for database, tables in scope.tables.items():
        stats = store.index_tables(database, list(tables.values()))
        if embedder is not None and stats.sparse_only:
            raise RuntimeError(f"embeddings failed while indexing: {stats.warning}")
    index_s = time.perf_counter() - started
    engines = {database: production_engine(store, database) for database in scope.tables}
    records: list[dict[str, Any]] = []
    raw_latencies: list[float] = []
    latencies: list[float] = []
    for q in questions:
        database = scope.database_of[q.idx]
        engine = engines[database]
        engine.tables()  # loaded once per engine, as in the product: not timed
        began = time.perf_counter()
        raw = store.search_tables(database, q.question, k=K)
        raw_latencies.append(time.perf_counter() - began)
        began = time.perf_counter()
        retrieval = engine.rank_tables(q.question, ACTOR, k=K)
        latencies.append(time.perf_counter() - began)
        gold = scope.gold(q)
        top = [t.name for t in retrieval.tables]
        raw_top = [t.name for t in raw.tables]

        def found(names: list[str], gold: set[str] = gold) -> bool:
            return gold <= {t.lower() for t in names}

        def with_joins(names: list[str], engine: Engine = engine) -> list[str]:
            return names + list(expand_join_paths(names, engine.tables()))

        record: dict[str, Any] = {
            "idx": q.idx,
            "db": q.db_id,
            "gold": sorted(gold),
            "top": top,
            "raw_top": raw_top,
            "mode": retrieval.mode,
            "hit": found(top),
            "raw_hit": found(raw_top),
            "hit_with_joins": found(with_joins(top)),
            "raw_hit_with_joins": found(with_joins(raw_top)),
        }
        if embedder is not None:
            dense = _dense_top(client, database, embedder.embed([q.question])[0], K)
            record["dense_hit"] = found(dense)
        deeper = [t.name for t in store.search_tables(database, q.question, k=DEEP).tables]
        ranks = {name.lower(): i + 1 for i, name in enumerate(deeper)}
        record["raw_hit_at_10"] = all((ranks.get(g) or 99) <= 10 for g in gold)
        if not record["hit"] or not record["raw_hit"]:
            record["gold_ranks"] = {g: ranks.get(g) for g in sorted(gold)}  # raw, 20 deep
        records.append(record)
    client.close()
    return {
        "index_s": round(index_s, 2),
        "rank_ms": _ms(latencies),
        "raw_search_ms": _ms(raw_latencies),
        "records": records,
    }


def _recall(records: list[dict[str, Any]], key: str = "hit") -> float:
    hits = [r[key] for r in records if key in r]
    return round(sum(hits) / len(hits), 4) if hits else float("nan")


def summarise(result: dict[str, Any], scope: Scope) -> dict[str, Any]:
    records = result.pop("records")
    by_db: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_gold: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        by_db[r["db"]].append(r)
        by_gold[str(min(len(r["gold"]), 3)) + ("+" if len(r["gold"]) >= 3 else "")].append(r)
    return {
        **result,
        "ranking": "Engine.rank_tables (store searched max(4k, 20) deep + promote_fk_neighbours)",
        "questions": len(records),
        "recall_at_5": _recall(records),
        "raw_recall_at_5": _recall(records, "raw_hit"),
        "recall_with_join_paths": _recall(records, "hit_with_joins"),
        "raw_recall_with_join_paths": _recall(records, "raw_hit_with_joins"),
        "dense_only_recall_at_5": _recall(records, "dense_hit"),
        "raw_recall_at_10": _recall(records, "raw_hit_at_10"),
        "gained_over_raw": [r["idx"] for r in records if r["hit"] and not r["raw_hit"]],
        "lost_against_raw": [r["idx"] for r in records if r["raw_hit"] and not r["hit"]],
        "per_database": {
            db: {
                "questions": len(rs),
                "tables": len(scope.tables.get(db, {})) or None,
                "recall_at_5": _recall(rs),
                "raw_recall_at_5": _recall(rs, "raw_hit"),
            }
            for db, rs in sorted(by_db.items())
        },
        "by_gold_tables": {
            n: {
                "questions": len(rs),
                "recall_at_5": _recall(rs),
                "raw_recall_at_5": _recall(rs, "raw_hit"),
            }
            for n, rs in sorted(by_gold.items())
        },
        "misses": [r for r in records if not r["hit"]],
    }


def _mysql_scope(questions: list[SpiderQuestion], args: argparse.Namespace) -> Scope:
    from bench.spider_mysql import loaded_databases

    url = sa.make_url(args.mysql_url)
    databases = sorted({q.db_id for q in questions})
    with loaded_databases(
        databases, host=url.host or "127.0.0.1", port=url.port or 3306, user=url.username or "root"
    ) as schemas:
        pass  # introspected; the scratch databases are dropped on leaving
    return Scope(
        "per database (MariaDB dumps, introspected)",
        schemas,
        {q.idx: q.db_id for q in questions if q.db_id in schemas},
    )


def real_embedder(
    url: str, model: str, *, sparse_only: bool = False
) -> tuple[MemoEmbedder | None, str]:
    """The real embedder on Ollama's API at `url`, or None and why hybrid is skipped."""
    if sparse_only:
        return None, "hybrid skipped (--sparse-only)"
    health = check_ollama(base_url=url, models=[model])
    if not health.ok:
        return None, f"hybrid skipped: {health.message}"
    inner = OllamaEmbedder(base_url=url, model=model, timeout_s=120, keep_alive="30m")
    return MemoEmbedder(inner), f"real embeddings: {model} at {url}"


def _embedder(
    args: argparse.Namespace, questions: list[SpiderQuestion]
) -> tuple[MemoEmbedder | None, str]:
    embedder, note = real_embedder(args.embed_url, args.embed_model, sparse_only=args.sparse_only)
    if embedder is None:
        return None, note
    started = time.perf_counter()
    embedder.embed([q.question for q in questions])
    return embedder, f"{len(questions)} questions embedded in {time.perf_counter() - started:.1f}s"


def run(args: argparse.Namespace) -> dict[str, Any]:
    catalog, questions = load_catalog(), load_questions()
    embedder, note = _embedder(args, questions)
    print(note, flush=True)
    runs = []
    for natural in (False, True) if args.natural else (False,):
        scopes = build_scopes(catalog, questions, natural)
        if args.mysql and not natural:
            scopes.insert(1, _mysql_scope(questions, args))
        for scope in scopes:
            if not any(word in scope.name for word in args.scopes):
                continue
            asked = [q for q in questions if q.idx in scope.database_of]
            for mode, emb in (("sparse", None), ("hybrid", embedder)):
                if mode == "hybrid" and emb is None:
                    continue
                print(f"{scope.name}, {mode}, natural names {natural} ...", flush=True)
                result = summarise(evaluate(scope, asked, emb), scope)
                result.update(scope=scope.name, mode=mode, natural_names=natural)
                result["analysis"] = analyse_misses(result["misses"], scope, asked)
                runs.append(result)
    return {
        "k": K,
        "embed_model": args.embed_model if embedder else None,
        "embedding": note,
        "embedding_seconds_total": round(embedder.seconds, 1) if embedder else None,
        "texts_embedded": embedder.texts if embedder else 0,
        "runs": runs,
    }


def _targets(data: dict[str, Any]) -> list[list[object]]:
    """One row per identifier-only run: the production recall@5 against its target."""
    rows: list[list[object]] = []
    for r in data["runs"]:
        if r["natural_names"]:
            continue
        figure = r["recall_at_5"]
        if r["scope"].startswith("per database"):
            target = TARGET_PER_DB
            by_db = {db: d["recall_at_5"] for db, d in r["per_database"].items()}
            worst_db = min(by_db, key=lambda db: (by_db[db], db))
            below = sorted(db for db, value in by_db.items() if value < target)
            worst: object = f"{worst_db} {by_db[worst_db]:.3f}"
            if figure < target:
                verdict = "NOT met"
            elif below:
                verdict = f"met overall; {len(below)} of {len(by_db)} databases below"
            else:
                verdict = "met (overall and every database)"
        else:
            target, worst = TARGET_AT_SCALE, "-"
            verdict = "met" if figure >= target else "NOT met"
        rows.append([r["scope"], r["mode"], f"≥ {target:.2f}", figure, worst, verdict])
    return rows


def markdown(data: dict[str, Any]) -> str:
    rows = []
    for r in data["runs"]:
        text = "natural-name comments" if r["natural_names"] else "identifiers"
        dense = r["dense_only_recall_at_5"] if r["mode"] == "hybrid" else "-"
        rows.append(
            [
                r["scope"],
                r["mode"],
                text,
                "**production**",
                r["questions"],
                r["recall_at_5"],
                r["recall_with_join_paths"],
                dense,
                r["raw_recall_at_10"],
                r["index_s"],
                r["rank_ms"]["p50"],
                r["rank_ms"]["p95"],
            ]
        )
        rows.append(
            [
                r["scope"],
                r["mode"],
                text,
                "raw store",
                r["questions"],
                r["raw_recall_at_5"],
                r["raw_recall_with_join_paths"],
                dense,
                r["raw_recall_at_10"],
                r["index_s"],
                r["raw_search_ms"]["p50"],
                r["raw_search_ms"]["p95"],
            ]
        )
    main = md_table(
        [
            "scope",
            "retrieval",
            "schema text",
            "ranking",
            "questions",
            "recall@5",
            "top 5 + join path",
            "dense-only @5 (diag.)",
            "raw recall@10 (diag.)",
            "index s",
            "p50 ms",
            "p95 ms",
        ],
        rows,
    )
    per_db_runs = [
        r for r in data["runs"] if r["scope"].startswith("per database") and not r["natural_names"]
    ]
    dbs = sorted({db for r in per_db_runs for db in r["per_database"]})

    def cell(r: dict[str, Any], db: str, key: str) -> object:
        return r["per_database"].get(db, {}).get(key, "-")

    columns = [
        (r, key, f"{r['mode']} {label} ({'MariaDB' if 'MariaDB' in r['scope'] else 'catalog'})")
        for r in per_db_runs
        for key, label in (("recall_at_5", "production"), ("raw_recall_at_5", "raw"))
    ]
    per_db = md_table(
        ["database", "tables", "questions"] + [title for _, _, title in columns],
        [
            [db, cell(per_db_runs[0], db, "tables"), cell(per_db_runs[0], db, "questions")]
            + [cell(r, db, key) for r, key, _ in columns]
            for db in dbs
        ],
    )
    targets = md_table(
        ["scope", "retrieval", "target", "recall@5", "worst database", "verdict"], _targets(data)
    )
    changed = "; ".join(
        f"{r['scope']}, {r['mode']}: +{len(r['gained_over_raw'])} / -{len(r['lost_against_raw'])}"
        for r in data["runs"]
        if not r["natural_names"]
    )
    return (
        "# Schema retrieval recall@5 — Spider dev (1,034 questions)\n\n"
        f"A question counts only if all its gold tables are in the top {data['k']}. Hybrid = "
        f"dense ({data['embed_model']}, real embeddings over Ollama's API) + sparse BM25, "
        f"RRF-fused in embedded Qdrant. {data['embedding']}.\n\n"
        "**production** = `Engine.rank_tables`, the engine's own retrieval call (store "
        "searched max(4k, 20) = 20 deep, then `promote_fk_neighbours`), with "
        '`schema_mode="retrieve"`; **raw store** = `search_tables(k=5)` alone, the ranking '
        "published before the re-rank (comparison row). p50/p95: per question, of that "
        "ranking's call (production includes its deeper search and the re-rank); timings were "
        "taken on a shared, loaded machine — compare rows of one run, not across runs.\n\n"
        + main
        + "\n\nTargets (issue 3), production ranking, identifiers only:\n\n"
        + targets
        + f"\n\nQuestions gained / lost by production against raw: {changed}.\n"
        + "\nPer database, recall@5:\n\n"
        + per_db
        + "\n"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench retrieval", description=__doc__)
    parser.add_argument("--embed-url", default="http://127.0.0.1:11434")
    parser.add_argument("--embed-model", default="all-minilm")
    parser.add_argument("--natural", action="store_true", help="also with natural-name comments")
    parser.add_argument("--sparse-only", action="store_true")
    parser.add_argument("--mysql", action="store_true", help="also load the 19 MariaDB dumps")
    parser.add_argument("--mysql-url", default="mysql+pymysql://root@127.0.0.1:3306")
    parser.add_argument(
        "--scopes", nargs="+", default=["database", "876"], help="words matching scope names"
    )
    args = parser.parse_args(argv)
    quiet_logs()
    started = time.perf_counter()
    data = run(args)
    data["total_seconds"] = round(time.perf_counter() - started, 1)
    data["targets"] = {"per_database": TARGET_PER_DB, "at_876_tables": TARGET_AT_SCALE}
    write_results("retrieval", data, markdown(data))


if __name__ == "__main__":
    main()
