"""The demo golden sets: well formed, and every gold query runs and agrees on every database.

The gold SQL is meant to be portable, so the same query on a generated demo database must
give the same result on SQLite and on MariaDB — compared with the scorer itself, numbers
without the rounding allowance. PostgreSQL runs a question's `gold_sql_postgresql` where
it has one (the rest as is) and must give MariaDB's results too. A small demo (2,000
orders) keeps this fast. The queries of both sets over the demo schema are run:
`demo.jsonl` and the scale benchmark's `scale.jsonl` (the Spanish sets share their gold
SQL, checked by unit tests).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.adapters.sql_runner import SqlAlchemySqlRunner, create_database_engine
from backend.demo import load_examples
from backend.dialects import MYSQL, POSTGRESQL
from demo_data import build_demo_database
from evaluation.gold import GoldResult, run_gold
from evaluation.scoring import compare_results
from evaluation.sets import DIFFICULTIES, GoldSet, load_set

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "bench" / "golden"
GOLDEN = GOLDEN_DIR / "demo.jsonl"
RUN_SETS = ("demo.jsonl", "scale.jsonl")
ORDERS = 2000
ROW_LIMIT = 10_000
# Questions allowed to return no rows on the small demo database (none so far).
MAY_BE_EMPTY: frozenset[str] = frozenset()
REQUIRED_SKILLS = {
    "filter",
    "join",
    "group-by",
    "date-range",
    "top-n",
    "ratio",
    "window",
    "null-handling",
    "follow-up",
}


@pytest.fixture(scope="module")
def golden() -> GoldSet:
    return load_set(GOLDEN)


@pytest.fixture(scope="module", params=RUN_SETS)
def runnable(request: pytest.FixtureRequest) -> GoldSet:
    """Each set whose gold SQL runs on the demo database."""
    return load_set(GOLDEN_DIR / request.param)


@pytest.fixture(scope="module")
def sqlite_runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlAlchemySqlRunner]:
    url = f"sqlite:///{tmp_path_factory.mktemp('golden') / 'demo.sqlite'}"
    build_demo_database(url, orders=ORDERS)
    engine = create_database_engine(url)
    yield SqlAlchemySqlRunner(engine, timeout_s=30)
    engine.dispose()


def _run_all(runner: SqlAlchemySqlRunner, golden: GoldSet) -> dict[str, GoldResult]:
    return {
        q.id: run_gold(runner, q.gold_sql, dialect=runner.dialect, row_limit=ROW_LIMIT)
        for q in golden.questions
    }


def test_golden_set_has_60_tagged_questions_with_follow_ups(golden: GoldSet) -> None:
    questions = golden.questions
    assert len(questions) >= 60
    assert all(q.difficulty in DIFFICULTIES for q in questions)
    assert all(sum(t in DIFFICULTIES for t in q.tags) == 1 for q in questions)
    assert all(q.skills for q in questions)
    assert {skill for q in questions for skill in q.skills} >= REQUIRED_SKILLS
    follow_ups = [q for q in questions if q.previous_id]
    assert len(follow_ups) >= 6
    assert all("follow-up" in q.tags for q in follow_ups)
    assert {q.difficulty for q in questions} == set(DIFFICULTIES)


def test_golden_set_does_not_copy_the_few_shot_examples(golden: GoldSet) -> None:
    def squash(text: str) -> str:
        return " ".join(text.lower().split())

    examples = load_examples()
    example_questions = {squash(e.question) for e in examples}
    example_sql = {squash(e.sql) for e in examples}
    for question in golden.questions:
        assert squash(question.question) not in example_questions, question.id
        assert squash(question.gold_sql) not in example_sql, question.id


def test_every_gold_query_runs_on_sqlite_and_returns_rows(
    runnable: GoldSet, sqlite_runner: SqlAlchemySqlRunner
) -> None:
    results = _run_all(sqlite_runner, runnable)
    empty = {qid for qid, result in results.items() if not result.table.rows}
    assert empty <= MAY_BE_EMPTY, f"gold queries without rows: {sorted(empty)}"
    assert not any(result.truncated for result in results.values())


@pytest.mark.mariadb
def test_gold_queries_agree_between_sqlite_and_mariadb(
    runnable: GoldSet, sqlite_runner: SqlAlchemySqlRunner, mysql_url: str
) -> None:
    build_demo_database(mysql_url, orders=ORDERS)
    engine = create_database_engine(mysql_url)
    try:
        on_mariadb = _run_all(SqlAlchemySqlRunner(engine, timeout_s=30), runnable)
    finally:
        engine.dispose()
    on_sqlite = _run_all(sqlite_runner, runnable)
    disagreements = {}
    for qid, expected in on_sqlite.items():
        verdict = compare_results(
            expected.table, on_mariadb[qid].table, expected.order, rounding=False
        )
        if not verdict.correct:
            disagreements[qid] = verdict.reason
    assert not disagreements


def _run_on(url: str, golden: GoldSet) -> dict[str, GoldResult]:
    build_demo_database(url, orders=ORDERS)
    engine = create_database_engine(url)
    try:
        return _run_all(SqlAlchemySqlRunner(engine, timeout_s=30), golden)
    finally:
        engine.dispose()


@pytest.mark.mariadb
@pytest.mark.postgresql
@pytest.mark.parametrize("name", RUN_SETS)
def test_gold_queries_agree_between_mariadb_and_postgresql(
    name: str, mysql_url: str, postgres_url: str
) -> None:
    on_postgresql = load_set(GOLDEN_DIR / name, dialect=POSTGRESQL)
    assert on_postgresql.dialect_gold_field == "gold_sql_postgresql"
    on_mariadb = _run_on(mysql_url, load_set(GOLDEN_DIR / name, dialect=MYSQL))
    disagreements = {}
    for qid, actual in _run_on(postgres_url, on_postgresql).items():
        expected = on_mariadb[qid]
        verdict = compare_results(expected.table, actual.table, expected.order, rounding=False)
        if not verdict.correct:
            disagreements[qid] = verdict.reason
    assert not disagreements
