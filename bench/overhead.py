"""Pipeline overhead: everything but the model, ours versus LangChain's SQL chain.

On the demo database (SQLite, ~5k orders) and synthetic 200- and 1,000-table schemas,
each question goes through `Engine.ask` (production wiring: embedded Qdrant in memory,
hybrid retrieval with the scripted server's hash embeddings, answer cache, guard,
read-only execution) and through `create_sql_query_chain` + `SQLDatabase.run`. The
model is the instant scripted Ollama server; its time is subtracted on both sides.

Every question is distinct, so the answer cache is looked up (and filled) but never hit;
answers served from the cache would be left out and counted. LangChain (which has no
cache) is asked the first of the same questions; the two take turns question by question,
so a passing load on the machine weighs on both. Targets (issue 3): p50 ≤ 50 ms at 200
tables, and ≥ 10× below LangChain's.

    python -m bench overhead [--questions 60] [--langchain-questions 30] [--quick]
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from backend.engine_config import SchemaMode
from bench.common import md_table, quiet_logs, stopwatch, summarise_ms, write_results
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
from demo_data import build_demo_database

WARMUP = 3
TARGET_P50_MS_200 = 50.0
TARGET_RATIO = 10.0


def _stats(runs: list[Measured]) -> dict[str, Any]:
    counted = [r for r in runs if not r.cached]
    stages: dict[str, Any] = {}
    for stage in ("cache", "retrieve", "check", "execute"):
        values = [r.stages[stage] for r in counted if stage in r.stages]
        stages[stage] = summarise_ms(values)
    return {
        "overhead": summarise_ms([r.overhead_s for r in counted]),
        "wall": summarise_ms([r.wall_s for r in counted]),
        "model": summarise_ms([r.model_s for r in counted]),
        "stages": stages,
        "ok": sum(r.ok for r in counted),
        "cache_hits_excluded": len(runs) - len(counted),
        "modes": dict(Counter(r.mode or "-" for r in counted)),
        "errors": sorted({r.error for r in counted if r.error})[:5],
    }


def measure_dataset(
    label: str,
    url: str,
    data_dir: Path,
    *,
    questions: int,
    langchain_questions: int,
    modes: tuple[SchemaMode, ...] = ("auto",),
) -> dict[str, Any]:
    """Ours (once per schema mode, each on fresh questions) and LangChain, on one database.

    The two pipelines take turns question by question, so that a load on the (shared)
    machine that comes and goes weighs on both alike and the ratio stays meaningful.
    """
    script = SqlScript()
    server = scripted_server(script)
    try:
        with stopwatch() as index_time:
            services = keskinube(url, server, data_dir)
        tables = list(services.engine.tables().values())
        per_mode = WARMUP + questions
        pool = questions_for(tables, per_mode * len(modes))
        script.add(pool)
        result: dict[str, Any] = {
            "dataset": label,
            "tables": len(tables),
            "index_s": round(index_time[0], 2),
            "questions_available": len(pool),
        }
        lc = langchain_side(url, server)
        lc_pool = pool[: WARMUP + langchain_questions]  # the same questions ours answered
        chunks = {m: pool[n * per_mode : (n + 1) * per_mode] for n, m in enumerate(modes)}
        ours_runs: dict[str, list[Measured]] = {mode: [] for mode in modes}
        lc_runs: list[Measured] = []
        for turn in range(max(per_mode, len(lc_pool))):
            for mode in modes:
                if turn < per_mode:
                    services.engine.config = replace(services.engine.config, schema_mode=mode)
                    ours_runs[mode].append(ask_ours(services, server, chunks[mode][turn].text))
            if turn < len(lc_pool):
                lc_runs.append(ask_langchain(lc, server, lc_pool[turn].text))
        result["ours"] = {
            mode: {
                **_stats(runs[WARMUP:]),
                "cold_first_ms": round(runs[0].wall_s * 1000, 1),
            }
            for mode, runs in ours_runs.items()
        }
        result["langchain"] = {
            **_stats(lc_runs[WARMUP:]),
            "setup_s": round(lc.setup_s, 2),
            "cold_first_ms": round(lc_runs[0].wall_s * 1000, 1),
        }
        services.close()
        lc.db._engine.dispose()
        return result
    finally:
        server.stop()


def _ratio(result: dict[str, Any], mode: str) -> float:
    ours = result["ours"][mode]["overhead"].get("p50_ms") or float("nan")
    theirs = result["langchain"]["overhead"].get("p50_ms") or float("nan")
    return round(theirs / ours, 1) if ours else float("nan")


def run(
    *, questions: int, langchain_questions: int, sizes: tuple[int, ...], demo_orders: int
) -> dict[str, Any]:
    results = []
    with scratch_dir() as scratch:
        root = Path(scratch)
        demo = root / "demo.sqlite"
        build_demo_database(f"sqlite:///{demo}", orders=demo_orders, replace=True)
        print(f"demo database: {demo_orders} orders", flush=True)
        results.append(
            measure_dataset(
                "demo",
                f"sqlite:///{demo}",
                root / "demo-data",
                questions=questions,
                langchain_questions=langchain_questions,
                modes=("auto", "full"),
            )
        )
        for size in sizes:
            path = root / f"synthetic_{size}.sqlite"
            build_schema(path, size)
            print(f"synthetic schema: {size} tables", flush=True)
            lc_n = langchain_questions if size <= 200 else max(5, langchain_questions // 3)
            results.append(
                measure_dataset(
                    f"synthetic {size} tables",
                    f"sqlite:///{path}",
                    root / f"data-{size}",
                    questions=questions,
                    langchain_questions=lc_n,
                )
            )
    return {"datasets": results}


def markdown(data: dict[str, Any]) -> str:
    rows = []
    for result in data["datasets"]:
        for mode, ours in result["ours"].items():
            rows.append(
                [
                    result["dataset"],
                    result["tables"],
                    f"ours ({mode})",
                    ", ".join(f"{k} {v}" for k, v in ours["modes"].items()),
                    ours["overhead"]["n"],
                    ours["overhead"]["p50_ms"],
                    ours["overhead"]["p95_ms"],
                    ours["wall"]["p50_ms"],
                    ours["model"]["p50_ms"],
                    f"{_ratio(result, mode)}×",
                ]
            )
        lc = result["langchain"]
        rows.append(
            [
                result["dataset"],
                result["tables"],
                "LangChain",
                "all tables",
                lc["overhead"]["n"],
                lc["overhead"]["p50_ms"],
                lc["overhead"]["p95_ms"],
                lc["wall"]["p50_ms"],
                lc["model"]["p50_ms"],
                "1×",
            ]
        )
    table = md_table(
        [
            "dataset",
            "tables",
            "pipeline",
            "schema mode",
            "n",
            "overhead p50 ms",
            "overhead p95 ms",
            "wall p50 ms",
            "model p50 ms",
            "LangChain/ours (p50)",
        ],
        rows,
    )
    stage_rows = []
    for result in data["datasets"]:
        for mode, ours in result["ours"].items():
            stages = ours["stages"]
            stage_rows.append(
                [result["dataset"], mode]
                + [stages[s].get("p50_ms", "-") for s in ("cache", "retrieve", "check", "execute")]
                + [ours["cache_hits_excluded"], ours["ok"], ours["cold_first_ms"]]
            )
    stages_md = md_table(
        [
            "dataset",
            "mode",
            "cache p50",
            "retrieve p50",
            "check p50",
            "execute p50",
            "cache hits (excluded)",
            "answers ok",
            "first question ms",
        ],
        stage_rows,
    )
    return (
        "# Pipeline overhead (everything but the model)\n\n"
        "Instant scripted Ollama-protocol model (same server for both pipelines); overhead = "
        "wall time per question − time inside the chat-model call. Ours: production wiring, "
        "embedded Qdrant (:memory:), hash embeddings over HTTP, answer cache on (never hit: "
        "distinct questions). LangChain: `create_sql_query_chain` over "
        "`SQLDatabase.from_uri` + `db.run`. The pipelines take turns question by question "
        f"(a passing load weighs on both). Warm figures (first {WARMUP} questions of each run "
        "discarded). Absolute times depend on the machine's load (see the JSON's "
        "`load_average_1_5_15`); compare the ratio.\n\n"
        + table
        + "\n\nOur stages (ms):\n\n"
        + stages_md
        + "\n"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench overhead", description=__doc__)
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--langchain-questions", type=int, default=30)
    parser.add_argument("--demo-orders", type=int, default=5000)
    parser.add_argument("--quick", action="store_true", help="200 tables only, fewer questions")
    args = parser.parse_args(argv)
    quiet_logs()
    sizes = (200,) if args.quick else (200, 1000)
    n = 15 if args.quick else args.questions
    lc_n = 8 if args.quick else args.langchain_questions
    data = run(questions=n, langchain_questions=lc_n, sizes=sizes, demo_orders=args.demo_orders)
    data["targets"] = {
        "p50_ms_at_200_tables": TARGET_P50_MS_200,
        "times_below_langchain": TARGET_RATIO,
    }
    write_results("overhead", data, markdown(data))


if __name__ == "__main__":
    main()
