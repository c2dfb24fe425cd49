"""Totals and breakdowns of an eval run, for the engine or the baseline side.

Only counted records (see `QuestionRecord.counted`) enter a score; questions skipped for
an unreachable database or a failing gold query are reported apart.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal

from evaluation.records import Prediction, QuestionRecord

Side = Literal["engine", "baseline"]


def predictions(records: Sequence[QuestionRecord], side: Side) -> list[Prediction]:
    """The counted predictions of one side, in record order."""
    found = [getattr(r, side) for r in records if r.counted]
    return [p for p in found if p is not None]


def totals(records: Sequence[QuestionRecord], side: Side = "engine") -> dict[str, Any]:
    """Score, valid-SQL rate, retries, tokens, latency and cache hits of one side."""
    preds = predictions(records, side)
    count = len(preds)
    correct = sum(p.correct for p in preds)
    valid = sum(p.valid_sql for p in preds)
    latencies = [p.latency_s for p in preds]
    modes: dict[str, int] = defaultdict(int)
    for p in preds:
        if p.retrieval_mode:
            modes[p.retrieval_mode] += 1
    return {
        "questions": count,
        "correct": correct,
        "accuracy": _ratio(correct, count),
        "correct_fair": sum(p.correct_fair for p in preds),
        "accuracy_fair": _ratio(sum(p.correct_fair for p in preds), count),
        "valid_sql": valid,
        "valid_sql_rate": _ratio(valid, count),
        "retries": sum(p.retries for p in preds),
        "questions_retried": sum(p.retries > 0 for p in preds),
        "prompt_tokens": sum(p.prompt_tokens for p in preds),
        "completion_tokens": sum(p.completion_tokens for p in preds),
        "mean_prompt_tokens": _mean([p.prompt_tokens for p in preds]),
        "mean_completion_tokens": _mean([p.completion_tokens for p in preds]),
        "cache_hits": sum(p.cached for p in preds),
        "latency_s": {
            "mean": _mean(latencies),
            "median": round(statistics.median(latencies), 4) if latencies else None,
            "p90": _percentile(latencies, 0.9),
            "p95": _percentile(latencies, 0.95),
            "first": round(latencies[0], 4) if latencies else None,
        },
        "stages_mean_s": _stage_means(preds),
        "retrieval_modes": dict(modes),
    }


def run_counts(records: Sequence[QuestionRecord]) -> dict[str, int]:
    """How many questions ran, counted, were context only, skipped or had broken gold SQL."""
    return {
        "selected": len(records),
        "counted": sum(r.counted for r in records),
        "context_only": sum(not r.scored for r in records),
        "skipped": sum(r.scored and r.skipped is not None for r in records),
        "gold_errors": sum(r.scored and r.gold_error is not None for r in records),
    }


def by_tag(records: Sequence[QuestionRecord], side: Side = "engine") -> dict[str, Any]:
    """Accuracy per skill tag (difficulty tags are in `by_difficulty`)."""
    return _breakdown(records, side, lambda r: r.question.skills)


def by_difficulty(records: Sequence[QuestionRecord], side: Side = "engine") -> dict[str, Any]:
    return _breakdown(records, side, lambda r: [r.question.difficulty or "unrated"])


def _breakdown(
    records: Sequence[QuestionRecord], side: Side, keys: Callable[[QuestionRecord], Iterable[str]]
) -> dict[str, Any]:
    groups: dict[str, list[Prediction]] = defaultdict(list)
    for record in records:
        prediction = getattr(record, side)
        if record.counted and prediction is not None:
            for key in keys(record):
                groups[key].append(prediction)
    return {
        key: {
            "questions": len(preds),
            "correct": sum(p.correct for p in preds),
            "accuracy": _ratio(sum(p.correct for p in preds), len(preds)),
            "valid_sql_rate": _ratio(sum(p.valid_sql for p in preds), len(preds)),
        }
        for key, preds in sorted(groups.items())
    }


def _stage_means(preds: Sequence[Prediction]) -> dict[str, float]:
    stages: dict[str, list[float]] = defaultdict(list)
    for p in preds:
        for stage, seconds in p.timings.items():
            stages[stage].append(seconds)
    return {stage: round(sum(v) / len(preds), 4) for stage, v in sorted(stages.items())}


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(fraction * len(ordered)) - 1)], 4)
