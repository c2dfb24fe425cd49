"""The outputs of an eval run: the JSON document and the table printed on the terminal.

`build_report` makes the JSON document (reproducibility record, totals, breakdowns by
difficulty and tag, every question); `render` prints any such document, so a saved file
can be shown again the same way.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evaluation import summary
from evaluation.records import EvalRun

RESULTS_DIR = Path("bench") / "results"


def default_path(now: datetime | None = None) -> Path:
    """bench/results/eval-<UTC timestamp>.json, relative to the working directory."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return RESULTS_DIR / f"eval-{stamp}.json"


def build_report(run: EvalRun) -> dict[str, Any]:
    records = run.records
    report: dict[str, Any] = {
        "meta": run.meta,
        "counts": summary.run_counts(records),
        "engine": _side(records, "engine"),
        "baseline": None,
        "questions": [record.to_json() for record in records],
    }
    if run.baseline is not None:
        report["baseline"] = {"name": run.baseline, **_side(records, "baseline")}
    return report


def _side(records: Sequence[Any], side: summary.Side) -> dict[str, Any]:
    return {
        "totals": summary.totals(records, side),
        "by_difficulty": summary.by_difficulty(records, side),
        "by_tag": summary.by_tag(records, side),
    }


def write_report(report: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
    return path


def score_line(totals: dict[str, Any], label: str) -> str:
    """`execution accuracy (engine): 4/6 = 66.7%` and the other headline figures."""
    count, correct = totals["questions"], totals["correct"]
    latency = totals["latency_s"]
    return (
        f"execution accuracy ({label}): {correct}/{count} = {_pct(totals['accuracy'])}"
        f" (fair reading {totals.get('correct_fair', 0)}/{count}"
        f" = {_pct(totals.get('accuracy_fair'))}); "
        f"valid SQL {totals['valid_sql']}/{count}; retries {totals['retries']}; "
        f"tokens {totals['prompt_tokens']}+{totals['completion_tokens']}; "
        f"median {_secs(latency['median'])}, p90 {_secs(latency['p90'])}; "
        f"cache hits {totals['cache_hits']}"
    )


def render(report: dict[str, Any]) -> str:
    """The terminal view: one line per question, the scores, the rule, the breakdowns."""
    baseline = report.get("baseline")
    lines = [_questions_table(report["questions"], baseline is not None), ""]
    lines.append(score_line(report["engine"]["totals"], "engine"))
    if baseline is not None:
        lines.append(score_line(baseline["totals"], baseline["name"]))
    lines.append(f"rule: {report['meta']['scoring']['rule']}")
    counts = report["counts"]
    if counts["skipped"] or counts["gold_errors"] or counts["context_only"]:
        lines.append(
            f"not scored: {counts['skipped']} skipped (database unavailable), "
            f"{counts['gold_errors']} with failing gold SQL, "
            f"{counts['context_only']} run only as follow-up context"
        )
    for title, key in (("difficulty", "by_difficulty"), ("tag", "by_tag")):
        lines += ["", _breakdown_table(title, report["engine"][key], baseline and baseline[key])]
    return "\n".join(lines)


def _questions_table(questions: Sequence[dict[str, Any]], with_baseline: bool) -> str:
    headers = ["id", "difficulty", "correct", "valid", "retries", "tokens", "seconds"]
    headers += ["baseline"] if with_baseline else []
    headers.append("reason")
    rows = []
    for q in questions:
        status = "yes" if q["correct"] else "no"
        if not q["counted"]:
            status = "skip" if q["skipped"] or q["gold_error"] else "ctx"
        tokens = f"{q.get('prompt_tokens', 0)}+{q.get('completion_tokens', 0)}"
        row = [
            q["id"],
            q["difficulty"] or "-",
            status,
            "yes" if q["valid_sql"] else "no",
            str(q.get("retries", 0)),
            tokens,
            f"{q.get('latency_s', 0.0):.2f}",
        ]
        if with_baseline:
            row.append("yes" if (q.get("baseline") or {}).get("correct") else "no")
        row.append(_short(q["skipped"] or q["gold_error"] or q.get("reason") or ""))
        rows.append(row)
    return text_table(headers, rows)


def _breakdown_table(title: str, engine: dict[str, Any], baseline: dict[str, Any] | None) -> str:
    headers = [title, "engine"] + (["baseline"] if baseline is not None else [])
    rows = []
    for key, figures in engine.items():
        row = [key, _fraction(figures)]
        if baseline is not None:
            row.append(_fraction(baseline.get(key)))
        rows.append(row)
    return text_table(headers, rows)


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell, two spaces apart; the last one left ragged."""
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=False)]
    widths[-1] = 0  # the last column is free text: no padding

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(headers), *(line(row) for row in rows)])


def _fraction(figures: dict[str, Any] | None) -> str:
    if not figures:
        return "-"
    return f"{figures['correct']}/{figures['questions']} {_pct(figures['accuracy'])}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _secs(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} s"


def _short(text: str, limit: int = 70) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
