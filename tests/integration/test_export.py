"""CSV export on real SQLite, MariaDB and PostgreSQL: the whole result up to the export
cap, guarded, streamed from the database cursor chunk by chunk.

The engine is the production `Engine` with the real SQL runner and guard; its schema comes
from introspecting the test database through a `SchemaIndex` port that holds the tables in
memory (no model is asked: exports run SQL that is already written).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from backend.adapters.sql_runner import SqlAlchemySqlRunner, create_database_engine
from backend.domain import (
    AccessPolicy,
    Actor,
    RowFilter,
)
from backend.engine_config import EngineConfig
from backend.errors import QueryTimeout
from backend.export import BOM, ExportFailed, export_csv
from backend.pipeline import Engine
from backend.schema import introspect
from testkit.stubs import SilentModel, TablesInMemory

ROWS = 2_500
PAGE_LIMIT = 100
ADMIN = Actor("root", "admin")
REGIONS = ("north", "south", "east", "west")

sales = sa.Table(
    "sales",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("region", sa.String(20), nullable=False),
    sa.Column("sold_on", sa.Date, nullable=False),
    sa.Column("amount", sa.Numeric(10, 2), nullable=False),
    sa.Column("note", sa.String(40), nullable=True),
    sa.Column("margin", sa.Numeric(10, 2), nullable=True),
)


def fill(url: str) -> sa.Engine:
    engine = create_database_engine(url)
    sales.metadata.create_all(engine)
    rows = [
        {
            "id": n,
            "region": REGIONS[n % 4],
            "sold_on": dt.date(2025, 1, 1) + dt.timedelta(days=n % 365),
            "amount": f"{n}.50",
            "note": '=HYPERLINK("http://x")' if n == 1 else ("ünïcode €" if n == 2 else None),
            "margin": None if n % 10 == 0 else "1.25",
        }
        for n in range(1, ROWS + 1)
    ]
    with engine.begin() as conn:
        conn.execute(sales.insert(), rows)
    return engine


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("mariadb", marks=pytest.mark.mariadb),
        pytest.param("postgresql", marks=pytest.mark.postgresql),
    ]
)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('export') / 'shop.sqlite'}"
    elif request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
    else:
        url = request.getfixturevalue("mysql_url")
    db = fill(url)
    yield Engine(
        model=SilentModel(),
        runner=SqlAlchemySqlRunner(db, timeout_s=10),
        index=TablesInMemory(introspect(db, sample_values=False)),
        config=EngineConfig(database="shop", row_limit=PAGE_LIMIT),
    )
    db.dispose()


def read_csv(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text.removeprefix(BOM))))


def test_export_holds_the_whole_result_not_just_the_page(engine: Engine) -> None:
    page = engine.run_sql("SELECT id, region, amount FROM sales ORDER BY id", ADMIN)
    assert page.result is not None and page.result.row_count == PAGE_LIMIT
    data, answer = export_csv(
        engine, "SELECT id, region, amount FROM sales ORDER BY id", ADMIN, limit=10_000
    )
    rows = read_csv(data)
    assert rows[0] == ["id", "region", "amount"]
    assert len(rows) == ROWS + 1
    assert rows[1] == ["1", "south", "1.5"]
    assert answer.result is not None and not answer.result.truncated
    assert answer.result.row_count == ROWS
    assert list(answer.result.frame.columns) == ["id", "region", "amount"]


def test_export_stops_at_the_export_cap(engine: Engine) -> None:
    data, answer = export_csv(engine, "SELECT id FROM sales ORDER BY id", ADMIN, limit=1_000)
    rows = read_csv(data)
    assert len(rows) == 1_000 + 1 and rows[-1] == ["1000"]
    assert answer.result is not None and answer.result.truncated
    assert answer.result.row_count == 1_000  # what the audit log records
    assert "LIMIT 1001" in (answer.sql or "")  # the guard clamped the statement itself


def test_export_keeps_a_smaller_limit_of_the_query(engine: Engine) -> None:
    data, _ = export_csv(
        engine, "SELECT id FROM sales ORDER BY id DESC LIMIT 7", ADMIN, limit=1_000
    )
    assert [row[0] for row in read_csv(data)[1:]] == [str(n) for n in range(ROWS, ROWS - 7, -1)]


def test_export_applies_the_actors_row_filters(engine: Engine) -> None:
    north = Actor(
        "nina", "manager", AccessPolicy(row_filters=(RowFilter("sales", "region = 'north'"),))
    )
    data, _ = export_csv(engine, "SELECT id, region FROM sales", north, limit=10_000)
    rows = read_csv(data)[1:]
    assert len(rows) == ROWS // 4 and {row[1] for row in rows} == {"north"}


@pytest.mark.parametrize(
    ("sql", "actor", "message"),
    [
        ("DELETE FROM sales", ADMIN, "only read"),
        (
            "SELECT id, margin FROM sales",
            Actor("ana", "analyst", AccessPolicy(denied_columns=frozenset({("sales", "margin")}))),
            "sales.margin",
        ),
        (
            "SELECT * FROM sales",
            Actor("ana", "analyst", AccessPolicy(denied_columns=frozenset({("sales", "margin")}))),
            "sales.margin",
        ),
        ("SELECT id FROM secrets", ADMIN, "secrets"),
    ],
)
def test_export_refuses_what_the_guard_refuses(
    engine: Engine, sql: str, actor: Actor, message: str
) -> None:
    with pytest.raises(ExportFailed, match=message):
        export_csv(engine, sql, actor, limit=10_000)


def test_export_of_an_empty_result_is_the_header_alone(engine: Engine) -> None:
    data, answer = export_csv(engine, "SELECT id, note FROM sales WHERE id < 0", ADMIN, limit=10)
    assert read_csv(data) == [["id", "note"]]
    assert answer.result is not None and answer.result.row_count == 0


def test_export_is_the_same_file_whatever_the_chunk_size(engine: Engine) -> None:
    sql = "SELECT id, region, sold_on, amount, note, margin FROM sales ORDER BY id"
    whole, _ = export_csv(engine, sql, ADMIN, limit=10_000, chunk_rows=10_000)
    chunked, answer = export_csv(engine, sql, ADMIN, limit=10_000, chunk_rows=7)
    assert chunked == whole
    assert answer.result is not None and answer.result.row_count == ROWS


def test_runner_streams_the_export_in_chunks_up_to_the_cap(engine: Engine) -> None:
    chunks = engine.runner.stream(
        "SELECT id FROM sales ORDER BY id LIMIT 1001", row_limit=1_000, chunk_rows=300
    )
    sizes = []
    while True:
        try:
            sizes.append(len(next(chunks)))
        except StopIteration as end:
            truncated = end.value
            break
    assert sizes == [300, 300, 300, 100] and truncated is True


def test_a_timeout_while_streaming_gives_the_time_limit_message(engine: Engine) -> None:
    runner = engine.runner
    assert isinstance(runner, SqlAlchemySqlRunner)
    runner.timeout_s = 0.3
    # Big enough that the server is still sending rows when the limit strikes.
    sql = "SELECT a.id, b.region FROM sales a, sales b"
    with pytest.raises(ExportFailed) as refused:
        export_csv(engine, sql, ADMIN, limit=5_000_000, chunk_rows=1_000)
    assert isinstance(refused.value.__cause__, QueryTimeout)
    assert refused.value.message is not None
    assert refused.value.message.key == "engine.db.timeout"
    assert refused.value.render("en") == "the database took longer than 0.3 s"
    runner.timeout_s = 10  # the connection is still good afterwards
    data, _ = export_csv(engine, "SELECT COUNT(*) AS n FROM sales", ADMIN, limit=10)
    assert read_csv(data) == [["n"], [str(ROWS)]]


def test_export_is_cut_at_the_byte_cap_and_audits_the_rows_it_holds(engine: Engine) -> None:
    sql = "SELECT id, region, note FROM sales ORDER BY id"
    whole, _ = export_csv(engine, sql, ADMIN, limit=10_000)
    data, answer = export_csv(engine, sql, ADMIN, limit=10_000, max_bytes=len(whole) // 3)
    rows = read_csv(data)
    assert answer.result is not None and answer.result.truncated
    kept = answer.result.row_count
    assert 0 < kept < ROWS and len(rows) == kept + 2  # header, rows, the note
    assert rows[1:-1] == read_csv(whole)[1 : kept + 1]
    assert "EXPORT_MAX_BYTES" in rows[-1][0]
    assert len(data) <= len(whole) // 3 + len(rows[-1][0].encode()) + 8
