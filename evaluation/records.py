"""What an eval run records: one `QuestionRecord` per question, and the run around them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from evaluation.sets import GoldQuestion


@dataclass(frozen=True)
class Prediction:
    """One system's answer to one question, scored against the gold result.

    `valid_sql`: the final SQL ran without error. `retries`: attempts beyond the first.
    `reason`: why it was scored so ("match", "3 rows, expected 5", or the error).
    `correct_fair`: correct by the fair reading of the question (`scoring.FAIR_RULE`).
    """

    sql: str | None
    correct: bool
    valid_sql: bool
    reason: str
    correct_fair: bool = False
    rows: int | None = None
    error: str | None = None
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    cached: bool = False
    retrieval_mode: str | None = None
    tables: tuple[str, ...] = ()
    # The engine's answer had it stopped earlier, scored the same way (strict, fair):
    # "first" the first query alone, "repaired" after the repair loop, before any sampled
    # candidates were voted on, "vote_N" the vote replayed with only the first N sampled
    # candidates. Empty when nothing after the first query happened.
    steps: dict[str, tuple[bool, bool]] = field(default_factory=dict)
    # The seconds each sampled candidate took, in seed order (empty when none was drawn).
    draw_seconds: tuple[float, ...] = ()


@dataclass(frozen=True)
class QuestionRecord:
    """A question, its gold result's size, and the engine's (and baseline's) prediction.

    A record counts in the score only when `counted`: it was selected for scoring (not only
    a follow-up's context), its database could be opened and its gold SQL ran.
    """

    question: GoldQuestion
    scored: bool
    gold_rows: int | None = None
    gold_error: str | None = None
    skipped: str | None = None
    engine: Prediction | None = None
    baseline: Prediction | None = None

    @property
    def counted(self) -> bool:
        return self.scored and self.skipped is None and self.gold_error is None

    def to_json(self) -> dict[str, Any]:
        q = self.question
        data: dict[str, Any] = {
            "id": q.id,
            "question": q.question,
            "db": q.db,
            "tags": list(q.tags),
            "difficulty": q.difficulty,
            "previous_id": q.previous_id,
            "scored": self.scored,
            "counted": self.counted,
            "gold_sql": q.gold_sql,
            "gold_rows": self.gold_rows,
            "gold_error": self.gold_error,
            "skipped": self.skipped,
        }
        data |= _prediction_json(self.engine)
        if self.baseline is not None:
            data["baseline"] = _prediction_json(self.baseline)
        return data


def _prediction_json(prediction: Prediction | None) -> dict[str, Any]:
    if prediction is None:
        return {"correct": False, "valid_sql": False, "predicted_sql": None}
    data = asdict(prediction)
    data["predicted_sql"] = data.pop("sql")
    data["predicted_rows"] = data.pop("rows")
    data["tables"] = list(prediction.tables)
    data["latency_s"] = round(prediction.latency_s, 4)
    data["timings"] = {stage: round(s, 4) for stage, s in prediction.timings.items()}
    data["draw_seconds"] = [round(s, 4) for s in prediction.draw_seconds]
    return data


@dataclass(frozen=True)
class EvalRun:
    """A finished run: the reproducibility record (`meta`) and every question's record."""

    meta: dict[str, Any]
    records: tuple[QuestionRecord, ...]
    baseline: str | None = None
