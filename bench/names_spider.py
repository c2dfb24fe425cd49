"""Question names on Spider's own questions at 876 tables: do they cost what already works?

Issue 15's question names (`QUESTION_NAMES`) were measured on business words
(`bench/scale.py`); Spider's questions mostly reuse the schema's words, where the plain
search is already right 93% of the time at 876 tables (`bench/retrieval.py`). Extra names
could pull in look-alike tables there. This ranks a fixed sample of Spider dev questions
(seeded, `--sample`) in the at-876-tables collection twice with the product's own calls:
`Engine.rank_tables` (the words alone) and `Engine.choose_tables` with question names on
(the real chat model lists them, once per question), hybrid with real embeddings (or
sparse-only with `--sparse-only`). With names, the ranking is also scored without the
per-thing searches (`backend.thing_tables`) on the same reply, so the two are compared on
the same names. Results hold question ids, never question text.

    python -m bench names_spider [--sample 120] [--embed-url URL] [--sparse-only]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from dataclasses import replace
from typing import Any

from qdrant_client import QdrantClient

from bench.common import md_table, run_and_write
from bench.retrieval import (
    ACTOR,
    K,
    RetrievalKnobs,
    build_scopes,
    production_engine,
    real_embedder,
    served_chat_model,
)
from bench.spider import load_catalog, load_questions
from vectorstore.store import QdrantSchemaStore


def run(args: argparse.Namespace) -> dict[str, Any]:
    catalog, questions = load_catalog(), load_questions()
    sample = sorted(random.Random(15).sample(questions, args.sample), key=lambda q: q.idx)
    scope = next(s for s in build_scopes(catalog, sample, natural=False) if "876" in s.name)
    ((database, tables),) = scope.tables.items()
    embedder, note = real_embedder(args.embed_url, args.embed_model, sparse_only=args.sparse_only)
    print(note, flush=True)
    chat = served_chat_model(args.embed_url, args.chat_model)
    client = QdrantClient(location=":memory:")
    try:
        store = QdrantSchemaStore(client, embedder)
        store.index_tables(database, list(tables.values()))
        plain = production_engine(store, database)
        named = production_engine(
            store, database, model=chat, knobs=RetrievalKnobs(question_names=True)
        )
        records, seconds = [], []
        for q in sample:
            gold = scope.gold(q)
            words = {t.name.lower() for t in plain.rank_tables(q.question, ACTOR, k=K).tables}
            began = time.perf_counter()
            chosen = {t.name.lower() for t in named.choose_tables(q.question, ACTOR).tables}
            seconds.append(time.perf_counter() - began)
            # The same reply (asked again: the server's cache answers), without things.
            retriever = named._context().tables
            said = retriever.names(q.question, complete=chat.complete)
            without = retriever.rank(q.question, ACTOR, k=K, names=replace(said, things=()))
            no_things = {t.name.lower() for t in without.tables}
            records.append(
                {
                    "idx": q.idx,
                    "plain": gold <= words,
                    "names": gold <= chosen,
                    "names_no_things": gold <= no_things,
                }
            )
    finally:
        client.close()
    return {
        "k": K,
        "tables": len(tables),
        "questions": len(records),
        "retrieval": "hybrid" if embedder else "sparse",
        "embedding": note,
        "chat_model": args.chat_model,
        "recall_plain": _share(records, "plain"),
        "recall_names": _share(records, "names"),
        "recall_names_no_things": _share(records, "names_no_things"),
        "won": [r["idx"] for r in records if r["names"] and not r["plain"]],
        "lost": [r["idx"] for r in records if r["plain"] and not r["names"]],
        "choose_s_median": round(statistics.median(seconds), 2),
    }


def _share(records: list[dict[str, Any]], key: str) -> float:
    return round(sum(r[key] for r in records) / len(records), 4)


def markdown(data: dict[str, Any]) -> str:
    rows = [
        [
            data["retrieval"],
            data["questions"],
            data["recall_plain"],
            data.get("recall_names_no_things", "-"),
            data["recall_names"],
        ],
    ]
    headers = ["retrieval", "questions", "words alone", "names, no things", "with question names"]
    table = md_table(headers, rows)
    return (
        f"# Question names on Spider's own questions, at {data['tables']} tables\n\n"
        f"recall@{data['k']} of the gold tables, a fixed sample of Spider dev questions "
        "(seed 15), `Engine.rank_tables` (words alone) against `Engine.choose_tables` with "
        f"`question_names` ({data['chat_model']}; {data['embedding']}).\n\n"
        + table
        + f"\n\nWon: {_ids(data['won'])}. Lost: {_ids(data['lost'])}. "
        f"Seconds to choose with names (median, model call included): "
        f"{data['choose_s_median']}.\n"
    )


def _ids(ids: list[int]) -> str:
    return ", ".join(str(i) for i in ids) or "none"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench names_spider", description=__doc__)
    parser.add_argument("--sample", type=int, default=120, help="questions in the sample")
    parser.add_argument(
        "--embed-url", default=os.environ.get("OLLAMA_BASE_URL") or "http://127.0.0.1:11434"
    )
    parser.add_argument("--embed-model", default="all-minilm")
    parser.add_argument(
        "--chat-model", default=os.environ.get("OLLAMA_MODEL") or "qwen2.5-coder:1.5b"
    )
    parser.add_argument("--sparse-only", action="store_true")
    run_and_write("names_spider", run, markdown, parser.parse_args(argv))


if __name__ == "__main__":
    main()
