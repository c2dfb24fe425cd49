"""The record of one question while the engine answers it, and the Answer made from it.

The engine's steps append attempts, add up timings and token counts and note what the guard
let through; at the end the record becomes an immutable `Answer` (or the answer of a run
that gave up, with its most telling failure).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

from backend.domain import Answer, AppliedRule, Attempt, Draw, QueryResult, Retrieval
from backend.errors import KeskinubeError, QueryFailed, SqlRejected
from backend.i18n.message import Message


@dataclass
class RunRecord:
    """Mutable bookkeeping of one `ask`, turned into an immutable Answer at the end."""

    question: str
    attempts: list[Attempt] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    retrieval: Retrieval | None = None
    chart_proposal: str | None = None
    # A follow-up ("and in 2024?") means nothing without its conversation, which the cache
    # key does not hold: such a question neither reads nor writes the cache.
    cacheable: bool = True
    # The guard's statement of the try under way, once it passed the guard, and the
    # tables it reads.
    checked: str | None = None
    tables_read: frozenset[str] = frozenset()
    # Which sampled candidate the attempts being made belong to (0: the first query and
    # its repairs).
    candidate: int = 0
    timed_out: bool = False
    agreement: tuple[int, int] | None = None
    # Each sampled candidate, in seed order.
    draws: list[Draw] = field(default_factory=list)
    # The access rules the guard applied to the last statement it passed.
    rules: tuple[AppliedRule, ...] = ()

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - started

    def drew(self, sql: str | None, started: float) -> None:
        """A candidate drawn since `started` (its writing and its run, when it ran)."""
        self.draws.append(Draw(sql or "", time.perf_counter() - started))

    def record(self, sql: str, failure: KeskinubeError | None = None) -> None:
        """The try that ran `sql` (or was refused), with the statement sent to the database."""
        executed, self.checked = self.checked, None
        if failure is None:
            self.attempts.append(
                Attempt(sql, None, "ok", executed=executed, candidate=self.candidate)
            )
            return
        stage = _stage_of(failure)
        self.attempts.append(
            Attempt(
                sql,
                str(failure),
                stage,
                failure.message,
                executed=executed if stage == "execute" else None,
                code=failure.code if isinstance(failure, QueryFailed) else None,
                candidate=self.candidate,
            )
        )

    def answer(
        self,
        *,
        sql: str | None = None,
        result: QueryResult | None = None,
        error: str | Message | None = None,
        cached: bool = False,
    ) -> Answer:
        return Answer(
            question=self.question,
            sql=sql,
            result=result,
            attempts=tuple(self.attempts),
            retrieval=self.retrieval,
            timings=dict(self.timings),
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            cached=cached,
            error=None if error is None else str(error),
            error_message=error if isinstance(error, Message) else None,
            chart_proposal=self.chart_proposal if result is not None else None,
            agreement=self.agreement,
            rules=self.rules if result is not None else (),
            draws=tuple(self.draws),
        )


def gave_up(run: RunRecord) -> Answer:
    """The answer of a run that found no working query: its most telling failure."""
    # The most telling failure is the last one that got as far as running SQL.
    telling = next(
        (a for a in reversed(run.attempts) if a.stage in {"check", "execute"}), run.attempts[-1]
    )
    reason = telling.message or telling.error or ""
    return run.answer(
        sql=telling.sql,
        error=Message.of("engine.ask.gave_up", tries=len(run.attempts), reason=reason),
    )


def error_message(exc: KeskinubeError) -> str | Message:
    """The error as a catalogue message when it has one (shown in the reader's language)."""
    return exc.message if exc.message is not None else str(exc)


def _stage_of(exc: Exception) -> Literal["check", "execute"]:
    return "check" if isinstance(exc, SqlRejected) else "execute"
