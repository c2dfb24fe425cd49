"""The monitoring figures from a fabricated stream of runs and votes, on SQLite and MariaDB:
counts per day and version, outcome shares, votes under the run they were given on,
percentiles of the wait and of each stage, the slowest and most failing questions, the
versions seen, and the CSV of it all."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from backend.domain import Actor
from backend.feedback import FeedbackStore
from backend.monitoring.figures import Figures, RunFilter
from backend.monitoring.runs import AnswerRun, Producer
from backend.monitoring.store import RunStore
from tests.support.auth_fixtures import ManualClock

DAY1, DAY2, DAY3 = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)
OLD = Producer("shop", "qwen", "d1d1d1d1d1d1d1d1", "aaaaaaaaaaaa", "full", "k1")
NEW = Producer("shop", "qwen", "d1d1d1d1d1d1d1d1", "bbbbbbbbbbbb", "full", "k2")
FAILS = "=HYPERLINK(1) how many?"  # a question a spreadsheet would run as a formula


class NoIndex:
    def index_examples(self, database: str, examples: Any, *, replace: bool = False) -> None:
        raise AssertionError("not expected")

    def remove_example(self, database: str, example: Any) -> None:
        raise AssertionError("not expected")


def run(producer: Producer, question: str, outcome: str, seconds: float) -> AnswerRun:
    timings = {"generate": seconds / 2, "execute": 0.1}
    return AnswerRun("ana", "page", question, outcome, producer, "hybrid", seconds=seconds,
                     timings=timings, prompt_tokens=100, completion_tokens=10)  # fmt: skip


@pytest.fixture
def store(app_engine: sa.Engine, clock: ManualClock) -> RunStore:
    """Day 1: the old prompt, 4 answered and one failure; day 2: the new prompt, 2
    answered and the same question failing again; day 3: one more, outside most ranges.
    A thumbs up on day 1's first run, a thumbs down on day 2's, and a vote on no run."""
    runs = RunStore(app_engine, clock=clock)
    votes = FeedbackStore(app_engine, index=NoIndex(), database="shop", clock=clock)
    clock.now = datetime.combine(DAY1, datetime.min.time()) + timedelta(hours=9)
    first = runs.record_run(run(OLD, "revenue?", "answered", 1.0))
    votes.thumbs_up("ana", "revenue?", "SELECT 1", run_id=first)
    for seconds in (2.0, 3.0, 4.0):
        clock.advance(minutes=5)
        runs.record_run(run(OLD, f"q{seconds}", "answered", seconds))
    runs.record_run(run(OLD, FAILS, "gave_up", 10.0))
    clock.now += timedelta(days=1)
    for question, outcome, seconds in (("a?", "answered", 1.0), ("b?", "empty", 2.0)):
        runs.record_run(run(NEW, question, outcome, seconds))
    failing = runs.record_run(run(NEW, FAILS, "db_error", 6.0))
    votes.thumbs_down(
        Actor("ana", "analyst"), FAILS, None, "wrong", forget=lambda *_: None, run_id=failing
    )
    votes.thumbs_up("bob", "own SQL", "SELECT 2")  # on no recorded run
    clock.now += timedelta(days=1)
    runs.record_run(run(NEW, "late?", "answered", 99.0))
    return runs


def two_days(**narrow: str) -> RunFilter:
    since = datetime.combine(DAY1, datetime.min.time())
    return RunFilter(since=since, until=since + timedelta(days=2), **narrow)


def rows(frame: Any, *columns: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in frame[list(columns)].itertuples(index=False)]


def test_questions_per_day_are_split_per_version(store: RunStore) -> None:
    figures = store.figures(two_days())
    assert rows(figures.questions, "day", "prompt_hash", "questions") == [
        (DAY1, "aaaaaaaaaaaa", 5),
        (DAY2, "bbbbbbbbbbbb", 3),
    ]
    assert set(figures.questions["model_digest"]) == {"d1d1d1d1d1d1d1d1"}
    everything = store.figures(RunFilter())
    assert list(everything.questions["questions"]) == [5, 3, 1]


def test_outcomes_are_shares_of_each_days_questions(store: RunStore) -> None:
    shares = {
        (day, outcome): (runs, share)
        for day, outcome, runs, share in rows(
            store.figures(two_days()).outcomes, "day", "outcome", "runs", "share"
        )
    }
    assert shares[(DAY1, "answered")] == (4, pytest.approx(0.8))
    assert shares[(DAY1, "gave_up")] == (1, pytest.approx(0.2))
    assert shares[(DAY2, "empty")] == (1, pytest.approx(1 / 3))
    assert shares[(DAY2, "db_error")] == (1, pytest.approx(1 / 3))


def test_votes_count_per_day_and_follow_the_version_of_their_run(store: RunStore) -> None:
    assert rows(store.figures(two_days()).votes, "day", "rating", "votes") == [
        (DAY1, "up", 1),
        (DAY2, "down", 1),
        (DAY2, "up", 1),  # the vote on no recorded run
    ]
    narrowed = store.figures(two_days(prompt_hash="bbbbbbbbbbbb"))
    assert rows(narrowed.votes, "day", "rating", "votes") == [(DAY2, "down", 1)]


def test_waits_and_stages_are_percentiles_per_version(store: RunStore) -> None:
    figures = store.figures(two_days())
    waits = rows(figures.waits, "day", "prompt_hash", "p50", "p95")
    assert waits == [
        (DAY1, "aaaaaaaaaaaa", pytest.approx(3.0), pytest.approx(8.8)),  # 1 2 3 4 10
        (DAY2, "bbbbbbbbbbbb", pytest.approx(2.0), pytest.approx(5.6)),  # 1 2 6
    ]
    stages = {
        (stage, prompt): (runs, p50)
        for stage, prompt, runs, p50 in rows(figures.stages, "stage", "prompt_hash", "runs", "p50")
    }
    assert stages[("total", "aaaaaaaaaaaa")] == (5, pytest.approx(3.0))
    assert stages[("generate", "aaaaaaaaaaaa")] == (5, pytest.approx(1.5))
    assert stages[("execute", "bbbbbbbbbbbb")] == (3, pytest.approx(0.1))


def test_the_slowest_and_the_most_failing_questions(store: RunStore) -> None:
    figures = store.figures(two_days(), top=2)
    assert rows(figures.slowest, "question", "seconds", "outcome") == [
        (FAILS, 10.0, "gave_up"),
        (FAILS, 6.0, "db_error"),
    ]
    assert rows(figures.failing, "question", "asked", "failed", "failed_share") == [
        (FAILS, 2, 2, 1.0)
    ]
    narrowed = store.figures(two_days(model="qwen", prompt_hash="aaaaaaaaaaaa"))
    assert rows(narrowed.failing, "question", "asked", "failed") == [(FAILS, 1, 1)]
    assert list(narrowed.questions["questions"]) == [5]


def test_the_versions_seen_and_offered_as_filters(store: RunStore) -> None:
    figures = store.figures(RunFilter())
    assert rows(figures.versions, "prompt_hash", "knowledge_version", "questions") == [
        ("aaaaaaaaaaaa", "k1", 5),
        ("bbbbbbbbbbbb", "k2", 4),
    ]
    assert store.versions(two_days()) == [("qwen", "aaaaaaaaaaaa"), ("qwen", "bbbbbbbbbbbb")]
    assert store.versions(RunFilter(since=datetime(2030, 1, 1))) == []


def test_the_csv_holds_every_figure_with_formulas_neutralised(store: RunStore) -> None:
    figures = store.figures(two_days())
    table = list(csv.DictReader(io.StringIO(figures.to_csv())))
    assert {row["figure"] for row in table} == {
        "questions", "outcomes", "votes", "waits", "stages", "slowest", "failing", "versions"
    }  # fmt: skip
    failing = [row for row in table if row["figure"] == "failing"]
    assert failing[0]["question"] == "'" + FAILS
    assert failing[0]["asked"] == "2"


def test_no_runs_make_empty_figures(app_engine: sa.Engine) -> None:
    figures = RunStore(app_engine).figures(RunFilter())
    assert isinstance(figures, Figures) and figures.empty
    names = ("waits", "stages", "failing", "far", "farthest")
    assert all(getattr(figures, name).empty for name in names)


def test_the_share_of_questions_far_from_the_knowledge_per_day(
    app_engine: sa.Engine, clock: ManualClock
) -> None:
    """A fabricated stream: day 1 near the knowledge (1 far of 4), day 2 drifting (2 of
    4), day 3 mostly off-topic (3 of 4); unmeasured questions (no embeddings) count in no
    share. The figure follows the threshold it is given and the version filter."""
    runs = RunStore(app_engine, clock=clock)
    clock.now = datetime.combine(DAY1, datetime.min.time()) + timedelta(hours=8)
    stream = {
        DAY1: [0.81, 0.74, 0.66, 0.31, None],
        DAY2: [0.79, 0.62, 0.42, 0.28],
        DAY3: [0.70, 0.45, 0.33, 0.12, None],
    }
    for day, similarities in stream.items():
        clock.now = datetime.combine(day, datetime.min.time()) + timedelta(hours=8)
        for n, similarity in enumerate(similarities):
            clock.advance(minutes=3)
            question = f"{day:%d} q{n}"
            producer = NEW if day == DAY3 else OLD
            runs.record_run(
                replace(run(producer, question, "answered", 1.0), similarity=similarity)
            )
    far = runs.figures(RunFilter(), far_below=0.5).far
    assert rows(far, "day", "measured", "far") == [(DAY1, 4, 1), (DAY2, 4, 2), (DAY3, 4, 3)]
    assert list(far["share"]) == pytest.approx([0.25, 0.5, 0.75])
    stricter = runs.figures(RunFilter(), far_below=0.3).far
    assert list(stricter["far"]) == [0, 1, 1]
    only_new = runs.figures(RunFilter(prompt_hash="bbbbbbbbbbbb"), far_below=0.5).far
    assert rows(only_new, "day", "far") == [(DAY3, 3)]
    farthest = runs.figures(RunFilter(), top=3).farthest
    assert rows(farthest, "question", "similarity") == [
        ("04 q3", pytest.approx(0.12)),
        ("03 q3", pytest.approx(0.28)),
        ("02 q3", pytest.approx(0.31)),
    ]
    table = csv.DictReader(io.StringIO(runs.figures(RunFilter()).to_csv()))
    assert [row["share"] for row in table if row["figure"] == "far"] == ["0.25", "0.5", "0.75"]
