"""Real-model benchmark: schema modes `retrieve` vs `full`, and LangChain's chain (issues 7, 8).

Runs the demo golden set (bench/golden/demo.jsonl) through `evaluation` — the code
behind `keskinube eval` — with the real model, once per schema mode, and LangChain's
`create_sql_query_chain` once (in the `full` run, after the engine's pass). A recording
pass-through (`bench.chat_recorder`) sits between them and the Ollama API, so every
prompt is kept and its tokens counted afterwards: full prompt, evaluated, served from the
server's prompt cache, and shared with the previous prompt.

    eval "$(../shared/llm/start.sh)"
    mysql -uroot -h127.0.0.1 -e 'CREATE DATABASE kkbench_demo'
    keskinube demo-db --url mysql+pymysql://root@127.0.0.1:3306/kkbench_demo --orders 5000
    DATABASE_URL=mysql+pymysql://root@127.0.0.1:3306/kkbench_demo \\
        .venv/bin/python -m bench model_modes --every 4  # 19 questions: ~35 min on 2 cores

Writes bench/results/model_modes.{json,md} and the `keskinube eval` reports
bench/results/eval-demo-<mode>.json (the LangChain baseline inside eval-demo-full.json).
Experiments (engine config changed inside this process only, results suffixed with their
name): `--examples-k N` / `--notes-k N` set the few-shot examples / business notes retrieved
per prompt (fields of `EngineConfig` with no setting); `--stable-context 0` turns off the
stable context (`STABLE_CONTEXT_MAX_TOKENS`: with the whole schema, every note and example
follows it in the cached system message) and retrieves notes and examples per question.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import statistics
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.chat_recorder import ChatCall, ChatRecorder, LlamaTokenizer, account_tokens
from bench.common import REPO_ROOT, RESULTS_DIR, quiet_logs, write_results

DEFAULT_SET = Path(__file__).resolve().parent / "golden" / "demo.jsonl"
LLAMA_URL = "http://127.0.0.1:18090"
BASELINE = "langchain"


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench model_modes",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--set", dest="set_path", type=Path, default=DEFAULT_SET)
    parser.add_argument("--db", help="business database URL (default: DATABASE_URL)")
    parser.add_argument("--limit", type=int, help="only the first N questions")
    parser.add_argument(
        "--every",
        type=int,
        metavar="N",
        help="only every Nth question (d01, d04, ... for 3): a subset that keeps "
        "the set's mix of difficulties, which is ordered easy to hard",
    )
    parser.add_argument("--modes", default="retrieve,full", help="schema modes, in run order")
    parser.add_argument("--no-baseline", action="store_true", help="skip LangChain's chain")
    parser.add_argument("--examples-k", type=int, help="experiment: few-shot examples per prompt")
    parser.add_argument("--notes-k", type=int, help="experiment: business notes per prompt")
    parser.add_argument(
        "--stable-context",
        type=int,
        metavar="TOKENS",
        help="experiment: STABLE_CONTEXT_MAX_TOKENS (0: notes and examples retrieved per "
        "question, the layout before it)",
    )
    parser.add_argument("--llama-url", default=LLAMA_URL, help="llama.cpp server (tokenizer)")
    parser.add_argument("--name", default="model_modes", help="results name")
    parser.add_argument(
        "--calls-dir",
        type=Path,
        default=Path("/tmp/kkbench-calls"),
        help="where each run's raw chat calls (prompts included) are kept",
    )
    parser.add_argument(
        "--calibrate",
        type=int,
        default=5,
        metavar="N",
        help="re-time N warm prompts of each run at the end for the projection (0: none)",
    )
    parser.add_argument(
        "--resummarise",
        action="store_true",
        help="no model runs: rebuild the figures from the kept calls and reports",
    )
    return parser.parse_args(list(argv))


def main(argv: Sequence[str]) -> None:
    args = parse(argv)
    quiet_logs()
    from backend.config import get_settings

    settings = get_settings().model_copy(update={"row_limit": 10_000})
    database = args.db or settings.business_database_url
    tokenizer = LlamaTokenizer(args.llama_url)
    if not tokenizer.available():
        raise SystemExit(f"no llama.cpp tokenizer at {args.llama_url}: start ../shared/llm")
    suffix = _suffix(args)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    machine = _machine_now()
    runs = []
    if args.resummarise:
        runs = [_reload(args, mode, suffix) for mode in modes]
    else:
        with ChatRecorder(settings.ollama_base_url) as recorder:
            # No warm-up: the first question after the slot is flushed is the cold one measured.
            update = {"ollama_base_url": recorder.url, "ollama_warm_up": False}
            proxied = settings.model_copy(update=update)
            for mode in modes:
                baseline = not args.no_baseline and mode == "full"
                run = _run_mode(
                    args, proxied, settings, database, mode, baseline, recorder, tokenizer, suffix
                )
                _keep(args, run)
                runs.append(run)
    for run in runs:  # counting afterwards: the tokenizer must not slow the runs
        account_tokens(run["calls"], tokenizer)
        calibrated = calibrate(tokenizer, run, args.calibrate) if args.calibrate else {}
        run["rates"] = calibrated or run_rates(run)
    systems = [summarise(run, side, label) for run, side, label in _sides(runs)]
    common = set.intersection(*(_counted(run) for run in runs)) if runs else set()
    if any(_counted(run) != common for run in runs):  # runs over different subsets
        systems += [
            summarise(run, side, f"{label} (common {len(common)})", only=common)
            for run, side, label in _sides(runs)
        ]
    data = {
        "set": str(args.set_path),
        "database": _shown(database),
        "database_label": _database_label(database),
        "experiment": {
            "examples_k": args.examples_k,
            "notes_k": args.notes_k,
            "stable_context_max_tokens": args.stable_context,
        }
        if suffix
        else None,
        "ollama_timeout_s": _run_timeout(runs, settings.ollama_timeout_s),
        "model": runs[0]["report"]["meta"]["model"] if runs else None,
        "machine": machine,
        "runs": [_run_facts(run) for run in runs],
        "method": METHOD,
        "systems": systems,
        "questions": {run["label"]: _question_rows(run) for run in runs},
        "reports": {run["label"]: str(run["path"].relative_to(REPO_ROOT)) for run in runs},
    }
    write_results(args.name + suffix, data, render(data))


def _sides(runs: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str, str]]:
    found = []
    for run in runs:
        found.append((run, "engine", run["label"]))
        if run["baseline"]:
            found.append((run, "baseline", BASELINE))
    return found


def _counted(run: dict[str, Any]) -> set[str]:
    return {q["id"] for q in run["report"]["questions"] if q["counted"]}


def _run_facts(run: dict[str, Any]) -> dict[str, Any]:
    """When a run ran, for how long, how loaded the machine was, and the calibrated speeds."""
    meta = run["report"]["meta"]
    loads = [c.load_1m for c in run["calls"]]
    return {
        "label": run["label"],
        "questions_selected": meta["set"]["selected"],
        "started_at": meta["started_at"],
        "duration_s": meta["duration_s"],
        "load_1m_at_calls": {
            "min": round(min(loads), 2) if loads else None,
            "median": _median(loads),
            "max": round(max(loads), 2) if loads else None,
        },
        "sources": run.get("sources"),
        "speeds": run.get("rates"),
    }


METHOD = (
    "Each run: the llama.cpp slot is first filled with an unrelated prompt (its RAM cache "
    "of older prompts may still serve the first question: see the projected cold column); "
    "then every question in set order through evaluation.runner (answer cache off, "
    "temperature 0, seed 0). LangChain's chain runs after the engine's pass of the `full` "
    "run. Seconds per question: the engine's whole ask() (retrieval, model calls incl. "
    "retries, guard, execution); the baseline's chain call plus execution. Warm = every "
    "question after the first; p90 nearest-rank. Prompt tokens: the chat template rendered "
    "and tokenized by the server (Qwen2.5), first call of each question; evaluated = "
    "Ollama's prompt_eval_count summed over a question's calls; cached = full - evaluated; "
    "'1-slot reusable' = the prefix shared with the previous prompt and reply."
)


def _run_mode(
    args: argparse.Namespace,
    proxied: Any,
    settings: Any,
    database: str,
    mode: str,
    baseline: bool,
    recorder: ChatRecorder,
    tokenizer: LlamaTokenizer,
    suffix: str,
) -> dict[str, Any]:

    from backend.dialects import dialect_for_url
    from cli.eval_cmd import _check_model
    from evaluation import runner, sets
    from evaluation.provenance import run_record
    from evaluation.records import EvalRun, QuestionRecord
    from evaluation.report import build_report, render, write_report

    gold_set = sets.load_set(args.set_path, dialect=dialect_for_url(database))
    selected = _select(gold_set.questions, limit=args.limit, every=args.every)
    health = _check_model(settings)
    options = runner.EvalOptions(database=database, schema_mode=mode, baseline=baseline)
    loads: dict[str, float] = {}
    total = len(selected) * (2 if baseline else 1)

    def progress(record: QuestionRecord) -> None:
        loads[record.question.id] = os.getloadavg()[0]
        engine = record.engine
        verdict = "ok" if engine is not None and engine.correct else "wrong"
        secs = engine.latency_s if engine is not None else 0.0
        print(
            f"[{mode}{suffix} {len(loads)}/{len(selected)}] {record.question.id} {verdict} "
            f"{secs:.1f}s load {loads[record.question.id]:.2f}",
            flush=True,
        )

    sources = source_fingerprint()
    flushed = tokenizer.flush_slot()
    start = len(recorder.calls)
    started = datetime.now(UTC)
    clock = time.perf_counter()
    with _experiment(runner, args):
        results = runner.run_evaluation(selected, proxied, options, progress=progress)
    timing = {
        "started_at": started.isoformat(timespec="seconds"),
        "duration_s": round(time.perf_counter() - clock, 2),
    }
    meta = run_record(
        gold_set=gold_set,
        selection={"selected": len(selected), "tags": [], "limit": args.limit, "every": args.every},
        settings=settings,
        options=options,
        engine_config=results.engine_config,
        health=health,
        timing=timing,
    )
    report = build_report(EvalRun(meta, results.records, BASELINE if baseline else None))
    label = f"{mode}{suffix}"
    path = write_report(report, report_path(args.name, label))
    print(render(report), flush=True)
    print(f"wrote {path} ({total} answers)", flush=True)
    return {
        "mode": mode,
        "label": label,
        "baseline": baseline,
        "report": report,
        "path": path,
        "calls": recorder.since(start),
        "loads": loads,
        "flushed": flushed,
        "sources": sources,
        "timeout_s": settings.ollama_timeout_s,
    }


def _keep(args: argparse.Namespace, run: dict[str, Any]) -> None:
    """The raw calls of a run, prompts and replies included (too big for bench/results)."""
    args.calls_dir.mkdir(parents=True, exist_ok=True)
    calls = [{**asdict(c), "tokens": {}} for c in run["calls"]]
    keys = ("loads", "baseline", "mode", "flushed", "sources", "timeout_s")
    extra = {key: run.get(key) for key in keys}
    path = args.calls_dir / f"{args.name}-{run['label']}.json"
    path.write_text(json.dumps({"calls": calls, **extra}) + "\n", encoding="utf-8")


def _reload(args: argparse.Namespace, mode: str, suffix: str) -> dict[str, Any]:
    label = f"{mode}{suffix}"
    kept = json.loads((args.calls_dir / f"{args.name}-{label}.json").read_text())
    path = report_path(args.name, label)
    return {
        "mode": kept["mode"],
        "label": label,
        "baseline": kept["baseline"],
        "report": json.loads(path.read_text()),
        "path": path,
        "calls": [ChatCall(**c) for c in kept["calls"]],
        "loads": kept["loads"],
        "flushed": kept.get("flushed"),
        "sources": kept.get("sources"),
        "timeout_s": kept.get("timeout_s"),
    }


def _select(questions: Sequence[Any], *, limit: int | None, every: int | None) -> list[Any]:
    """`sets.select`, or every Nth question with its follow-up context (unscored)."""
    from evaluation import sets

    if every is None:
        return sets.select(questions, limit=limit)
    picked = {q.id for q in questions[::every][:limit]}
    by_id = {q.id: q for q in questions}
    needed = set(picked)
    for q in questions:
        if q.id in picked:
            needed.update(a.id for a in sets.ancestors(q, by_id))
    return [sets.Selected(q, q.id in picked) for q in questions if q.id in needed]


def report_path(name: str, label: str) -> Path:
    """bench/results/eval-demo-<mode>.json for the default name, else eval-<name>-<mode>."""
    stem = "demo" if name == "model_modes" else name
    return RESULTS_DIR / f"eval-{stem}-{label}.json"


def _suffix(args: argparse.Namespace) -> str:
    parts = [f"-stable{args.stable_context}"] if args.stable_context is not None else []
    if args.examples_k is not None:
        parts.append(f"-examples{args.examples_k}")
    if args.notes_k is not None:
        parts.append(f"-notes{args.notes_k}")
    return "".join(parts)


@contextmanager
def _experiment(runner: Any, args: argparse.Namespace) -> Iterator[None]:
    """Experiments only: engine config fields, for this process."""
    original_build = runner.build_services
    changes = {
        "examples_k": args.examples_k,
        "notes_k": args.notes_k,
        "stable_context_max_tokens": args.stable_context,
    }
    changes = {key: value for key, value in changes.items() if value is not None}

    def build(*a: Any, **kw: Any) -> Any:
        services = original_build(*a, **kw)
        services.engine.config = replace(services.engine.config, **changes)
        return services

    runner.build_services = build
    try:
        yield
    finally:
        runner.build_services = original_build


SOURCES = (
    "backend/pipeline.py",
    "backend/context_builder.py",
    "backend/table_retrieval.py",
    "backend/engine_config.py",
    "backend/prompts.py",
    "backend/schema_render.py",
    "backend/schema_view.py",
    "backend/schema_budget.py",
    "backend/join_paths.py",
    "wiring/services.py",
    "vectorstore/store.py",
    "vectorstore/collection.py",
)


def source_fingerprint() -> dict[str, str | None]:
    """sha256 (12 hex) of the engine files that shape prompts, as they were at the start.

    Other work changes the working tree while a long run goes on: this says which
    version of each file the run imported, committed or not.
    """
    found: dict[str, str | None] = {}
    for name in SOURCES:
        path = REPO_ROOT / name
        found[name] = hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.exists() else None
    return found


def _machine_now() -> dict[str, Any]:
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def _database_label(url: str) -> str:
    """`MariaDB/MySQL `kkbench_demo` (5,000 orders)`: what the figures were measured on."""
    import sqlalchemy as sa

    parsed = sa.make_url(url)
    kind = {"mysql": "MariaDB/MySQL", "sqlite": "SQLite"}.get(parsed.get_backend_name(), "")
    label = f"{kind} `{Path(parsed.database or '').stem}`".strip()
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            orders = conn.exec_driver_sql("SELECT COUNT(*) FROM orders").scalar_one()
        return f"{label} ({int(orders):,} orders)"
    except sa.exc.SQLAlchemyError:
        return label
    finally:
        engine.dispose()


def _run_timeout(runs: list[dict[str, Any]], current: float) -> float:
    """The model timeout the runs had (kept with their calls), else this process's."""
    kept = {run.get("timeout_s") for run in runs} - {None}
    return kept.pop() if len(kept) == 1 else current


def _shown(url: str) -> str:
    import sqlalchemy as sa

    return sa.make_url(url).render_as_string(hide_password=True)


# -- per-question calls and figures -------------------------------------------------------


def _asked(call: ChatCall) -> tuple[str, str]:
    """(system, question text) a chat call was for, read from its prompt."""
    users = [m["content"] for m in call.messages if m.get("role") == "user"]
    first = users[0] if users else ""
    if "\nSQLQuery:" in first:
        text = first.rsplit("\nSQLQuery:", 1)[0]
        text = (
            text.rsplit("Follow-up question: ", 1)[-1]
            if "Follow-up question: " in text
            else text.rsplit("Question: ", 1)[-1]
        )
        return "baseline", text.strip()
    return "engine", first.rsplit("Question: ", 1)[-1].strip()


def calls_by_question(run: dict[str, Any], side: str) -> dict[str, list[ChatCall]]:
    by_text = {q["question"]: q["id"] for q in run["report"]["questions"]}
    found: dict[str, list[ChatCall]] = {}
    for call in run["calls"]:
        system, text = _asked(call)
        if system == side and text in by_text:
            found.setdefault(by_text[text], []).append(call)
    return found


def summarise(
    run: dict[str, Any], side: str, label: str, only: set[str] | None = None
) -> dict[str, Any]:
    """One system's figures; `only`: restricted to these question ids (a common subset)."""
    calls = calls_by_question(run, side)
    counted = [
        q for q in run["report"]["questions"] if q["counted"] and (only is None or q["id"] in only)
    ]
    preds = [q if side == "engine" else (q.get("baseline") or {}) for q in counted]
    seconds = [p.get("latency_s", 0.0) for p in preds]
    per_q = [calls.get(q["id"], []) for q in counted]
    first_prompt = [c[0].tokens.get("prompt_tokens_full") or 0 for c in per_q if c]
    full = sum(c.tokens.get("prompt_tokens_full") or 0 for cs in per_q for c in cs)
    cached = sum(c.tokens.get("prompt_tokens_cached") or 0 for cs in per_q for c in cs)
    shared = sum(c.tokens.get("prefix_shared_with_previous") or 0 for cs in per_q for c in cs)
    evaluated = [sum(c.prompt_eval_count for c in cs) for cs in per_q]
    cold = _projected(preds[:1], per_q[:1], run["rates"], uncached=True)
    one_slot = _projected(preds, per_q, run["rates"], single_slot=True)
    correct = sum(bool(p.get("correct")) for p in preds)
    return {
        "system": label,
        "subset": sorted(only) if only is not None else None,
        "cold_slot_flushed": run.get("flushed"),
        "questions": len(preds),
        "correct": correct,
        "accuracy": round(correct / len(preds), 4) if preds else None,
        "valid_sql_rate": round(sum(bool(p.get("valid_sql")) for p in preds) / len(preds), 4)
        if preds
        else None,
        "retries": sum(p.get("retries", 0) for p in preds),
        "model_calls": sum(len(cs) for cs in per_q),
        "prompt_tokens_p50": _median(first_prompt),
        "prompt_tokens_max": max(first_prompt, default=None),
        "evaluated_tokens_per_question_p50": _median(evaluated),
        "evaluated_tokens_first_question": evaluated[0] if evaluated else None,
        "cached_fraction": round(cached / full, 3) if full else None,
        "single_slot_shared_fraction": round(shared / full, 3) if full else None,
        "completion_tokens_mean": _mean([sum(c.eval_count for c in cs) for cs in per_q]),
        "seconds_cold": round(seconds[0], 2) if seconds else None,
        "seconds_warm_median": _median(seconds[1:]),
        "seconds_warm_p90": _nearest_rank(seconds[1:], 0.9),
        "seconds_all_median": _median(seconds),
        "projected_cold_uncached": cold[0] if cold else None,
        "projected_warm_median_single_slot": _median(one_slot[1:]),
        "projected_warm_p90_single_slot": _nearest_rank(one_slot[1:], 0.9),
        "rates": run["rates"],
        "model_seconds_mean": _mean([sum(c.seconds for c in cs) for cs in per_q]),
        "queue_seconds_mean": _mean(
            [sum(max(0.0, c.seconds - c.prompt_eval_s - c.eval_s) for c in cs) for cs in per_q]
        ),
        "prompt_eval_seconds_mean": _mean([sum(c.prompt_eval_s for c in cs) for cs in per_q]),
        "generation_seconds_mean": _mean([sum(c.eval_s for c in cs) for cs in per_q]),
        "prompt_eval_tok_per_s": _rate(per_q, "prompt"),
        "generation_tok_per_s": _rate(per_q, "eval"),
        "load_1m_median": _median([cs[0].load_1m for cs in per_q if cs]),
        "load_1m_max": max((cs[0].load_1m for cs in per_q if cs), default=None),
        "diverges_at": dict(Counter(cs[0].tokens.get("diverges_at") for cs in per_q[1:] if cs)),
    }


def calibrate(tokenizer: LlamaTokenizer, run: dict[str, Any], count: int) -> dict[str, Any]:
    """The model's speeds on this run's own warm prompts, re-sent now straight to llama.cpp.

    Questions 2..count+1 of the engine side, in order (each one's prompt extends the
    previous one's cached prefix as in the run), generating as many tokens as the run did.
    Only a quiet machine gives the uncontended speeds: the load is recorded beside them.
    """
    calls = [cs[0] for cs in calls_by_question(run, "engine").values() if cs][: count + 1]
    if len(calls) < 2:
        return {}
    load = os.getloadavg()[0]
    timings = tokenizer.replay([c.messages for c in calls], [c.eval_count for c in calls])[1:]
    prompt_n = sum(t["prompt_n"] for t in timings)
    prompt_ms = sum(t["prompt_ms"] for t in timings)
    gen_n = sum(t["predicted_n"] for t in timings)
    gen_ms = sum(t["predicted_ms"] for t in timings)
    return {
        "questions": len(timings),
        "prompt_tok_per_s": round(1000 * prompt_n / prompt_ms, 1) if prompt_ms else None,
        "gen_tok_per_s": round(1000 * gen_n / gen_ms, 1) if gen_ms else None,
        "prompt_tokens_evaluated": prompt_n,
        "load_1m_before": round(load, 2),
        "load_1m_after": round(os.getloadavg()[0], 2),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def run_rates(run: dict[str, Any]) -> dict[str, Any]:
    """The model's speeds over the run's own calls (prompt evaluation, generation)."""
    calls = run["calls"]
    prompt_s = sum(c.prompt_eval_s for c in calls)
    gen_s = sum(c.eval_s for c in calls)
    return {
        "source": "the run's own calls",
        "prompt_tok_per_s": round(sum(c.prompt_eval_count for c in calls) / prompt_s, 1)
        if prompt_s
        else None,
        "gen_tok_per_s": round(sum(c.eval_count for c in calls) / gen_s, 1) if gen_s else None,
    }


def _projected(
    preds: list[dict[str, Any]],
    per_q: list[list[ChatCall]],
    rates: dict[str, Any],
    *,
    uncached: bool = False,
    single_slot: bool = False,
) -> list[float]:
    """Seconds per question recomputed from token counts at `rates`, other time as measured.

    `uncached`: the first call evaluates its whole prompt (a truly cold server; this
    llama.cpp may restore a prompt seen in an earlier run from its RAM cache).
    `single_slot`: each call evaluates all but the prefix it shares with the previous
    prompt and reply, as Ollama with one slot would (no RAM cache of older prompts).
    """
    prompt_rate, gen_rate = rates.get("prompt_tok_per_s"), rates.get("gen_tok_per_s")
    if not prompt_rate or not gen_rate:
        return []
    out = []
    for pred, cs in zip(preds, per_q, strict=True):
        other = max(0.0, float(pred.get("latency_s", 0.0)) - sum(c.seconds for c in cs))
        total = other
        for i, c in enumerate(cs):
            evaluated = c.prompt_eval_count
            full = c.tokens.get("prompt_tokens_full") or evaluated
            if uncached and i == 0:
                evaluated = full
            elif single_slot:
                evaluated = full - (c.tokens.get("prefix_shared_with_previous") or 0)
            total += evaluated / prompt_rate + c.eval_count / gen_rate
        out.append(round(total, 2))
    return out


def _question_rows(run: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for side in ("engine", "baseline") if run["baseline"] else ("engine",):
        calls = calls_by_question(run, side)
        for q in run["report"]["questions"]:
            p = q if side == "engine" else (q.get("baseline") or {})
            rows.append(
                {
                    "system": run["label"] if side == "engine" else BASELINE,
                    "id": q["id"],
                    "correct": p.get("correct"),
                    "valid_sql": p.get("valid_sql"),
                    "latency_s": p.get("latency_s"),
                    "retries": p.get("retries", 0),
                    "calls": [c.to_json() for c in calls.get(q["id"], [])],
                }
            )
    return rows


def _rate(per_q: list[list[ChatCall]], kind: str) -> float | None:
    if kind == "prompt":
        tokens = sum(c.prompt_eval_count for cs in per_q for c in cs)
        secs = sum(c.prompt_eval_s for cs in per_q for c in cs)
    else:
        tokens = sum(c.eval_count for cs in per_q for c in cs)
        secs = sum(c.eval_s for cs in per_q for c in cs)
    return round(tokens / secs, 1) if secs else None


def _median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def _nearest_rank(values: Sequence[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(fraction * len(ordered)) - 1)], 2)


# -- the table -----------------------------------------------------------------------------

COLUMNS = (
    ("system", "system"),
    ("accuracy", "exec. accuracy"),
    ("valid_sql_rate", "valid SQL"),
    ("prompt_tokens_p50", "prompt tok p50"),
    ("prompt_tokens_max", "max"),
    ("evaluated_tokens_per_question_p50", "evaluated tok/q p50"),
    ("cached_fraction", "cached"),
    ("single_slot_shared_fraction", "1-slot reusable"),
    ("seconds_cold", "cold s"),
    ("seconds_warm_median", "warm median s"),
    ("seconds_warm_p90", "warm p90 s"),
    ("projected_cold_uncached", "cold s, nothing cached*"),
    ("projected_warm_median_single_slot", "warm median s, 1-slot server*"),
    ("load_1m_median", "load 1m"),
)
PERCENT = {"accuracy", "valid_sql_rate", "cached_fraction", "single_slot_shared_fraction"}


def render(data: dict[str, Any]) -> str:
    model, machine = data.get("model") or {}, data["machine"]
    lines = [
        f"# Schema modes and LangChain with the real model ({model.get('name')})",
        "",
        f"Set `{Path(data['set']).name}`; database {data['database_label']}; embeddings "
        f"`{model.get('embed_model')}`; {machine['nproc']} CPUs ({machine['cpu']}), shared "
        "with other jobs; model server timeout "
        f"{data['ollama_timeout_s']:.0f} s. Experiment: {data['experiment'] or 'none'}.",
        "",
        "| " + " | ".join(title for _, title in COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for system in data["systems"]:
        cells = []
        for key, _ in COLUMNS:
            value = system.get(key)
            if key in PERCENT and value is not None:
                value = f"{100 * value:.1f}%"
            if key == "accuracy":
                value = f"{system['correct']}/{system['questions']} = {value}"
            cells.append("-" if value is None else str(value))
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "| run | questions | started (UTC) | minutes | load 1m min/median/max | "
        "model speed: prompt / generation tok/s |",
        "|---|---|---|---|---|---|",
    ]
    for run in data["runs"]:
        load, cal = run["load_1m_at_calls"], run.get("speeds") or {}
        rates = f"{cal.get('prompt_tok_per_s')} / {cal.get('gen_tok_per_s')}" if cal else "-"
        lines.append(
            f"| {run['label']} | {run['questions_selected']} | {run['started_at']} | "
            f"{run['duration_s'] / 60:.0f} | {load['min']} / {load['median']} / "
            f"{load['max']} | {rates} |"
        )
    lines += [
        "",
        "\\* projected from the token counts at the run's measured speeds (below), other "
        "time as measured: the first question with its whole prompt evaluated; every "
        "question evaluating all but what it shares with the previous prompt (Ollama with "
        "one slot, no RAM cache of older prompts).",
        "",
        f"Method: {data['method']}",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
