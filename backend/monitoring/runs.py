"""The record of one asked question — what produced its answer — and the port it goes to.

`AnswerService.ask` builds an `AnswerRun` from the answer and from what the engine
answered with (`Producer`: the model and its digest, the prompt's version, the schema
mode, the knowledge version) and hands it to a `RunLog` (`backend.monitoring.store.RunStore`
on the app database). Nothing here talks to a database or a model server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from backend.domain import Answer
from backend.monitoring.outcome import Outcome, outcome_of
from backend.prompt_fingerprint import prompt_fingerprint

if TYPE_CHECKING:
    from backend.pipeline import Engine

# The engine's timed stages (`RunRecord.timed`), in the order a question goes through them;
# "total" is the whole wait, the door's own steps (chart, summary, storing) included.
STAGES = ("cache", "retrieve", "select", "generate", "check", "execute", "candidates")
TOTAL = "total"


class ModelVersion(Protocol):
    """The chat model's name and, when known, the digest of the weights behind it."""

    @property
    def name(self) -> str: ...

    def digest(self) -> str | None:
        """Must be cheap: it is read for every question."""
        ...


@dataclass(frozen=True)
class Producer:
    """What every answer of one engine is produced with, besides the question."""

    database: str
    model: str
    model_digest: str | None
    prompt_hash: str
    schema_mode: str
    knowledge_version: str | None


@dataclass(frozen=True)
class AnswerRun:
    """One asked question: who, through which door, how it ended, and what produced it."""

    username: str
    source: str
    question: str
    outcome: Outcome
    producer: Producer
    retrieval_mode: str | None = None
    attempts: int = 0
    candidates: int = 0
    seconds: float = 0.0
    timings: Mapping[str, float] = field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False
    # Cosine similarity to the nearest indexed table or reviewed example (None: unmeasured).
    similarity: float | None = None


class RunLog(Protocol):
    """Where runs are kept (`backend.monitoring.store.RunStore`)."""

    def record_run(self, run: AnswerRun) -> int:
        """Keep `run`; returns its id, which the answer's thumbs up or down refer to."""
        ...


def producer_of(engine: Engine, model: ModelVersion | None) -> Producer:
    """What `engine` answers with now (cheap: each part is computed once and kept)."""
    config = engine.config
    return Producer(
        database=config.database,
        model=model.name if model is not None else "",
        model_digest=model.digest() if model is not None else None,
        prompt_hash=prompt_fingerprint(config, engine.runner.dialect),
        schema_mode=config.schema_mode,
        knowledge_version=engine.knowledge_version(),
    )


def answer_run(
    answer: Answer,
    *,
    username: str,
    source: str,
    producer: Producer,
    seconds: float,
    similarity: float | None = None,
) -> AnswerRun:
    """The run of `answer`, asked by `username` through `source`; `seconds`: the whole wait."""
    tried = [attempt.candidate for attempt in answer.attempts]
    # With a vote, its size says how many were drawn (a draw that repeated a query made
    # no attempt of its own); without, the last candidate that made one.
    candidates = answer.agreement[1] - 1 if answer.agreement else max(tried, default=0)
    return AnswerRun(
        username=username,
        source=source,
        question=answer.question,
        outcome=outcome_of(answer),
        producer=producer,
        retrieval_mode=answer.retrieval.mode if answer.retrieval is not None else None,
        attempts=len(answer.attempts),
        candidates=candidates,
        seconds=seconds,
        timings=dict(answer.timings),
        prompt_tokens=answer.prompt_tokens,
        completion_tokens=answer.completion_tokens,
        cached=answer.cached,
        similarity=similarity,
    )
