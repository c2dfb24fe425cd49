"""`python -m bench [name ...] [-- args]`: run benchmarks by name (all of them by default).

python -m bench                       # every benchmark but the real-model ones
python -m bench overhead --quick      # one benchmark, with its own options
python -m bench --list
"""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {
    "overhead": "pipeline overhead p50/p95, ours vs LangChain (scripted model)",
    "prompt_tokens": "prompt tokens per question at 10/100/1,000 tables, ours vs LangChain",
    "indexing": "indexing 1,000 tables x 15 columns, :memory: and path; unchanged re-index",
    "retrieval": "recall@5 of gold tables on Spider dev, per database and at 876 tables",
    "scale": "recall@5 in business words: demo schema among 700+ Spider train distractors",
    "names_spider": "real model: question names on Spider's own questions at 876 tables",
    "scale_naming": "real model: the naming call over the scale benchmark's 746 tables",
    "language": "Spanish vs English demo questions: recall@5, glossary on/off (+ eval reports)",
    "model_modes": "real model: demo golden set, schema retrieve vs full, and LangChain",
    "export": "CSV export of 200k rows: streamed vs buffered, time and peak memory",
    "spider_sample": "the fixed Spider dev sample: choose, write as an eval set, load the dumps",
    "accuracy": "real model: Spider sample + demo golden set, ours vs LangChain, strict and fair",
    "sql_validate": "schema check on gold SQL: false alarms, repairs, overhead (needs MariaDB)",
    "first_answer": "real model: seconds to the first answer after a start, cold and warmed",
    "api_load": "HTTP API, scripted model: 20 clients for 60 s, errors, p50/p95 overhead",
}


# Need the real model, a MariaDB server or the shared benchmark data: run by name only.
REAL_MODEL = {
    "model_modes",
    "spider_sample",
    "accuracy",
    "sql_validate",
    "first_answer",
    "names_spider",
    "scale_naming",
}


def main(argv: list[str]) -> None:
    if argv and argv[0] in {"-h", "--help", "--list"}:
        print(__doc__)
        for name, what in BENCHMARKS.items():
            print(f"  {name:<14} {what}")
        return
    if argv and argv[0] in BENCHMARKS:
        module = importlib.import_module(f"bench.{argv[0]}")
        module.main(argv[1:])
        return
    if argv:
        sys.exit(f"unknown benchmark {argv[0]!r}; choose from {', '.join(BENCHMARKS)}")
    for name in BENCHMARKS:
        if name in REAL_MODEL:
            continue
        print(f"\n=== {name} ===", flush=True)
        importlib.import_module(f"bench.{name}").main([])


if __name__ == "__main__":
    main(sys.argv[1:])
