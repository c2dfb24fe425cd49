"""The monitoring figures, read from the app database: counts in SQL, percentiles here.

Counts per day (questions, outcomes, votes), the slowest and the most failing questions
and the versions seen are SQL aggregates, the same on SQLite and MariaDB. Percentiles
of seconds have no portable SQL, so the seconds and stage timings of the matching runs
are read and reduced here (pandas' linear interpolation, as numpy's).

Questions, waits and stage timings are split per *version* — model, model digest and
prompt hash — so that a change of any of them shows as a step; a filter on a model or a
prompt hash narrows every figure, votes included (a vote counts under the run it was
given on; votes given on no recorded run show only without such a filter). Days are UTC.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from appdb.clock import to_utc_naive
from appdb.tables import answer_feedback, answer_runs
from backend.csv_cells import QUOTING, neutralise_cell
from backend.monitoring.outcome import FAILED
from backend.monitoring.runs import TOTAL

VERSION = ("model", "model_digest", "prompt_hash")
runs = answer_runs.c


@dataclass(frozen=True)
class RunFilter:
    """Which runs count: `since` inclusive, `until` exclusive; None matches everything."""

    since: datetime | None = None
    until: datetime | None = None
    model: str | None = None
    prompt_hash: str | None = None


@dataclass(frozen=True)
class Figures:
    """What the monitoring page shows; one frame per chart or table (columns below)."""

    questions: pd.DataFrame  # day, model, model_digest, prompt_hash, questions
    outcomes: pd.DataFrame  # day, outcome, runs, share (of the day's questions)
    votes: pd.DataFrame  # day, rating (up | down), votes
    waits: pd.DataFrame  # day, model, model_digest, prompt_hash, p50, p95 (seconds)
    stages: pd.DataFrame  # stage, model, model_digest, prompt_hash, runs, p50, p95
    slowest: (
        pd.DataFrame
    )  # at, question, source, outcome, model, model_digest, prompt_hash, seconds
    failing: pd.DataFrame  # question, asked, failed, failed_share, last_at
    versions: pd.DataFrame  # model, model_digest, prompt_hash, knowledge_version, first_at, ...
    far: pd.DataFrame  # day, measured, far, share (of the measured questions)
    farthest: pd.DataFrame  # at, question, similarity: the least similar measured questions

    @property
    def empty(self) -> bool:
        return self.questions.empty and self.votes.empty

    def to_csv(self) -> str:
        """Every figure in one CSV, a `figure` column naming each row's; text neutralised
        against spreadsheet formulas like every export."""
        frames = {f.name: getattr(self, f.name) for f in fields(self)}
        columns = ["figure", *dict.fromkeys(c for frame in frames.values() for c in frame.columns)]
        out = io.StringIO()
        writer = csv.DictWriter(out, columns, restval="", quoting=QUOTING)
        writer.writeheader()
        for name, frame in frames.items():
            for row in frame.to_dict("records"):
                cells = {str(k): "" if pd.isna(v) else neutralise_cell(v) for k, v in row.items()}
                writer.writerow({"figure": name, **cells})
        return out.getvalue()


def figures(
    conn: sa.Connection, filters: RunFilter, *, top: int = 10, far_below: float = 0.5
) -> Figures:
    """Every figure for `filters`; `top`: rows of the slowest, most failing and farthest
    tables; `far_below`: the similarity under which a question counts as far from the
    knowledge (QUESTION_DRIFT_SIMILARITY)."""
    timed = _timed(conn, filters)
    return Figures(
        questions=_questions(conn, filters),
        outcomes=_outcomes(conn, filters),
        votes=_votes(conn, filters),
        waits=_waits(timed),
        stages=_stages(timed),
        slowest=_slowest(conn, filters, top),
        failing=_failing(conn, filters, top),
        versions=versions(conn, filters),
        far=_far(conn, filters, far_below),
        farthest=_farthest(conn, filters, top),
    )


def versions(conn: sa.Connection, filters: RunFilter) -> pd.DataFrame:
    """Each version and knowledge version seen, with its first and last run, oldest first."""
    keys = [runs.model, runs.model_digest, runs.prompt_hash, runs.knowledge_version]
    first = sa.func.min(runs.at)
    query = (
        sa.select(
            *keys,
            first.label("first_at"),
            sa.func.max(runs.at).label("last_at"),
            sa.func.count().label("questions"),
        )
        .where(*_conditions(filters))
        .group_by(*keys)
        .order_by(first, *keys)
    )
    return _frame(
        conn,
        query,
        [
            "model",
            "model_digest",
            "prompt_hash",
            "knowledge_version",
            "first_at",
            "last_at",
            "questions",
        ],
    )


def _conditions(
    filters: RunFilter, at: sa.ColumnElement[Any] | None = None
) -> list[sa.ColumnElement[bool]]:
    """The filter's conditions on the runs; the date range on `at` (default: the run's)."""
    at = runs.at if at is None else at
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.since is not None:
        conditions.append(at >= to_utc_naive(filters.since))
    if filters.until is not None:
        conditions.append(at < to_utc_naive(filters.until))
    if filters.model is not None:
        conditions.append(runs.model == filters.model)
    if filters.prompt_hash is not None:
        conditions.append(runs.prompt_hash == filters.prompt_hash)
    return conditions


def _day(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    # DATE() on both: a date on MariaDB, 'YYYY-MM-DD' text on SQLite (`_frame` reads both).
    return sa.func.date(column).label("day")


def _questions(conn: sa.Connection, filters: RunFilter) -> pd.DataFrame:
    day = _day(runs.at)
    version = [runs.model, runs.model_digest, runs.prompt_hash]
    query = (
        sa.select(day, *version, sa.func.count().label("questions"))
        .where(*_conditions(filters))
        .group_by(day, *version)
        .order_by(day, *version)
    )
    return _frame(conn, query, ["day", *VERSION, "questions"])


def _outcomes(conn: sa.Connection, filters: RunFilter) -> pd.DataFrame:
    day = _day(runs.at)
    query = (
        sa.select(day, runs.outcome, sa.func.count().label("runs"))
        .where(*_conditions(filters))
        .group_by(day, runs.outcome)
        .order_by(day, runs.outcome)
    )
    frame = _frame(conn, query, ["day", "outcome", "runs"])
    totals = frame.groupby("day")["runs"].transform("sum")
    return frame.assign(share=frame["runs"] / totals if len(frame) else 0.0)


def _votes(conn: sa.Connection, filters: RunFilter) -> pd.DataFrame:
    votes = answer_feedback.c
    day = _day(votes.at)
    conditions = _conditions(filters, votes.at)
    query = (
        sa.select(day, votes.rating, sa.func.count().label("votes"))
        .select_from(answer_feedback.outerjoin(answer_runs, votes.run_id == runs.id))
        .where(*conditions)
        .group_by(day, votes.rating)
        .order_by(day, votes.rating)
    )
    return _frame(conn, query, ["day", "rating", "votes"])


def _timed(conn: sa.Connection, filters: RunFilter) -> pd.DataFrame:
    """Each matching run's day, version, whole wait and stage timings (one row a run)."""
    query = sa.select(runs.at, *(runs[c] for c in VERSION), runs.seconds, runs.timings).where(
        *_conditions(filters)
    )
    frame = _frame(conn, query, ["at", *VERSION, "seconds", "timings"])
    return frame.assign(day=[moment.date() for moment in frame["at"]])


def _waits(timed: pd.DataFrame) -> pd.DataFrame:
    """p50 and p95 of the whole wait, per day and version."""
    columns = ["day", *VERSION, "p50", "p95"]
    if timed.empty:
        return pd.DataFrame(columns=columns)
    return _percentiles(timed, ["day", *VERSION], "seconds")[columns]


def _stages(timed: pd.DataFrame) -> pd.DataFrame:
    """p50 and p95 per stage and version, over the runs that went through the stage;
    `TOTAL` is the whole wait."""
    columns = ["stage", *VERSION, "runs", "p50", "p95"]
    rows: list[dict[str, object]] = []
    keys = zip(*(timed[name] for name in VERSION), strict=True)
    versions = [dict(zip(VERSION, key, strict=True)) for key in keys]
    for version, seconds, stored in zip(versions, timed["seconds"], timed["timings"], strict=True):
        rows.append({"stage": TOTAL, **version, "seconds": float(seconds)})
        for stage, spent in _timings(str(stored)).items():
            rows.append({"stage": stage, **version, "seconds": spent})
    if not rows:
        return pd.DataFrame(columns=columns)
    return _percentiles(pd.DataFrame(rows), ["stage", *VERSION], "seconds")[columns]


def _percentiles(frame: pd.DataFrame, keys: list[str], value: str) -> pd.DataFrame:
    # NULL digests are a version of their own: grouping must not drop them.
    grouped = frame.groupby(keys, dropna=False, sort=True)[value]
    result = pd.DataFrame(
        {"runs": grouped.size(), "p50": grouped.quantile(0.5), "p95": grouped.quantile(0.95)}
    )
    return result.reset_index()


def _timings(stored: str) -> dict[str, float]:
    try:
        loaded = json.loads(stored)
    except ValueError:
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {str(k): float(v) for k, v in loaded.items() if isinstance(v, int | float)}


def _slowest(conn: sa.Connection, filters: RunFilter, top: int) -> pd.DataFrame:
    columns = ["at", "question", "source", "outcome", *VERSION, "seconds"]
    query = (
        sa.select(*(runs[c] for c in columns))
        .where(*_conditions(filters))
        .order_by(runs.seconds.desc(), runs.id.desc())
        .limit(top)
    )
    return _frame(conn, query, columns)


def _failing(conn: sa.Connection, filters: RunFilter, top: int) -> pd.DataFrame:
    """The questions that failed most often (`outcome.FAILED`), with how often asked."""
    failed = sa.func.sum(sa.case((runs.outcome.in_(FAILED), 1), else_=0))
    asked = sa.func.count()
    query = (
        sa.select(
            runs.question,
            asked.label("asked"),
            failed.label("failed"),
            sa.func.max(runs.at).label("last_at"),
        )
        .where(*_conditions(filters))
        .group_by(runs.question)
        .having(failed > 0)
        .order_by(failed.desc(), asked.desc(), runs.question)
        .limit(top)
    )
    frame = _frame(conn, query, ["question", "asked", "failed", "last_at"])
    frame = frame.assign(failed=frame["failed"].astype(int), asked=frame["asked"].astype(int))
    share = frame["failed"] / frame["asked"] if len(frame) else 0.0
    return frame.assign(failed_share=share)[
        ["question", "asked", "failed", "failed_share", "last_at"]
    ]


def _far(conn: sa.Connection, filters: RunFilter, far_below: float) -> pd.DataFrame:
    """Per day, the questions whose nearness was measured and how many of them were far
    from every indexed table and reviewed example (similarity under `far_below`)."""
    day = _day(runs.at)
    far = sa.func.sum(sa.case((runs.similarity < far_below, 1), else_=0))
    query = (
        sa.select(day, sa.func.count().label("measured"), far.label("far"))
        .where(*_conditions(filters), runs.similarity.is_not(None))
        .group_by(day)
        .order_by(day)
    )
    frame = _frame(conn, query, ["day", "measured", "far"])
    frame = frame.assign(measured=frame["measured"].astype(int), far=frame["far"].astype(int))
    return frame.assign(share=frame["far"] / frame["measured"] if len(frame) else 0.0)


def _farthest(conn: sa.Connection, filters: RunFilter, top: int) -> pd.DataFrame:
    """The measured questions least similar to anything indexed, least similar first."""
    columns = ["at", "question", "similarity"]
    query = (
        sa.select(runs.at, runs.question, runs.similarity)
        .where(*_conditions(filters), runs.similarity.is_not(None))
        .order_by(runs.similarity, runs.id.desc())
        .limit(top)
    )
    frame = _frame(conn, query, columns)
    return frame.assign(similarity=frame["similarity"].astype(float))


def _frame(conn: sa.Connection, query: sa.Select[Any], columns: list[str]) -> pd.DataFrame:
    """The rows of `query` as a frame with `columns`; SQLite's text days read as dates."""
    rows = [tuple(row) for row in conn.execute(query)]
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    if "day" in frame.columns:
        frame["day"] = [_as_date(value) for value in frame["day"]]
    for name in ("questions", "runs", "votes", "asked"):
        if name in frame.columns:
            frame[name] = frame[name].astype(int)
    if "seconds" in frame.columns:
        frame["seconds"] = frame["seconds"].astype(float)
    return frame


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
