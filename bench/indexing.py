"""Indexing 1,000 tables × 15 columns, and re-indexing when nothing changed.

A synthetic SQLite schema (1,000 tables, 15 columns each, FKs, 12 rows per table) is
introspected with `backend.schema.introspect` (sample values on, cached in a file as the
app does), then indexed with `QdrantSchemaStore.index_tables` through the real
`OllamaEmbedder` over HTTP — against the instant scripted server by default (hash
embeddings, so the figure is our indexing cost, not a model's), or a real Ollama with
`--embed-url`/`--embed-model`. Both embedded Qdrant modes are measured: `:memory:` and a
local folder (`path`), the latter also re-opened as a fresh client, as a second CLI run
would.

Targets (issue 3): first index ≤ 60 s; unchanged re-index ≤ 2 s.

    python -m bench indexing [--tables 1000] [--columns 15]
        [--embed-url http://127.0.0.1:11434 --embed-model all-minilm]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from backend.adapters.ollama import OllamaEmbedder
from backend.domain import TableDoc
from backend.schema import SampleCache, introspect
from bench.common import md_table, quiet_logs, write_results
from bench.harness import SqlScript, scratch_dir, scripted_server
from bench.synthetic import build_schema
from vectorstore.client import open_qdrant
from vectorstore.store import IndexStats, QdrantSchemaStore

DATABASE = "bench_indexing"
TARGET_FIRST_S = 60.0
TARGET_UNCHANGED_S = 2.0


def _timed_introspect(engine: sa.Engine, cache_path: Path) -> tuple[list[TableDoc], float]:
    started = time.perf_counter()
    tables = introspect(engine, sample_cache=SampleCache(cache_path))
    return tables, time.perf_counter() - started


def _stats(stats: IndexStats, seconds: float) -> dict[str, Any]:
    return {
        "seconds": round(seconds, 3),
        "added": stats.added,
        "updated": stats.updated,
        "unchanged": stats.unchanged,
        "removed": stats.removed,
        "embedded": stats.embedded,
        "sparse_only": stats.sparse_only,
    }


def _index(store: QdrantSchemaStore, tables: list[TableDoc]) -> dict[str, Any]:
    started = time.perf_counter()
    stats = store.index_tables(DATABASE, tables)
    return _stats(stats, time.perf_counter() - started)


def measure_location(
    location: str, url: str, cache_path: Path, embedder: OllamaEmbedder
) -> dict[str, Any]:
    """First index, unchanged re-index, and introspect + re-index, at one Qdrant location."""
    engine = sa.create_engine(url)
    cache_path.unlink(missing_ok=True)
    tables, introspect_s = _timed_introspect(engine, cache_path)
    client = open_qdrant(url=None, path=location)
    store = QdrantSchemaStore(client, embedder)
    result: dict[str, Any] = {
        "introspect_first_s": round(introspect_s, 3),
        "first": _index(store, tables),
        "unchanged_same_docs": _index(store, tables),
    }
    again, introspect_again_s = _timed_introspect(engine, cache_path)
    result["introspect_again_s"] = round(introspect_again_s, 3)
    result["unchanged_after_introspect"] = _index(store, again)
    result["docs_changed_by_sampling_budget"] = sum(
        a.fingerprint() != b.fingerprint() for a, b in zip(tables, again, strict=True)
    )
    client.close()
    if location != ":memory:":
        started = time.perf_counter()
        reopened = open_qdrant(url=None, path=location)
        result["reopen_s"] = round(time.perf_counter() - started, 3)
        result["unchanged_after_reopen"] = _index(QdrantSchemaStore(reopened, embedder), again)
        reopened.close()
    engine.dispose()
    return result


def run(
    tables: int, columns: int, embed_url: str | None, embed_model: str | None
) -> dict[str, Any]:
    server = scripted_server(SqlScript()) if embed_url is None else None
    try:
        base_url = embed_url or (server.url if server else "")
        model = embed_model or (server.embed_model if server else "")
        embedder = OllamaEmbedder(base_url=base_url, model=model, timeout_s=120, keep_alive="30m")
        with scratch_dir() as scratch:
            root = Path(scratch)
            path = root / "schema.sqlite"
            started = time.perf_counter()
            build_schema(path, tables, columns=columns)
            print(
                f"built {tables} tables x {columns} columns in {time.perf_counter() - started:.1f}s"
            )
            url = f"sqlite:///{path}"
            results = {}
            for label, location in ((":memory:", ":memory:"), ("path", str(root / "qdrant"))):
                print(f"indexing in {label} ...", flush=True)
                results[label] = measure_location(location, url, root / "samples.json", embedder)
    finally:
        if server is not None:
            server.stop()
    return {
        "tables": tables,
        "columns": columns,
        "embeddings": f"{model} at {'scripted server' if embed_url is None else embed_url}",
        "locations": results,
    }


def markdown(data: dict[str, Any]) -> str:
    rows = []
    for label, r in data["locations"].items():
        rows.append(
            [
                label,
                r["introspect_first_s"],
                r["first"]["seconds"],
                r["first"]["added"],
                r["unchanged_same_docs"]["seconds"],
                r["unchanged_same_docs"]["unchanged"],
                r["introspect_again_s"],
                r["unchanged_after_introspect"]["seconds"],
                r["unchanged_after_introspect"]["updated"],
                r.get("reopen_s", "-"),
                r.get("unchanged_after_reopen", {}).get("seconds", "-"),
            ]
        )
    table = md_table(
        [
            "Qdrant",
            "introspect s",
            "first index s",
            "tables added",
            "unchanged re-index s",
            "unchanged",
            "re-introspect s",
            "re-index after re-introspect s",
            "tables re-embedded",
            "re-open path s",
            "re-index after re-open s",
        ],
        rows,
    )
    return (
        f"# Indexing {data['tables']:,} tables × {data['columns']} columns\n\n"
        f"Embeddings: {data['embeddings']} (through `OllamaEmbedder`, HTTP). "
        "`first index`/`unchanged re-index` time `QdrantSchemaStore.index_tables` alone; "
        "introspection (SQLite, sample values on) is timed apart.\n\n" + table + "\n"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench indexing", description=__doc__)
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--columns", type=int, default=15)
    parser.add_argument("--embed-url", default=None, help="a real Ollama (default: scripted)")
    parser.add_argument("--embed-model", default=None)
    args = parser.parse_args(argv)
    quiet_logs()
    data = run(args.tables, args.columns, args.embed_url, args.embed_model)
    data["targets"] = {"first_index_s": TARGET_FIRST_S, "unchanged_reindex_s": TARGET_UNCHANGED_S}
    name = "indexing" if args.embed_url is None else "indexing_real_embeddings"
    write_results(name, data, markdown(data))


if __name__ == "__main__":
    main()
