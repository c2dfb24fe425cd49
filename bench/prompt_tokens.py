"""Prompt tokens per question at 10, 100 and 1,000 tables: ours versus LangChain's chain.

Both pipelines send their prompts to the same scripted Ollama server, which records every
request; the tokens of each recorded prompt are counted the same way for both (see
`bench/tokens.py`: the Qwen2.5 tokenizer when the local llama.cpp server is up, and the
product's own estimate). Ours runs with `schema_mode="auto"`: a schema small enough
(≤ `full_schema_max_tokens`) is sent whole, a larger one is retrieved (top-k + join path)
and fitted to `retrieved_schema_max_tokens` (lowest-ranked tables shortened, then dropped).

Target (issue 3): ≤ 2,000 tokens at 1,000 tables, flat as the schema grows.

    python -m bench prompt_tokens [--questions 20] [--langchain-questions 3]
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import Any

from backend.schema import SampleLimits, introspect
from bench.common import md_table, percentile, quiet_logs, write_results
from bench.harness import (
    Measured,
    SqlScript,
    ask_langchain,
    ask_ours,
    keskinube,
    langchain_side,
    scratch_dir,
    scripted_server,
)
from bench.synthetic import build_schema, questions_for
from bench.tokens import DEFAULT_TOKENIZER_URL, TokenCounter

SIZES = (10, 100, 1000)
TARGET_AT_1000 = 2000


def _token_stats(runs: list[Measured], counter: TokenCounter) -> dict[str, Any]:
    counts = [counter.count(r.prompt) for r in runs if r.prompt]
    stats: dict[str, Any] = {"n": len(counts)}
    for kind in ("qwen", "estimate"):
        values = [c[kind] for c in counts if c[kind] is not None]
        if values:
            stats[kind] = {
                "mean": round(sum(values) / len(values)),
                "p50": round(percentile(values, 0.5)),
                "max": max(values),
            }
    stats["chars_mean"] = round(sum(len(r.prompt) for r in runs) / max(1, len(runs)))
    return stats


def measure_size(
    size: int, root: Path, counter: TokenCounter, *, questions: int, langchain_questions: int
) -> dict[str, Any]:
    path = root / f"synthetic_{size}.sqlite"
    build_schema(path, size)
    url = f"sqlite:///{path}"
    script = SqlScript()
    server = scripted_server(script)
    try:
        services = keskinube(url, server, root / f"data-{size}")
        # Steady state: every sampleable column sampled, as after enough index runs (one run
        # samples at most `SampleLimits.max_queries` columns).
        sampled = introspect(services.db_engine, limits=SampleLimits(max_queries=1_000_000))
        services.store.index_tables(services.database, sampled)
        services.engine.refresh()
        tables = list(services.engine.tables().values())
        pool = questions_for(tables, questions + langchain_questions)
        script.add(pool)
        ours = [ask_ours(services, server, q.text) for q in pool[:questions]]
        services.close()
        lc = langchain_side(url, server)
        lc_pool = pool[questions:] or pool[:langchain_questions]
        theirs = [ask_langchain(lc, server, q.text) for q in lc_pool]
        lc.db._engine.dispose()
    finally:
        server.stop()
    return {
        "tables": size,
        "ours": {
            **_token_stats(ours, counter),
            "modes": dict(Counter(r.mode for r in ours)),
            "retrieved_schema_max_tokens": services.engine.config.retrieved_schema_max_tokens,
            "tables_in_prompt": dict(sorted(Counter(r.prompt_tables for r in ours).items())),
        },
        "langchain": _token_stats(theirs, counter),
    }


def markdown(data: dict[str, Any]) -> str:
    kind = "qwen" if data["tokenizer_available"] else "estimate"
    rows = []
    for size in data["sizes"]:
        ours, lc = size["ours"], size["langchain"]
        rows.append(
            [
                size["tables"],
                ", ".join(f"{m} {n}" for m, n in ours["modes"].items()),
                ", ".join(f"{t}: {n}" for t, n in ours["tables_in_prompt"].items()),
                ours.get(kind, {}).get("p50", "-"),
                ours.get(kind, {}).get("max", "-"),
                ours.get("estimate", {}).get("p50", "-"),
                ours.get("estimate", {}).get("max", "-"),
                lc.get(kind, {}).get("p50", "-"),
                lc.get("estimate", {}).get("p50", "-"),
            ]
        )
    table = md_table(
        [
            "tables",
            "our schema mode",
            "our tables in prompt (count: questions)",
            f"ours p50 ({kind})",
            f"ours max ({kind})",
            "ours p50 (estimate)",
            "ours max (estimate)",
            f"LangChain p50 ({kind})",
            "LangChain p50 (estimate)",
        ],
        rows,
    )
    return (
        "# Prompt tokens per question\n\n"
        f"Counted on the prompts the scripted server received — {data['tokenizer']}. "
        "Message contents only (no chat-template tokens). Synthetic ERP-like schemas "
        "(6-15 columns per table, FKs, 12 rows each; LangChain adds 3 sample rows per "
        "table). Ours indexed in steady state: every low-cardinality text column sampled "
        "(a single index run samples at most 250 columns); retrieved schema fitted to "
        f"{data['retrieved_schema_max_tokens']:,} estimated tokens (`RETRIEVED_SCHEMA_MAX_TOKENS`)."
        "\n\n" + table + "\n"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench prompt_tokens", description=__doc__)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--langchain-questions", type=int, default=3)
    parser.add_argument("--tokenizer-url", default=DEFAULT_TOKENIZER_URL)
    args = parser.parse_args(argv)
    quiet_logs()
    counter = TokenCounter(args.tokenizer_url)
    sizes = []
    with scratch_dir() as scratch:
        for size in SIZES:
            print(f"{size} tables ...", flush=True)
            sizes.append(
                measure_size(
                    size,
                    Path(scratch),
                    counter,
                    questions=args.questions,
                    langchain_questions=args.langchain_questions,
                )
            )
    data = {
        "tokenizer": counter.description,
        "tokenizer_available": counter.available,
        "sizes": sizes,
        "retrieved_schema_max_tokens": sizes[-1]["ours"]["retrieved_schema_max_tokens"],
        "targets": {"max_tokens_at_1000_tables": TARGET_AT_1000},
    }
    write_results("prompt_tokens", data, markdown(data))


if __name__ == "__main__":
    main()
