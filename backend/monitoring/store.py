"""The app database's record of asked questions: `RunStore` writes runs and reads figures.

Table `answer_runs` is in `appdb.tables`; the votes (`answer_feedback`) point at a run by
its id. Every time is naive UTC (`appdb.clock`), and so are the days of the figures.
"""

from __future__ import annotations

import json

import sqlalchemy as sa

from appdb.clock import Clock, utc_now
from appdb.schema import TEXT_LIMIT, USERNAME_LENGTH
from appdb.tables import answer_runs
from backend.monitoring.figures import Figures, RunFilter, figures, versions
from backend.monitoring.runs import AnswerRun


class RunStore:
    """Keeps each asked question's run (the `RunLog` of `AnswerService`) and reads the
    monitoring figures back."""

    def __init__(self, engine: sa.Engine, *, clock: Clock = utc_now) -> None:
        self.engine = engine
        self.clock = clock

    def record_run(self, run: AnswerRun) -> int:
        """Keep `run`; returns its id (never reused: votes refer to it)."""
        made = run.producer
        values = {
            "at": self.clock(),
            "username": run.username[:USERNAME_LENGTH],
            "source": run.source,
            "database": made.database,
            "question": _clip(run.question),
            "outcome": run.outcome,
            "model": made.model,
            "model_digest": made.model_digest,
            "prompt_hash": made.prompt_hash,
            "schema_mode": made.schema_mode,
            "retrieval_mode": run.retrieval_mode,
            "knowledge_version": made.knowledge_version,
            "attempts": run.attempts,
            "candidates": run.candidates,
            "seconds": round(run.seconds, 4),
            "timings": json.dumps({k: round(v, 4) for k, v in run.timings.items()}),
            "prompt_tokens": run.prompt_tokens,
            "completion_tokens": run.completion_tokens,
            "cached": run.cached,
            "similarity": None if run.similarity is None else round(run.similarity, 4),
        }
        with self.engine.begin() as conn:
            inserted = conn.execute(sa.insert(answer_runs).values(**values)).inserted_primary_key
        assert inserted is not None  # a single-row INSERT always reports its key
        return int(inserted[0])

    def figures(self, filters: RunFilter, *, top: int = 10, far_below: float = 0.5) -> Figures:
        """Everything the monitoring page shows for `filters` (see `figures.figures`)."""
        with self.engine.connect() as conn:
            return figures(conn, filters, top=top, far_below=far_below)

    def versions(self, filters: RunFilter) -> list[tuple[str, str]]:
        """The (model, prompt hash) pairs of the runs that match `filters`, oldest first
        (what the page offers to filter on)."""
        with self.engine.connect() as conn:
            table = versions(conn, filters)
        pairs = zip(table["model"], table["prompt_hash"], strict=True)
        return list(dict.fromkeys((str(m), str(p)) for m, p in pairs))


def _clip(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"
