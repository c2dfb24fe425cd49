"""The runner bounds a result in bytes, not only rows (real MariaDB and SQLite).

Huge cells are cut to `cell_max_bytes` and end with the marker; fetching stops at
`result_max_bytes` (the page) or `stream_max_bytes` (the export), and the result says it
was cut. Sizes are measured on the returned frames, never by time.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from backend.adapters.sql_runner import (
    TRUNCATION_MARKER,
    SqlAlchemySqlRunner,
    bounded_row,
    create_database_engine,
)

MB = 1_000_000
ROWS = {
    "mysql": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows})"
    " SELECT i, {value} AS v FROM n",
    "sqlite": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows})"
    " SELECT i, {value} AS v FROM n",
}
REPEAT = {
    "mysql": "REPEAT('{char}', {count})",
    "sqlite": "replace(hex(zeroblob({count})), '00', '{char}')",
}


def big_rows(dialect: str, rows: int, count: int, char: str = "x") -> str:
    value = REPEAT[dialect].format(char=char, count=count)
    return ROWS[dialect].format(rows=rows, value=value)


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mariadb)])
def runner(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlAlchemySqlRunner]:
    if request.param == "mysql":
        url = request.getfixturevalue("mysql_url")
    else:
        url = f"sqlite:///{tmp_path / 'big.sqlite'}"
    engine = create_database_engine(url)
    yield SqlAlchemySqlRunner(
        engine,
        timeout_s=30,
        cell_max_bytes=10_000,
        result_max_bytes=2 * MB,
        stream_max_bytes=3 * MB,
    )
    engine.dispose()


def frame_bytes(frame: pd.DataFrame) -> int:
    return int(frame.memory_usage(deep=True).sum())


def test_a_thousand_100kb_values_stay_small(runner: SqlAlchemySqlRunner) -> None:
    result = runner.run(big_rows(runner.dialect, 1000, 100_000), row_limit=1000)
    cells = result.frame["v"]
    assert cells.str.len().max() <= 10_000
    assert cells.str.endswith(TRUNCATION_MARKER).all()
    # ~10 KB a row: the 2 MB bound stops the fetch at ~200 of the 1000 rows.
    assert 150 <= result.row_count <= 210
    assert result.truncated
    assert frame_bytes(result.frame) < 4 * MB  # 100 MB uncut


@pytest.mark.parametrize("size", [1 * MB, 4 * MB])
def test_a_few_huge_values_are_cut(runner: SqlAlchemySqlRunner, size: int) -> None:
    result = runner.run(big_rows(runner.dialect, 3, size), row_limit=10)
    assert result.row_count == 3
    assert not result.truncated
    assert frame_bytes(result.frame) < 200_000
    assert all(len(v.encode()) <= 10_000 for v in result.frame["v"])


def test_multibyte_text_is_cut_on_a_character_boundary(runner: SqlAlchemySqlRunner) -> None:
    result = runner.run(big_rows(runner.dialect, 2, 50_000, char="é"), row_limit=10)
    for value in result.frame["v"]:
        assert len(value.encode("utf-8")) <= 10_000
        assert value.endswith(TRUNCATION_MARKER)
        assert set(value.removesuffix(TRUNCATION_MARKER)) == {"é"}


@pytest.mark.parametrize("size", [10, 2_000, 9_999, 10_000])
def test_values_within_the_bound_are_untouched(runner: SqlAlchemySqlRunner, size: int) -> None:
    result = runner.run(big_rows(runner.dialect, 5, size), row_limit=10)
    assert result.frame["v"].tolist() == ["x" * size] * 5
    assert result.row_count == 5 and not result.truncated


def test_many_small_rows_still_stop_at_the_row_cap(runner: SqlAlchemySqlRunner) -> None:
    result = runner.run(big_rows(runner.dialect, 50, 10), row_limit=20)
    assert result.row_count == 20 and result.truncated


def test_stream_cuts_cells_and_stops_at_its_byte_bound(runner: SqlAlchemySqlRunner) -> None:
    chunks = runner.stream(big_rows(runner.dialect, 2000, 50_000), row_limit=5000, chunk_rows=500)
    frames: list[pd.DataFrame] = []
    while True:
        try:
            frames.append(next(chunks))
        except StopIteration as end:
            truncated = end.value
            break
    assert truncated is True
    assert max(frame_bytes(f) for f in frames) < 3 * MB  # no chunk past result_max_bytes
    rows = sum(len(f) for f in frames)
    assert 250 <= rows <= 320  # 3 MB of ~10 KB rows, not 2000
    assert all(f["v"].str.len().max() <= 10_000 for f in frames)


def test_stream_without_big_cells_is_unchanged(runner: SqlAlchemySqlRunner) -> None:
    chunks = runner.stream(big_rows(runner.dialect, 30, 5), row_limit=100, chunk_rows=7)
    sizes = []
    while True:
        try:
            sizes.append(len(next(chunks)))
        except StopIteration as end:
            assert end.value is False
            break
    assert sizes == [7, 7, 7, 7, 2]


@pytest.mark.mariadb
def test_binary_cells_are_cut_too(mysql_url: str) -> None:
    engine = create_database_engine(mysql_url)
    runner = SqlAlchemySqlRunner(engine, timeout_s=30, cell_max_bytes=1000)
    try:
        frame = runner.run("SELECT UNHEX(REPEAT('ab', 100000)) AS b", row_limit=1).frame
    finally:
        engine.dispose()
    value = frame["b"].iloc[0]
    assert isinstance(value, bytes) and len(value) == 1000
    assert value.endswith(TRUNCATION_MARKER.encode())


def test_bounded_row_counts_what_it_keeps() -> None:
    row, size = bounded_row(("a" * 50, b"b" * 50, 7, None), cell_max_bytes=20)
    assert len(row[0].encode()) <= 20 and row[0].endswith(TRUNCATION_MARKER)
    assert len(row[1]) == 20 and row[2:] == (7, None)
    assert size == len(row[0].encode()) + 20 + 2 * 16
