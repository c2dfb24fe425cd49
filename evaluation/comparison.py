"""`keskinube eval --compare`: the last tracked eval runs side by side.

Two plain tables, one column per run, oldest first: the parameters — those that differ
between the runs first, marked `*`, so a changed prompt, model or setting is the first
thing read — then the metrics, headline figures first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from evaluation.report import text_table
from evaluation.tracking import Store, client_for, experiment_id, store_exists

HEADLINE = (
    "accuracy",
    "accuracy_fair",
    "valid_sql_rate",
    "questions",
    "latency_p50_s",
    "latency_p95_s",
    "prompt_tokens",
    "completion_tokens",
)
CELL_WIDTH = 24
DIFFERS = "*"


@dataclass(frozen=True)
class TrackedRun:
    """One finished eval run as the store holds it."""

    run_id: str
    started: datetime
    params: dict[str, str]
    metrics: dict[str, float]


def recent_runs(store: Store, count: int) -> list[TrackedRun]:
    """The last `count` finished eval runs of the store, oldest first."""
    if not store_exists(store):
        return []
    client = client_for(store)
    experiment = experiment_id(client)
    if experiment is None:
        return []
    found = client.search_runs(
        [experiment],
        filter_string="attributes.status = 'FINISHED'",
        order_by=["attributes.start_time DESC"],
        max_results=count,
    )
    return [_tracked(run) for run in reversed(found)]


def _tracked(run: Any) -> TrackedRun:
    started = datetime.fromtimestamp(run.info.start_time / 1000, tz=UTC)
    return TrackedRun(
        run_id=str(run.info.run_id),
        started=started,
        params=dict(run.data.params),
        metrics=dict(run.data.metrics),
    )


def differing(runs: Sequence[TrackedRun]) -> set[str]:
    """The parameters whose value is not the same in every run (missing counts as a value)."""
    names = {name for run in runs for name in run.params}
    return {name for name in names if len({run.params.get(name) for run in runs}) > 1}


def compare_table(runs: Sequence[TrackedRun]) -> str:
    """The parameters table and the metrics table, one column per run."""
    heads = [f"{n} {run.run_id[:8]}" for n, run in enumerate(runs, start=1)]
    changed = differing(runs)
    names = {name for run in runs for name in run.params}
    ordered = sorted(changed) + sorted(names - changed)
    started = ["", "started", *(run.started.strftime("%Y-%m-%d %H:%M") for run in runs)]
    params = [started]
    for name in ordered:
        mark = DIFFERS if name in changed else ""
        params.append([mark, name, *(_cell(run.params.get(name)) for run in runs)])
    metric_names = {name for run in runs for name in run.metrics}
    first = [name for name in HEADLINE if name in metric_names]
    metrics = [
        [name, *(_number(run.metrics.get(name)) for run in runs)]
        for name in first + sorted(metric_names - set(first))
    ]
    return "\n".join(
        [
            text_table(["", "parameter", *heads], params),
            "",
            text_table(["metric", *heads], metrics),
            "",
            f"{DIFFERS}: differs between the runs",
        ]
    )


def _cell(value: str | None) -> str:
    if value is None:
        return "-"
    if value == "":
        return '""'
    return value if len(value) <= CELL_WIDTH else value[: CELL_WIDTH - 1] + "…"


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if value == int(value):
        return str(int(value))
    return f"{value:.4f}".rstrip("0")
