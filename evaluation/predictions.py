"""Turning what a system answered into a scored `Prediction`.

The engine's `Answer` already holds its SQL, result, attempts, tokens and timings; the
baseline's output is SQL text, run here through the same read-only runner (no guard).
"""

from __future__ import annotations

import functools
import time
from dataclasses import replace
from typing import Any

from backend.candidates import Candidate, canonical_sql, doubt, vote
from backend.domain import Answer, QueryResult
from backend.errors import KeskinubeError
from backend.ports import SqlRunner
from backend.unasked_values import unasked_values
from evaluation.baseline_langchain import BaselineOutput
from evaluation.gold import GoldResult
from evaluation.records import Prediction
from evaluation.scoring import ResultTable, Verdict, compare_fair, compare_results

NO_SQL = "the answer contained no SQL query"


def score(gold: GoldResult | None, predicted: ResultTable, *, rounding: bool) -> Verdict:
    """Execution accuracy of one result against the gold result."""
    if gold is None:
        return Verdict(False, "the gold SQL failed")
    return compare_results(gold.table, predicted, gold.order, rounding=rounding)


def score_fair(
    gold: GoldResult | None, predicted: ResultTable, question: str, *, rounding: bool
) -> bool:
    """The fair reading of the question (`scoring.FAIR_RULE`): sets unless it asks an order."""
    if gold is None:
        return False
    return compare_fair(gold.table, predicted, gold.order, question, rounding=rounding).correct


def engine_steps(
    answer: Answer, runner: SqlRunner, gold: GoldResult | None, *, row_limit: int, rounding: bool
) -> dict[str, tuple[bool, bool]]:
    """What the first query alone, and the repair loop before any vote, would have scored.

    The statements are run again (read-only, as the guard wrote them): an ablation of the
    repair and candidate steps from one run, on the same model outputs.
    """
    main = [a for a in answer.attempts if a.candidate == 0]
    if not main or (len(main) == 1 and answer.agreement is None):
        return {}

    @functools.cache  # the votes of 1…N mostly choose the same statement: run it once
    def scored(statement: str | None) -> tuple[bool, bool]:
        if gold is None or statement is None:
            return (False, False)
        try:
            result = runner.run(statement, row_limit=row_limit)
        except KeskinubeError:
            return (False, False)
        table = ResultTable.from_frame(result.frame)
        return (
            score(gold, table, rounding=rounding).correct,
            score_fair(gold, table, answer.question, rounding=rounding),
        )

    first = main[0].executed if main[0].stage == "ok" else None
    repaired = main[-1].executed if main[-1].stage == "ok" else None
    steps = {"first": scored(first), "repaired": scored(repaired)}
    for count, statement in replayed_votes(answer, repaired, runner, row_limit=row_limit).items():
        steps[f"vote_{count}"] = scored(statement)
    return steps


def replayed_votes(
    answer: Answer, repaired: str | None, runner: SqlRunner, *, row_limit: int
) -> dict[int, str | None]:
    """The statement the vote would have chosen with only the first N candidates, for
    each N up to the number drawn: one run at `ANSWER_CANDIDATES=5` also measures 3.

    Replayed as the engine votes (`backend.candidates`): the first answer, then each draw
    by seed; a draw repeating a query already tried has that query's outcome. The
    statements are run again; a row explosion is not judged (no row estimates here), and
    a value is judged unasked against the question alone (the prompt's notes and examples
    are not kept), so only a tie between a result in doubt and one that is not may come
    out otherwise.
    """
    if not answer.draws:
        return {}
    outcome: dict[str, str | None] = {}
    # What the model wrote for each statement run: the values judged are the model's, not
    # a role's row filters the guard added.
    written = {a.executed: a.sql for a in answer.attempts if a.executed and a.sql}
    for attempt in answer.attempts:
        if attempt.sql:
            key = canonical_sql(attempt.sql)
            outcome[key] = attempt.executed if attempt.stage == "ok" else None
    results: dict[str, QueryResult | None] = {}

    def result(statement: str | None) -> QueryResult | None:
        if statement is None:
            return None
        if statement not in results:
            try:
                results[statement] = runner.run(statement, row_limit=row_limit)
            except KeskinubeError:
                results[statement] = None
        return results[statement]

    drawn = [outcome.get(canonical_sql(d.sql)) if d.sql else None for d in answer.draws]
    pool = [repaired, *drawn]
    chosen: dict[int, str | None] = {}
    for count in range(1, len(answer.draws) + 1):
        statements = pool[: count + 1]
        ran = [result(s) for s in statements]
        candidates = [Candidate(s or "", r) for s, r in zip(statements, ran, strict=True)]
        doubts = [
            doubt(r, unasked=_unasked(written.get(s or "", s), answer.question, runner.dialect))
            for s, r in zip(statements, ran, strict=True)
        ]
        won = vote(candidates, doubts)
        chosen[count] = None if won is None else statements[won.index]
    return chosen


def _unasked(statement: str | None, question: str, dialect: str) -> tuple[str, ...]:
    if statement is None:
        return ()
    return unasked_values(statement, question=question, context="", dialect=dialect)


def engine_prediction(
    answer: Answer,
    latency_s: float,
    gold: GoldResult | None,
    *,
    rounding: bool,
    steps: dict[str, tuple[bool, bool]] | None = None,
) -> Prediction:
    """The engine's answer, scored; `valid_sql` means its final SQL ran."""
    result = answer.result
    fair = False
    if answer.ok and result is not None:
        table = ResultTable.from_frame(result.frame)
        verdict = score(gold, table, rounding=rounding)
        fair = score_fair(gold, table, answer.question, rounding=rounding)
    else:
        verdict = Verdict(False, answer.error or "no result")
    retrieval = answer.retrieval
    tables: tuple[str, ...] = ()
    if retrieval is not None:
        tables = (*(t.name for t in retrieval.tables), *retrieval.added_for_joins)
    return Prediction(
        sql=answer.sql,
        correct=verdict.correct,
        correct_fair=fair,
        valid_sql=answer.ok,
        reason=verdict.reason,
        rows=result.row_count if result is not None else None,
        error=answer.error,
        retries=max(0, len(answer.attempts) - 1),
        prompt_tokens=answer.prompt_tokens,
        completion_tokens=answer.completion_tokens,
        latency_s=latency_s,
        timings=dict(answer.timings),
        cached=answer.cached,
        retrieval_mode=retrieval.mode if retrieval is not None else None,
        tables=tables,
        steps=steps or {},
        draw_seconds=tuple(d.seconds for d in answer.draws),
    )


def baseline_prediction(
    output: BaselineOutput,
    runner: SqlRunner,
    gold: GoldResult | None,
    *,
    row_limit: int,
    rounding: bool,
    question: str = "",
) -> Prediction:
    """Run the baseline's SQL read-only and score it; no retries, as in LangChain's chain."""
    failed = Prediction(
        sql=output.sql,
        correct=False,
        valid_sql=False,
        reason=output.error or NO_SQL,
        error=output.error or NO_SQL,
        prompt_tokens=output.prompt_tokens,
        completion_tokens=output.completion_tokens,
        latency_s=output.seconds,
        timings={"generate": output.seconds},
    )
    if output.error is not None or output.sql is None:
        return failed
    started = time.perf_counter()
    try:
        result = runner.run(output.sql, row_limit=row_limit)
    except KeskinubeError as exc:
        return _executed(failed, time.perf_counter() - started, reason=str(exc), error=str(exc))
    seconds = time.perf_counter() - started
    table = ResultTable.from_frame(result.frame)
    verdict = score(gold, table, rounding=rounding)
    return _executed(
        failed,
        seconds,
        reason=verdict.reason,
        error=None,
        correct=verdict.correct,
        correct_fair=score_fair(gold, table, question, rounding=rounding),
        valid_sql=True,
        rows=result.row_count,
    )


def _executed(base: Prediction, seconds: float, **changes: Any) -> Prediction:
    timings = {**base.timings, "execute": seconds}
    return replace(base, timings=timings, latency_s=sum(timings.values()), **changes)


def unavailable(reason: str) -> Prediction:
    """A prediction for a system that could not run at all on this database."""
    return Prediction(None, correct=False, valid_sql=False, reason=reason, error=reason)
