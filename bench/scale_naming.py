"""The naming call over every table of the scale benchmark: its users' words, indexed.

Issue 15 asks that the users' words for each table go into the indexed documents. The
product drafts them at index time with two calls a table (`backend.knowledge.draft`);
on 746 tables that is ~11 hours on 2 cores. The naming call alone (`backend.knowledge.naming`:
what one row is called, and the words for the label columns) is ~4 s a table, so this
bench drafts it for the demo tables and every distractor alike — the same call, the same
filters (`parse_names`, `with_names`) as the product — and writes a knowledge export that
`python -m bench scale --knowledge FILE` applies to all of them. Nothing is reviewed:
the words are the real 1.5B model's output.

Replies are kept in a JSON cache (`--cache`, one entry per table), so an interrupted run
goes on where it stopped.

    python -m bench scale_naming [--out FILE] [--cache FILE] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from backend.demo.schema import DEMO_TABLE_NAMES
from backend.knowledge import Knowledge
from backend.knowledge.naming import name_keys, naming_messages, parse_names, with_names
from backend.knowledge.yaml_io import dump_knowledge
from bench.retrieval import served_chat_model
from bench.scale import DEMO_DB, demo_tables, distractor_tables
from bench.spider import load_catalog


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=DEMO_DB, help="the demo database to introspect")
    parser.add_argument("--out", type=Path, default=Path("/tmp/scale_naming.yaml"))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/scale_naming_replies.json"))
    parser.add_argument("--limit", type=int, help="only the first N tables (a trial)")
    parser.add_argument("--url", default=os.environ.get("OLLAMA_BASE_URL", ""))
    parser.add_argument(
        "--chat-model", default=os.environ.get("OLLAMA_MODEL", "qwen2.5-coder:1.5b")
    )
    args = parser.parse_args(argv)

    demo, _source = demo_tables(args.db, None, 5000)
    tables = demo + distractor_tables(load_catalog(), DEMO_TABLE_NAMES)
    tables = tables[: args.limit] if args.limit else tables
    others = name_keys(tables)
    replies: dict[str, str] = {}
    if args.cache.exists():
        replies = json.loads(args.cache.read_text(encoding="utf-8"))
    chat = served_chat_model(args.url, args.chat_model)
    seconds: list[float] = []
    entries = {}
    for number, table in enumerate(tables, start=1):
        if table.name not in replies:
            started = time.perf_counter()
            replies[table.name] = chat.complete(naming_messages(table)).text
            seconds.append(time.perf_counter() - started)
            if number % 20 == 0:
                args.cache.write_text(json.dumps(replies, ensure_ascii=False), "utf-8")
                print(f"{number}/{len(tables)} {statistics.median(seconds):.1f}s", flush=True)
        names = parse_names(replies[table.name], table, others)
        for entry in with_names([], names, table, others):
            entries[(entry.table, entry.column)] = entry
    args.cache.write_text(json.dumps(replies, ensure_ascii=False), "utf-8")
    args.out.write_text(dump_knowledge("scale", Knowledge(entries, ())), "utf-8")
    named = {table for table, _column in entries}
    print(f"{len(named)}/{len(tables)} tables named; {len(entries)} entries → {args.out}")
    if seconds:
        print(f"{len(seconds)} calls, median {statistics.median(seconds):.1f}s")


if __name__ == "__main__":
    main()
