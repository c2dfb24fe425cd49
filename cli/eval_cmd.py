"""`keskinube eval`: execution accuracy of the engine (and a baseline) on a question set.

    keskinube eval --set bench/golden/demo.jsonl
    keskinube eval --set spider_dev_schema_linking.jsonl \\
        --db 'mysql+pymysql://root@127.0.0.1:3306/{db}' --baseline langchain --limit 100

Prints a table per question, the score with the rule used, breakdowns by difficulty and
tag; writes the JSON report (default bench/results/eval-<timestamp>.json) and, when
MLFLOW_TRACKING_URI is set, an MLflow run.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cli.tooling import require_tooling

if TYPE_CHECKING:
    from backend.adapters.ollama import OllamaHealth
    from backend.config import Settings
    from evaluation.runner import EvalOptions, EvalResults
    from evaluation.sets import Selected


def register(subparsers: Any) -> None:
    """Add the `eval` sub-command."""
    parser = subparsers.add_parser(
        "eval",
        help="score the engine on a golden question set (execution accuracy)",
        description="Ask every question of a set through the full engine, run the gold SQL, "
        "and compare the results (execution accuracy).",
    )
    parser.add_argument(
        "--set",
        dest="set_path",
        type=Path,
        required=True,
        metavar="FILE",
        help="question set: our JSONL, or Spider-style JSON/JSONL",
    )
    parser.add_argument(
        "--db",
        metavar="URL_OR_TEMPLATE",
        help="business database URL, or a template with {db} filled from each "
        "question's db/db_id (default: DATABASE_URL)",
    )
    parser.add_argument("--model", help="Ollama chat model (default: OLLAMA_MODEL)")
    parser.add_argument("--limit", type=_positive, help="only the first N questions")
    parser.add_argument(
        "--tags",
        action="append",
        default=[],
        metavar="TAG[,TAG]",
        help="only questions with any of these tags (repeatable)",
    )
    parser.add_argument("--k", type=_positive, help="tables retrieved per question")
    parser.add_argument(
        "--schema-mode",
        choices=("auto", "retrieve", "full"),
        help="schema in the prompt: retrieved subset, whole schema, or auto",
    )
    parser.add_argument(
        "--baseline",
        choices=("langchain",),
        help="also run LangChain's create_sql_query_chain, side by side",
    )
    parser.add_argument("--gold-field", help="field holding the gold SQL (default: auto)")
    parser.add_argument(
        "--row-limit",
        type=_positive,
        default=10_000,
        help="most rows fetched per query, gold and predicted (default 10000)",
    )
    parser.add_argument(
        "--no-rounding",
        action="store_true",
        help="do not accept numbers rounded to 1-4 decimals as equal",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="FILE.json",
        help="JSON report (default bench/results/eval-<timestamp>.json)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(handler=handle)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def handle(args: argparse.Namespace) -> int:
    """Run the evaluation; returns the exit status."""
    require_tooling("evaluation", command="eval")
    from backend.config import get_settings
    from backend.dialects import MYSQL, dialect_for_url
    from backend.errors import KeskinubeError
    from evaluation import sets
    from evaluation.provenance import run_record
    from evaluation.runner import EvalOptions

    settings = _settings(get_settings(), args)
    template = args.db or settings.business_database_url
    probe = template.replace("{db_id}", "db").replace("{db}", "db")
    gold_set = sets.load_set(
        args.set_path, gold_field=args.gold_field, mysql=dialect_for_url(probe) == MYSQL
    )
    tags = [tag.strip() for value in args.tags for tag in value.split(",") if tag.strip()]
    selected = sets.select(gold_set.questions, tags=tags, limit=args.limit)
    if not any(item.scored for item in selected):
        raise KeskinubeError(f"no question in {args.set_path} has the tags {', '.join(tags)}")
    health = _check_model(settings)
    if args.baseline:
        _check_baseline()
    options = EvalOptions(
        database=template,
        schema_mode=args.schema_mode,
        rounding=not args.no_rounding,
        baseline=args.baseline == "langchain",
    )
    started = datetime.now(UTC)
    clock = time.perf_counter()
    results = _run(selected, settings, options, quiet=args.no_progress)
    timing = {
        "started_at": started.isoformat(timespec="seconds"),
        "duration_s": round(time.perf_counter() - clock, 2),
    }
    meta = run_record(
        gold_set=gold_set,
        selection={"selected": len(selected), "tags": tags, "limit": args.limit},
        settings=settings,
        options=options,
        engine_config=results.engine_config,
        health=health,
        timing=timing,
    )
    return _finish(meta, results, args.baseline, args.out, settings.mlflow_tracking_uri)


def _settings(base: Settings, args: argparse.Namespace) -> Settings:
    update: dict[str, Any] = {"row_limit": args.row_limit}
    if args.model:
        update["ollama_model"] = args.model
    if args.k:
        update["retrieval_k"] = args.k
    return base.model_copy(update=update)


def _check_model(settings: Settings) -> OllamaHealth:
    """Fail fast, before any question, when Ollama or the chat model is missing."""
    from backend.adapters.ollama import check_ollama
    from backend.errors import ModelUnavailable

    health = check_ollama(
        base_url=settings.ollama_base_url,
        models=[settings.ollama_model, settings.ollama_embed_model],
    )
    if not health.reachable or not health.models.get(settings.ollama_model):
        raise ModelUnavailable(health.message or f"{settings.ollama_model} is not available")
    return health


def _check_baseline() -> None:
    from backend.errors import KeskinubeError
    from evaluation.baseline_langchain import available

    missing = available()
    if missing:
        raise KeskinubeError(missing)


def _run(
    selected: list[Selected], settings: Settings, options: EvalOptions, *, quiet: bool
) -> EvalResults:
    from tqdm import tqdm

    from evaluation.records import QuestionRecord
    from evaluation.runner import run_evaluation

    total = len(selected)
    bar = tqdm(total=total, unit="question", disable=quiet or not sys.stderr.isatty())
    done = 0

    def progress(record: QuestionRecord) -> None:
        nonlocal done
        done += 1
        if bar.disable and not quiet:  # a log, not a terminal: one line per question
            engine = record.engine
            verdict = "correct" if engine is not None and engine.correct else "wrong"
            seconds = engine.latency_s if engine is not None else 0.0
            status = record.skipped or record.gold_error or verdict
            print(
                f"[{done}/{total}] {record.question.id}: {status} ({seconds:.1f} s)",
                file=sys.stderr,
                flush=True,
            )
        bar.update()

    try:
        return run_evaluation(selected, settings, options, progress=progress)
    finally:
        bar.close()


def _finish(
    meta: dict[str, Any],
    results: EvalResults,
    baseline: str | None,
    out: Path | None,
    tracking_uri: str | None,
) -> int:
    from evaluation.records import EvalRun
    from evaluation.report import build_report, default_path, render, write_report

    report = build_report(EvalRun(meta, results.records, baseline))
    print(render(report))
    path = write_report(report, out or default_path())
    print(f"\nwrote {path}")
    if tracking_uri:  # MLFLOW_TRACKING_URI; MLflow stays an optional extra
        from evaluation.tracking import log_to_mlflow

        try:
            run_id = log_to_mlflow(report, tracking_uri=tracking_uri)
        except RuntimeError as exc:
            print(f"keskinube: {exc}", file=sys.stderr)
        else:
            print(f"MLflow run {run_id} at {tracking_uri}")
    return 0
