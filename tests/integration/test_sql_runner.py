"""The SQL runner on real MariaDB, PostgreSQL and SQLite: typing, row cap, time limit,
read-only, and the same layers when it streams chunks (`stream`, for the CSV export)."""

from __future__ import annotations

import socket
from collections.abc import Generator, Iterator
from pathlib import Path

import pandas as pd
import pytest

from backend.adapters.sql_runner import SqlAlchemySqlRunner, create_database_engine
from backend.errors import DatabaseUnavailable, QueryFailed, QueryTimeout

SETUP = [
    "CREATE TABLE sales (id INTEGER PRIMARY KEY, region VARCHAR(20), amount DECIMAL(10,2),"
    " sold_on DATE)",
    "INSERT INTO sales VALUES (1, 'north', 10.50, '2025-01-02'), (2, 'south', 20.25,"
    " '2025-02-03'), (3, 'north', NULL, '2025-03-04'), (4, 'east', 5.00, NULL)",
]

SLOW_SQL = {
    "mysql": "SELECT COUNT(*) FROM information_schema.columns a, information_schema.columns b,"
    " information_schema.columns c",
    "postgresql": "SELECT pg_sleep(5)",
    "sqlite": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)"
    " SELECT COUNT(*) FROM n",
}


@pytest.fixture(
    params=["sqlite", "mysql", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def runner(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlAlchemySqlRunner]:
    if request.param == "mysql":
        url = request.getfixturevalue("mysql_url")
    elif request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'sales.sqlite'}"
    engine = create_database_engine(url)
    with engine.begin() as conn:
        for statement in SETUP:
            conn.exec_driver_sql(statement)
    yield SqlAlchemySqlRunner(engine, timeout_s=1.0)
    engine.dispose()


def test_runner_returns_typed_frame(runner: SqlAlchemySqlRunner) -> None:
    result = runner.run("SELECT region, amount, sold_on FROM sales ORDER BY id", row_limit=10)
    frame = result.frame
    assert list(frame.columns) == ["region", "amount", "sold_on"]
    assert frame["region"].dtype == "string"
    assert frame["amount"].dtype == "float64"
    assert frame["amount"].iloc[1] == pytest.approx(20.25)
    assert result.truncated is False
    assert result.row_count == 4


def test_runner_dates_become_datetimes_on_servers(runner: SqlAlchemySqlRunner) -> None:
    frame = runner.run("SELECT sold_on FROM sales WHERE sold_on IS NOT NULL", row_limit=10).frame
    if runner.dialect in ("mysql", "postgresql"):
        assert str(frame["sold_on"].dtype).startswith("datetime64")
    else:  # SQLite stores dates as text
        assert frame["sold_on"].dtype == "string"


def test_runner_caps_rows_and_flags_truncation(runner: SqlAlchemySqlRunner) -> None:
    result = runner.run("SELECT id FROM sales ORDER BY id", row_limit=2)
    assert result.frame["id"].tolist() == [1, 2]
    assert result.truncated is True


def test_runner_keeps_duplicate_column_names_apart(runner: SqlAlchemySqlRunner) -> None:
    frame = runner.run(
        "SELECT a.id, b.id FROM sales a JOIN sales b ON a.id = b.id", row_limit=5
    ).frame
    assert list(frame.columns) == ["id", "id_2"]


def test_runner_stops_a_slow_query(runner: SqlAlchemySqlRunner) -> None:
    runner.timeout_s = 0.3
    with pytest.raises(QueryTimeout, match=r"longer than 0\.3 s"):
        runner.run(SLOW_SQL[runner.dialect], row_limit=10)
    # The connection is still usable afterwards.
    assert runner.run("SELECT COUNT(*) AS n FROM sales", row_limit=1).frame["n"].iloc[0] == 4


@pytest.mark.parametrize(
    "statement",
    ["INSERT INTO sales VALUES (9, 'west', 1, NULL)", "DELETE FROM sales", "DROP TABLE sales"],
)
def test_runner_refuses_writes_even_without_the_guard(
    runner: SqlAlchemySqlRunner, statement: str
) -> None:
    with pytest.raises(QueryFailed):
        runner.run(statement, row_limit=1)
    assert runner.run("SELECT COUNT(*) AS n FROM sales", row_limit=1).frame["n"].iloc[0] == 4


def test_runner_reports_sql_errors_with_the_database_message(runner: SqlAlchemySqlRunner) -> None:
    with pytest.raises(QueryFailed, match=r"no_such_column|no such column|Unknown column"):
        runner.run("SELECT no_such_column FROM sales", row_limit=1)


@pytest.mark.parametrize("scheme", ["mysql+pymysql://root", "postgresql+psycopg://postgres"])
def test_runner_reports_a_dead_database(scheme: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    engine = create_database_engine(f"{scheme}@127.0.0.1:{port}/nothing")
    runner = SqlAlchemySqlRunner(engine, timeout_s=1)
    with pytest.raises(DatabaseUnavailable, match="isn't reachable"):
        runner.run("SELECT 1", row_limit=1)


def drain(chunks: Generator[pd.DataFrame, None, bool]) -> tuple[list[pd.DataFrame], bool]:
    """Every frame of a `stream`, and its return value (whether the cap cut the rows)."""
    frames = []
    while True:
        try:
            frames.append(next(chunks))
        except StopIteration as end:
            return frames, end.value


def values(frame: pd.DataFrame) -> list[list[object]]:
    return [
        [None if pd.isna(value) else value for value in row]
        for row in frame.astype(object).itertuples(index=False)
    ]


def test_runner_streams_chunks_typed_like_run(runner: SqlAlchemySqlRunner) -> None:
    sql = "SELECT region, amount, sold_on FROM sales ORDER BY id"
    frames, truncated = drain(runner.stream(sql, row_limit=10, chunk_rows=3))
    assert [len(frame) for frame in frames] == [3, 1] and truncated is False
    # Each chunk is typed on its own (the last one, a NULL date alone, stays object; on
    # SQLite its 5.00 is the integer 5), so compare the values.
    assert values(pd.concat(frames)) == values(runner.run(sql, row_limit=10).frame)
    assert frames[0]["region"].dtype == "string" and frames[0]["amount"].dtype == "float64"


def test_runner_stream_stops_at_the_cap_and_says_so(runner: SqlAlchemySqlRunner) -> None:
    frames, truncated = drain(runner.stream("SELECT id FROM sales", row_limit=3, chunk_rows=2))
    assert [len(frame) for frame in frames] == [2, 1] and truncated is True
    frames, truncated = drain(runner.stream("SELECT id FROM sales", row_limit=4, chunk_rows=2))
    assert [len(frame) for frame in frames] == [2, 2] and truncated is False


def test_runner_stream_of_no_rows_yields_the_columns(runner: SqlAlchemySqlRunner) -> None:
    frames, truncated = drain(
        runner.stream("SELECT id, region FROM sales WHERE id < 0", row_limit=5, chunk_rows=2)
    )
    assert len(frames) == 1 and frames[0].empty and truncated is False
    assert list(frames[0].columns) == ["id", "region"]


def test_runner_stream_closed_early_leaves_the_connection_usable(
    runner: SqlAlchemySqlRunner,
) -> None:
    chunks = runner.stream("SELECT id FROM sales ORDER BY id", row_limit=4, chunk_rows=1)
    assert next(chunks)["id"].tolist() == [1]
    chunks.close()
    assert runner.run("SELECT COUNT(*) AS n FROM sales", row_limit=1).frame["n"].iloc[0] == 4


def test_runner_stream_stops_a_slow_query(runner: SqlAlchemySqlRunner) -> None:
    runner.timeout_s = 0.3
    with pytest.raises(QueryTimeout, match=r"longer than 0\.3 s"):
        drain(runner.stream(SLOW_SQL[runner.dialect], row_limit=10, chunk_rows=5))
    assert runner.run("SELECT COUNT(*) AS n FROM sales", row_limit=1).frame["n"].iloc[0] == 4


def test_runner_stream_refuses_writes_even_without_the_guard(
    runner: SqlAlchemySqlRunner,
) -> None:
    with pytest.raises(QueryFailed):
        drain(runner.stream("DELETE FROM sales", row_limit=1, chunk_rows=1))
    assert runner.run("SELECT COUNT(*) AS n FROM sales", row_limit=1).frame["n"].iloc[0] == 4
