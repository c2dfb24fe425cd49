"""Running gold queries on a real database: ties and LIMIT cuts learned from the data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from backend.adapters.sql_runner import SqlAlchemySqlRunner, create_database_engine
from backend.errors import QueryFailed
from evaluation.gold import run_gold
from evaluation.scoring import ResultTable, compare_results

SINGERS = [
    ("ann", 40, "FR"),
    ("bob", 30, "ES"),
    ("cid", 30, "ES"),
    ("eve", 30, "DE"),
    ("dan", 20, "FR"),
]


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlAlchemySqlRunner]:
    path = Path(tmp_path_factory.mktemp("gold")) / "singers.sqlite"
    engine = create_database_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE singer (name TEXT, age INTEGER, country TEXT)")
        conn.execute(
            sa.text("INSERT INTO singer VALUES (:n, :a, :c)"),
            [{"n": n, "a": a, "c": c} for n, a, c in SINGERS],
        )
    yield SqlAlchemySqlRunner(engine, timeout_s=5)
    engine.dispose()


def predicted(runner: SqlAlchemySqlRunner, sql: str) -> ResultTable:
    return ResultTable.from_frame(runner.run(sql, row_limit=100).frame)


def score(runner: SqlAlchemySqlRunner, gold_sql: str, predicted_sql: str) -> bool:
    gold = run_gold(runner, gold_sql, dialect="sqlite", row_limit=100)
    return compare_results(gold.table, predicted(runner, predicted_sql), gold.order).correct


def test_unordered_gold_accepts_any_order(runner: SqlAlchemySqlRunner) -> None:
    gold = run_gold(runner, "SELECT name FROM singer", dialect="sqlite", row_limit=100)
    assert not gold.order.ordered and len(gold.table.rows) == 5
    assert score(runner, "SELECT name FROM singer", "SELECT name FROM singer ORDER BY name DESC")


def test_ordered_gold_with_keys_not_in_the_output_tolerates_ties(
    runner: SqlAlchemySqlRunner,
) -> None:
    gold_sql = "SELECT name FROM singer ORDER BY age DESC"
    gold = run_gold(runner, gold_sql, dialect="sqlite", row_limit=100)
    assert gold.table.columns == ("name",)
    assert gold.order.row_keys == ((40.0,), (30.0,), (30.0,), (30.0,), (20.0,))
    assert score(runner, gold_sql, "SELECT name FROM singer ORDER BY age DESC, name DESC")
    assert not score(runner, gold_sql, "SELECT name FROM singer ORDER BY age ASC")


def test_limit_through_ties_accepts_any_of_the_tied_rows(runner: SqlAlchemySqlRunner) -> None:
    gold_sql = "SELECT name, age FROM singer ORDER BY age DESC LIMIT 2"
    gold = run_gold(runner, gold_sql, dialect="sqlite", row_limit=100)
    assert len(gold.table.rows) == 2
    assert gold.order.tail_pool is not None and len(gold.order.tail_pool) == 3
    for other in ("bob", "cid", "eve"):
        sql = f"SELECT name, age FROM singer WHERE name IN ('ann', '{other}') ORDER BY age DESC"
        assert score(runner, gold_sql, sql)
    assert not score(runner, gold_sql, "SELECT name, age FROM singer ORDER BY age LIMIT 2")


def test_limit_one_tie_without_key_in_the_output(runner: SqlAlchemySqlRunner) -> None:
    gold_sql = "SELECT country FROM singer WHERE age = 30 ORDER BY age LIMIT 1"
    assert score(runner, gold_sql, "SELECT 'DE' AS country")
    assert not score(runner, gold_sql, "SELECT 'FR' AS country")


def test_order_by_alias_of_an_aggregate(runner: SqlAlchemySqlRunner) -> None:
    gold_sql = (
        "SELECT country, COUNT(*) AS singers FROM singer GROUP BY country "
        "ORDER BY singers DESC LIMIT 2"
    )
    gold = run_gold(runner, gold_sql, dialect="sqlite", row_limit=100)
    assert gold.table.columns == ("country", "singers")
    # ES has 3, then FR (2) — DE (1) is not tied with FR, so it may not replace it
    assert score(
        runner, gold_sql, "SELECT COUNT(*), country FROM singer GROUP BY 2 ORDER BY 1 DESC LIMIT 2"
    )
    assert not score(
        runner, gold_sql, "SELECT country, COUNT(*) FROM singer GROUP BY 1 ORDER BY 2 LIMIT 2"
    )


def test_gold_that_fails_raises_query_failed(runner: SqlAlchemySqlRunner) -> None:
    with pytest.raises(QueryFailed, match="no such column"):
        run_gold(runner, "SELECT height FROM singer ORDER BY height", dialect="sqlite", row_limit=9)
