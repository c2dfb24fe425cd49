"""Execution accuracy with the real model, ours beside LangChain's chain in the same run.

    eval "$(bash ../shared/llm/start.sh)"
    python -m bench accuracy run --label before            # Spider sample + demo golden set
    python -m bench accuracy run --label after --sets spider --limit 60
    python -m bench accuracy run --label pg --sets demo demo_postgresql   # MariaDB vs PostgreSQL
    python -m bench accuracy summary                        # every label → accuracy.md

`run` drives `keskinube eval --baseline langchain` (the product's own harness, a
subprocess each, so one label's settings never leak into the next) over:
- `spider`: the fixed 240-question sample (`bench/golden/spider_dev_sample.json`) on the
  MySQL dumps, loaded as `kkbench_<db>` (`python -m bench spider_sample --load`);
- `demo`: our 75 golden questions on the demo database on MariaDB (`kkbench_demo`,
  built with 5,000 orders when missing);
- `demo_postgresql`: the same questions on the same demo data in PostgreSQL (`kkbench_demo`
  at 127.0.0.1:5432, user postgres, built likewise), the gold SQL of each question its
  `gold_sql_postgresql` where it has one (not in the default `--sets`).
Reports go to `bench/results/accuracy-<label>-<set>.json`; for Spider, question text and
gold SQL are removed (ids stay), so nothing of Spider's is copied into the repository.
Each question's record is also written as soon as it is final to
`bench/results/journal-<label>-<set>.jsonl` (`evaluation.journal`, ids only): a run that
was stopped — or a `--limit 120` run to be carried on to the whole sample — goes on where
it stopped when the same command runs again on the same commit; commit the journal to
carry a run over to another session.
`summary` puts every label side by side: strict and fair accuracy (`scoring.FAIR_RULE`),
valid SQL, "couldn't answer" (no result shown), median and p90 seconds.

Model runs must have the two cores to themselves: run nothing else meanwhile.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.spider_sample import main as spider_sample_main
from bench.spider_sample import write_set

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
MYSQL = "mysql+pymysql://root@127.0.0.1:3306"
POSTGRESQL = "postgresql+psycopg://postgres@127.0.0.1:5432"
DEMO_DB = "kkbench_demo"
# The demo sets: the server each runs on.
DEMO_SERVERS = {"demo": MYSQL, "demo_postgresql": POSTGRESQL}
SETS = ("spider", *DEMO_SERVERS)
DEFAULT_SETS = ("spider", "demo")


def report_path(label: str, name: str) -> Path:
    return RESULTS / f"accuracy-{label}-{name}.json"


def journal_path(label: str, name: str) -> Path:
    return RESULTS / f"journal-{label}-{name}.jsonl"


def _keskinube() -> str:
    return str(Path(sys.executable).with_name("keskinube"))


def _ensure_demo_database(server: str) -> None:
    """Build the demo (5,000 orders) in `kkbench_demo` on `server` unless it has tables."""
    if server == POSTGRESQL:
        client = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tA"]
        tables = "SELECT 1 FROM information_schema.tables WHERE table_schema = 'public'"
        check = [*client, "-d", DEMO_DB, "-c", tables]
        # PostgreSQL has no CREATE DATABASE IF NOT EXISTS: create it when connecting failed.
        create = [*client, "-c", f"CREATE DATABASE {DEMO_DB}"]
    else:
        client = ["mysql", "-uroot", "-h127.0.0.1", "-N", "-e"]
        check = [*client, f"SHOW TABLES FROM {DEMO_DB}"]
        create = [*client, f"CREATE DATABASE IF NOT EXISTS {DEMO_DB}"]
    found = subprocess.run(check, capture_output=True, text=True)
    if found.returncode == 0 and found.stdout.strip():
        return
    if found.returncode != 0 or server != POSTGRESQL:
        subprocess.run(create, check=True)
    url = f"{server}/{DEMO_DB}"
    subprocess.run(
        [_keskinube(), "demo-db", "--url", url, "--orders", "5000", "--no-progress"], check=True
    )


def _eval(label: str, name: str, args: argparse.Namespace) -> Path:
    out = report_path(label, name)
    if name == "spider":
        spider_sample_main(["--load"])
        question_set = Path("/tmp/kkbench_spider_sample.jsonl")
        write_set(question_set)
        database = f"{MYSQL}/kkbench_{{db}}"
    else:
        server = DEMO_SERVERS[name]
        _ensure_demo_database(server)
        question_set = ROOT / "bench" / "golden" / "demo.jsonl"
        database = f"{server}/{DEMO_DB}"
    command = [
        _keskinube(),
        "eval",
        "--set",
        str(question_set),
        "--db",
        database,
        "--out",
        str(out),
        "--journal",
        str(journal_path(label, name)),
        "--no-progress",
    ]
    if not args.no_baseline:
        command += ["--baseline", "langchain"]
    if args.limit:
        command += ["--limit", str(args.limit)]
    env = {**os.environ, "OLLAMA_TIMEOUT_S": os.environ.get("OLLAMA_TIMEOUT_S", "300")}
    subprocess.run(command, check=True, env=env, cwd=ROOT)
    if name == "spider":
        _strip_text(out)
    return out


def _strip_text(path: Path) -> None:
    report = json.loads(path.read_text())
    for question in report["questions"]:
        question.pop("question", None)
        question.pop("gold_sql", None)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


def side_figures(report: dict[str, Any], side: str) -> dict[str, Any] | None:
    """The headline figures of one side ("engine" or "baseline") of an eval report."""
    block = report.get(side)
    if not block:
        return None
    totals = block["totals"]
    counted = [q for q in report["questions"] if q.get("counted")]
    predictions = [q if side == "engine" else (q.get("baseline") or {}) for q in counted]
    no_answer = sum(not p.get("valid_sql") for p in predictions)
    count = totals["questions"]
    return {
        "questions": count,
        "correct": totals["correct"],
        "accuracy": totals["accuracy"],
        "accuracy_fair": totals.get("accuracy_fair"),
        "valid_sql_rate": totals["valid_sql_rate"],
        "no_answer_rate": no_answer / count if count else None,
        "median_s": totals["latency_s"]["median"],
        "p90_s": totals["latency_s"]["p90"],
    }


def summary() -> Path:
    rows = []
    for path in sorted(RESULTS.glob("accuracy-*-*.json")):
        label, name = path.stem.removeprefix("accuracy-").rsplit("-", 1)
        report = json.loads(path.read_text())
        for side, system in (("engine", "Keskinube"), ("baseline", "LangChain chain")):
            figures = side_figures(report, side)
            if figures is not None:
                rows.append((name, label, system, figures))
    lines = [
        "# Execution accuracy, real model (`python -m bench accuracy`)",
        "",
        "| set | label | system | correct | strict | fair | valid SQL | couldn't answer "
        "| median s | p90 s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, label, system, f in rows:
        lines.append(
            f"| {name} | {label} | {system} | {f['correct']}/{f['questions']} "
            f"| {_pct(f['accuracy'])} | {_pct(f['accuracy_fair'])} | {_pct(f['valid_sql_rate'])} "
            f"| {_pct(f['no_answer_rate'])} | {_num(f['median_s'])} | {_num(f['p90_s'])} |"
        )
    lines += _paired_lines()
    lines += _steps_lines()
    out = RESULTS / "accuracy.md"
    out.write_text("\n".join(lines) + "\n")
    return out


def _paired_lines() -> list[str]:
    """Every label again on the questions all labels of a set share (a `--limit` run)."""
    lines: list[str] = []
    for name in SETS:
        reports = {
            path.stem.removeprefix("accuracy-").rsplit("-", 1)[0]: json.loads(path.read_text())
            for path in sorted(RESULTS.glob(f"accuracy-*-{name}.json"))
        }
        if len(reports) < 2:
            continue
        counted = [{q["id"] for q in r["questions"] if q.get("counted")} for r in reports.values()]
        shared = set.intersection(*counted)
        if not shared or all(len(ids) == len(shared) for ids in counted):
            continue
        lines += [
            "",
            f"On the {len(shared)} {name} questions every label answered:",
            "",
            "| label | system | strict | fair | couldn't answer | median s |",
            "|---|---|---|---|---|---|",
        ]
        for label, report in reports.items():
            questions = [q for q in report["questions"] if q["id"] in shared and q["counted"]]
            for side, system in (("engine", "Keskinube"), ("baseline", "LangChain chain")):
                preds = [q if side == "engine" else q.get("baseline") for q in questions]
                if any(p is None for p in preds):
                    continue
                lines.append(_paired_row(label, system, [p for p in preds if p is not None]))
    return lines


REPLAYED = 3  # the candidate count replayed from runs that drew more (`replayed_votes`)


def step_figures(report: dict[str, Any]) -> dict[str, Any] | None:
    """Strict/fair accuracy after the first query, the repairs and the vote (one run); and
    the vote replayed with only the first `REPLAYED` candidates when the run drew more."""
    counted = [q for q in report["questions"] if q.get("counted")]
    if not counted or not any(q.get("steps") for q in counted):
        return None
    replay = f"vote_{REPLAYED}"
    drew_more = any(f"vote_{REPLAYED + 1}" in (q.get("steps") or {}) for q in counted)
    totals = {step: [0, 0] for step in ("first", "repaired", "replayed", "voted")}
    for q in counted:
        final = (bool(q["correct"]), bool(q.get("correct_fair")))
        steps = q.get("steps") or {}
        for step, key in (
            ("first", "first"),
            ("repaired", "repaired"),
            ("replayed", replay),
            ("voted", None),
        ):
            strict, fair = steps.get(key, final) if key else final
            totals[step][0] += bool(strict)
            totals[step][1] += bool(fair)
    sampled = [q for q in counted if "candidates" in (q.get("timings") or {})]
    draws = [q.get("draw_seconds") or [] for q in sampled]
    return {
        "questions": len(counted),
        "totals": totals,
        "replayed": drew_more,
        "sampled": len(sampled),
        # Runs before per-draw seconds were kept: the model's sampling time alone.
        "sampled_seconds": sum(sum(d) for d in draws)
        if all(draws)
        else sum(q["timings"]["candidates"] for q in sampled),
        "replayed_seconds": sum(sum(d[:REPLAYED]) for d in draws) if all(draws) else None,
        "candidates": max((len(d) for d in draws), default=0),
    }


def _steps_lines() -> list[str]:
    lines: list[str] = []
    for path in sorted(RESULTS.glob("accuracy-*-*.json")):
        label, name = path.stem.removeprefix("accuracy-").rsplit("-", 1)
        figures = step_figures(json.loads(path.read_text()))
        if figures is None:
            continue
        if not lines:
            lines = [
                "",
                "Step by step, from the same run (each step's answer re-run and scored;"
                f' "vote of {REPLAYED}": the vote replayed with the run\'s first {REPLAYED}'
                " candidates, when it drew more):",
                "",
                f"| set | label | first query | + repairs | + vote of {REPLAYED} | + vote "
                f"| candidates | questions voted on | extra seconds of {REPLAYED} (mean) "
                "| extra seconds (mean) |",
                "|---|---|---|---|---|---|---|---|---|---|",
            ]
        count, t = figures["questions"], figures["totals"]
        cells = [
            f"{t[s][0]}/{count} {_pct(t[s][0] / count)} (fair {_pct(t[s][1] / count)})"
            if s != "replayed" or figures["replayed"]
            else "-"
            for s in ("first", "repaired", "replayed", "voted")
        ]
        sampled = figures["sampled"]
        seconds = [figures["replayed_seconds"], figures["sampled_seconds"]]
        means = [_num(x / sampled) if sampled and x is not None else "-" for x in seconds]
        drawn = figures["candidates"] or "-"
        lines.append(
            f"| {name} | {label} | {' | '.join(cells)} | {drawn} | {sampled} "
            f"| {' | '.join(means) if figures['replayed'] else '- | ' + means[1]} |"
        )
    return lines


def _paired_row(label: str, system: str, preds: list[dict[str, Any]]) -> str:
    count = len(preds)
    strict = sum(bool(p["correct"]) for p in preds)
    fair = sum(bool(p.get("correct_fair")) for p in preds)
    failed = sum(not p["valid_sql"] for p in preds)
    median = statistics.median(p["latency_s"] for p in preds)
    return (
        f"| {label} | {system} | {strict}/{count} {_pct(strict / count)} "
        f"| {_pct(fair / count)} | {_pct(failed / count)} | {median:.1f} |"
    )


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench accuracy")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="evaluate, ours and LangChain, with the real model")
    run.add_argument("--label", required=True, help="names this run: before, after, ...")
    run.add_argument(
        "--sets",
        nargs="+",
        default=list(DEFAULT_SETS),
        help=f"any of {', '.join(SETS)}, spaces or commas between (default spider demo)",
    )
    run.add_argument("--limit", type=int, help="only the first N questions of each set")
    run.add_argument("--no-baseline", action="store_true", help="ours only")
    commands.add_parser("summary", help="write bench/results/accuracy.md")
    args = parser.parse_args(argv)
    if args.command == "run":
        names = [n.strip() for text in args.sets for n in text.split(",") if n.strip()]
        for name in names:
            if name not in SETS:
                sys.exit(f"unknown set {name!r}; choose from {', '.join(SETS)}")
            print(f"wrote {_eval(args.label, name, args)}", flush=True)
    print(f"wrote {summary()}")
