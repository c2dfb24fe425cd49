"""`keskinube eval`: execution accuracy of the engine (and a baseline) on a question set.

    keskinube eval --set bench/golden/demo.jsonl
    keskinube eval --set spider_dev_schema_linking.jsonl \\
        --db 'mysql+pymysql://root@127.0.0.1:3306/{db}' --baseline langchain --limit 100
    keskinube eval --compare 3

Prints a table per question, the score with the rule used, breakdowns by difficulty and
tag; writes the JSON report (default bench/results/eval-<timestamp>.json) and logs the run
to MLflow (`evaluation.tracking`: MLFLOW_TRACKING_URI, else a local store in
`<data_dir>/mlruns`). `--compare [N]` prints the last N tracked runs side by side.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cli.tooling import require_tooling

if TYPE_CHECKING:
    from backend.adapters.ollama import OllamaHealth
    from backend.config import Settings
    from evaluation.journal import Journal
    from evaluation.records import QuestionRecord
    from evaluation.runner import EvalOptions
    from evaluation.sets import GoldSet, Selected
    from evaluation.tracking import Store


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
        metavar="FILE",
        help="question set: our JSONL, or Spider-style JSON/JSONL (needed unless --compare)",
    )
    parser.add_argument(
        "--compare",
        nargs="?",
        const=5,
        type=_positive,
        metavar="N",
        help="print the last N tracked runs side by side (default 5) instead of evaluating",
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
    parser.add_argument(
        "--ids",
        action="append",
        default=[],
        metavar="ID[,ID]",
        help="only the questions with these ids (repeatable)",
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
    parser.add_argument(
        "--journal",
        type=Path,
        metavar="FILE.jsonl",
        help="write each question's record to FILE as soon as it is final, and skip the "
        "questions FILE already holds: a stopped run goes on where it stopped",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--no-track", action="store_true", help="do not log the run to MLflow (report file only)"
    )
    parser.set_defaults(handler=handle)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def handle(args: argparse.Namespace) -> int:
    """Run the evaluation, or compare tracked runs; returns the exit status."""
    require_tooling("evaluation", command="eval")
    from backend.config import get_settings
    from backend.errors import KeskinubeError

    settings = _settings(get_settings(), args)
    if args.compare is not None:
        return _compare(settings, args.compare)
    if args.set_path is None:
        raise KeskinubeError("keskinube eval needs --set FILE (or --compare to read runs)")
    return _evaluate(settings, args)


def _evaluate(settings: Settings, args: argparse.Namespace) -> int:
    from backend.dialects import dialect_for_url
    from backend.errors import KeskinubeError
    from evaluation import sets
    from evaluation.runner import EvalOptions

    template = args.db or settings.business_database_url
    probe = template.replace("{db_id}", "db").replace("{db}", "db")
    gold_set = sets.load_set(
        args.set_path, gold_field=args.gold_field, dialect=dialect_for_url(probe)
    )
    tags, ids = _listed(args.tags), _listed(args.ids)
    selected = sets.select(gold_set.questions, tags=tags, limit=args.limit, ids=ids)
    if not any(item.scored for item in selected):
        wanted = ", ".join([*(f"tag {t}" for t in tags), *(f"id {i}" for i in ids)])
        raise KeskinubeError(f"no question in {args.set_path} matches {wanted}")
    health = _check_model(settings)
    if args.baseline:
        _check_baseline()
    options = EvalOptions(
        database=template,
        schema_mode=args.schema_mode,
        rounding=not args.no_rounding,
        baseline=args.baseline == "langchain",
    )
    selection = {"tags": tags, "ids": ids, "limit": args.limit}
    journal = _journal(args.journal, gold_set, settings, options, health)
    done = journal.resume({s.question.id: s.question for s in selected}) if journal else {}
    if done:
        print(f"{len(done)} of {len(selected)} questions taken from {args.journal}")
    report = _run(
        gold_set, selected, settings, options, health, selection, args.no_progress, journal, done
    )
    return _finish(report, args.out, None if args.no_track else _store(settings))


def _listed(values: list[str]) -> list[str]:
    """`--tags a,b --tags c` → [a, b, c]."""
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


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


def _journal(
    path: Path | None,
    gold_set: GoldSet,
    settings: Settings,
    options: EvalOptions,
    health: OllamaHealth,
) -> Journal | None:
    if path is None:
        return None
    from evaluation.journal import Journal
    from evaluation.provenance import run_identity

    identity = run_identity(gold_set=gold_set, settings=settings, options=options, health=health)
    return Journal(path, identity)


def _run(
    gold_set: GoldSet,
    selected: list[Selected],
    settings: Settings,
    options: EvalOptions,
    health: OllamaHealth,
    selection: dict[str, Any],
    quiet: bool,
    journal: Journal | None,
    done: dict[str, QuestionRecord],
) -> dict[str, Any]:
    from tqdm import tqdm

    from evaluation.session import evaluate

    total = len(selected)
    bar = tqdm(
        total=total,
        initial=len(done),
        unit="question",
        disable=quiet or not sys.stderr.isatty(),
    )
    count = len(done)

    def progress(record: QuestionRecord) -> None:
        nonlocal count
        count += 1
        if journal is not None:
            journal.append(record)
        if bar.disable and not quiet:  # a log, not a terminal: one line per question
            engine = record.engine
            verdict = "correct" if engine is not None and engine.correct else "wrong"
            seconds = engine.latency_s if engine is not None else 0.0
            status = record.skipped or record.gold_error or verdict
            print(
                f"[{count}/{total}] {record.question.id}: {status} ({seconds:.1f} s)",
                file=sys.stderr,
                flush=True,
            )
        bar.update()

    try:
        return evaluate(
            gold_set,
            selected,
            settings,
            options,
            health=health,
            selection=selection,
            progress=progress,
            done=done,
        )
    finally:
        bar.close()


def _finish(report: dict[str, Any], out: Path | None, store: Store | None) -> int:
    from evaluation.report import default_path, render, write_report

    text = render(report)
    print(text)
    path = write_report(report, out or default_path())
    print(f"\nwrote {path}")
    if store is not None:
        _track(report, text, store)
    return 0


def _store(settings: Settings) -> Store:
    from evaluation.tracking import store_for

    return store_for(settings.mlflow_tracking_uri, settings.data_dir)


def _track(report: dict[str, Any], text: str, store: Store) -> None:
    """Log the run to MLflow; a failure is reported, never fatal: the report is written."""
    from evaluation.tracking import log_run

    try:
        run_id = log_run(report, text, store=store)
    except Exception as exc:  # MLflow missing, a store it refuses, a server down: all alike
        print(f"keskinube: the run was not tracked in MLflow: {exc}", file=sys.stderr)
    else:
        print(f"tracked as MLflow run {run_id} in {store.uri}")


def _compare(settings: Settings, count: int) -> int:
    from backend.errors import KeskinubeError
    from evaluation.comparison import compare_table, recent_runs

    store = _store(settings)
    try:
        runs = recent_runs(store, count)
    except KeskinubeError:
        raise
    except Exception as exc:  # whatever MLflow raises for a store it cannot read
        raise KeskinubeError(f"cannot read the eval runs in {store.uri}: {exc}") from exc
    if not runs:
        print(f"no tracked eval run in {store.uri}")
        return 0
    print(f"the last {len(runs)} eval runs in {store.uri}, oldest first\n")
    print(compare_table(runs))
    return 0
