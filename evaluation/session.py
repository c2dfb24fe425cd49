"""One evaluation, start to report: what `keskinube eval` and the CI's real-model gate run.

`evaluate` asks and scores the selected questions (`runner`), records what produced the
scores (`provenance`) and returns the JSON report (`report`), timed from its start.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from backend.adapters.ollama import OllamaHealth
from backend.config import Settings
from evaluation.provenance import run_record
from evaluation.records import EvalRun, QuestionRecord
from evaluation.report import build_report
from evaluation.runner import EvalOptions, Progress, run_evaluation
from evaluation.sets import GoldSet, Selected


def evaluate(
    gold_set: GoldSet,
    selected: list[Selected],
    settings: Settings,
    options: EvalOptions,
    *,
    health: OllamaHealth,
    selection: dict[str, Any],
    progress: Progress | None = None,
    done: Mapping[str, QuestionRecord] | None = None,
) -> dict[str, Any]:
    """The report of one run of `selected` (see `evaluation.report.build_report`); the
    questions `done` holds are an earlier leg's records, not asked again (`resumed`)."""
    started = datetime.now(UTC)
    clock = time.perf_counter()
    results = run_evaluation(selected, settings, options, progress=progress, done=done)
    resumed = sum(s.question.id in (done or {}) for s in selected)
    timing = {
        "started_at": started.isoformat(timespec="seconds"),
        "duration_s": round(time.perf_counter() - clock, 2),
        "warm_up": {
            "enabled": settings.ollama_warm_up,
            "starts": results.warm_up_starts,
            "seconds": results.warm_up_s,
        },
    }
    meta = run_record(
        gold_set=gold_set,
        selection={"selected": len(selected), **selection, "resumed": resumed},
        settings=settings,
        options=options,
        engine_config=results.engine_config,
        health=health,
        timing=timing,
    )
    baseline = "langchain" if options.baseline else None
    return build_report(EvalRun(meta, results.records, baseline))
