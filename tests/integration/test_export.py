"""CSV export on real SQLite and MariaDB: the whole result up to the export cap, guarded.

The engine is the production `Engine` with the real SQL runner and guard; its schema comes
from introspecting the test database through a `SchemaIndex` port that holds the tables in
memory (no model is asked: exports run SQL that is already written).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator, Sequence

import pytest
import sqlalchemy as sa

from backend.adapters.sql_runner import SqlAlchemySqlRunner, create_database_engine
from backend.domain import (
    AccessPolicy,
    Actor,
    Completion,
    Example,
    Note,
    Retrieval,
    RowFilter,
    TableDoc,
)
from backend.export import BOM, ExportFailed, export_csv, iter_csv, run_export
from backend.pipeline import Engine, EngineConfig
from backend.schema import introspect

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


class TablesInMemory:
    """The `SchemaIndex` port over introspected tables (retrieval is not exercised)."""

    def __init__(self, tables: list[TableDoc]) -> None:
        self.tables = tables

    def load_tables(self, database: str) -> list[TableDoc]:
        return self.tables

    def search_tables(
        self, database: str, question: str, *, k: int = 5, policy: AccessPolicy | None = None
    ) -> Retrieval:
        raise AssertionError("exports never retrieve")

    def search_examples(self, database: str, question: str, *, k: int = 3) -> list[Example]:
        return []

    def search_notes(self, database: str, question: str, *, k: int = 3) -> list[Note]:
        return []


class SilentModel:
    model_name = "none"

    def complete(self, messages: Sequence[tuple[str, str]]) -> Completion:
        raise AssertionError("exports never ask the model")


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


@pytest.fixture(params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('export') / 'shop.sqlite'}"
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


def test_export_stops_at_the_export_cap(engine: Engine) -> None:
    data, answer = export_csv(engine, "SELECT id FROM sales ORDER BY id", ADMIN, limit=1_000)
    rows = read_csv(data)
    assert len(rows) == 1_000 + 1 and rows[-1] == ["1000"]
    assert answer.result is not None and answer.result.truncated
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
        ("SELECT id FROM secrets", ADMIN, "secrets"),
    ],
)
def test_export_refuses_what_the_guard_refuses(
    engine: Engine, sql: str, actor: Actor, message: str
) -> None:
    with pytest.raises(ExportFailed, match=message):
        export_csv(engine, sql, actor, limit=10_000)
    answer = run_export(engine, sql, actor, limit=10_000)
    assert answer.error is not None and answer.result is None


def test_cells_are_typed_nulls_empty_and_formulas_defused(engine: Engine) -> None:
    data, _ = export_csv(
        engine,
        "SELECT id, sold_on, note, margin FROM sales WHERE id <= 10 ORDER BY id",
        ADMIN,
        limit=100,
    )
    rows = read_csv(data)
    assert rows[1][0] == "1" and rows[1][1].startswith("2025-01-02")
    assert rows[1][2] == '\'=HYPERLINK("http://x")'
    assert rows[2][2] == "ünïcode €"
    assert rows[3][2] == "" and rows[10][3] == ""  # NULLs
    assert rows[1][3] == "1.25"


def test_iter_csv_streams_a_header_then_chunks_of_rows(engine: Engine) -> None:
    answer = engine.run_sql("SELECT id, region FROM sales ORDER BY id LIMIT 95", ADMIN)
    assert answer.result is not None
    chunks = list(iter_csv(answer.result.frame, chunk_rows=40, bom=False))
    assert chunks[0] == "id,region\n"
    assert [chunk.count("\n") for chunk in chunks[1:]] == [40, 40, 15]
    assert "".join(chunks) == answer.result.frame.to_csv(index=False)
