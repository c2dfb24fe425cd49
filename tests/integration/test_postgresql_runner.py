"""The SQL runner's PostgreSQL layers on a real server: a write that slips past the guard
is still refused by the read-only transaction, `statement_timeout` stops slow queries, the
session is left as it was found, and error texts that can carry row values never leave
the runner (tests/integration/test_sql_runner.py runs the shared behaviour here too)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from backend.adapters.sql_runner import SqlAlchemySqlRunner, create_database_engine
from backend.errors import QueryFailed, QueryTimeout

pytestmark = pytest.mark.postgresql

SECRET = "zz-secret@mail.es"
SETUP = [
    "CREATE TABLE people (id INTEGER PRIMARY KEY, email VARCHAR(40), doc TEXT,"
    " n NUMERIC(10, 2), tags TEXT[], profile JSONB)",
    f"INSERT INTO people VALUES (1, '{SECRET}', '{SECRET}', 20000, ARRAY['a', 'b'],"
    " '{\"city\": \"Bilbao\"}'), (2, 'b@x.es', 'x', 1, NULL, NULL), (3, 'c@x.es', 'y', 0,"
    " NULL, NULL)",
    "CREATE SEQUENCE people_seq",
    # What a DBA might have left in the database: functions that write when called.
    "CREATE FUNCTION kk_wipe() RETURNS integer LANGUAGE sql AS 'DELETE FROM people RETURNING 1'",
    "CREATE FUNCTION kk_add() RETURNS integer LANGUAGE plpgsql AS"
    " $$BEGIN INSERT INTO people (id) VALUES (99); RETURN 1; END$$",
]


@pytest.fixture
def runner(postgres_url: str) -> Iterator[SqlAlchemySqlRunner]:
    engine = create_database_engine(postgres_url)
    with engine.begin() as conn:
        for statement in SETUP:
            conn.exec_driver_sql(statement)
    yield SqlAlchemySqlRunner(engine, timeout_s=5)
    engine.dispose()


def count(runner: SqlAlchemySqlRunner) -> int:
    return int(runner.run("SELECT COUNT(*) AS n FROM people", row_limit=1).frame["n"].iloc[0])


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT kk_wipe()",
        "SELECT id FROM people WHERE kk_wipe() > 0",
        "SELECT kk_add()",
        "SELECT nextval('people_seq')",
        "SELECT setval('people_seq', 5)",
    ],
)
def test_a_write_that_slips_past_the_guard_is_refused_by_the_transaction(
    runner: SqlAlchemySqlRunner, sql: str
) -> None:
    with pytest.raises(QueryFailed):
        runner.run(sql, row_limit=5)
    assert count(runner) == 3


def test_what_a_read_only_transaction_allows_is_rolled_back(runner: SqlAlchemySqlRunner) -> None:
    runner.run("SELECT lo_create(0) AS oid, txid_current() AS tx", row_limit=1)
    with runner.engine.connect() as conn:
        left = conn.exec_driver_sql("SELECT COUNT(*) FROM pg_largeobject_metadata").scalar()
    assert left == 0


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM people RETURNING id",
        "WITH d AS (DELETE FROM people RETURNING id) SELECT id FROM d",
        "SELECT * INTO copied FROM people",
        "SELECT * FROM people FOR UPDATE",
    ],
)
def test_statements_a_server_side_cursor_cannot_hold_fail(
    runner: SqlAlchemySqlRunner, sql: str
) -> None:
    with pytest.raises(QueryFailed):
        runner.run(sql, row_limit=5)
    assert count(runner) == 3


def test_the_session_is_left_read_write_with_no_time_limit(runner: SqlAlchemySqlRunner) -> None:
    runner.run("SELECT 1 AS one", row_limit=1)
    with runner.engine.connect() as conn:  # the same pooled connection
        settings = conn.exec_driver_sql(
            "SELECT current_setting('transaction_read_only'), current_setting('statement_timeout')"
        ).one()
    assert tuple(settings) == ("off", "0")


def test_statement_timeout_comes_from_the_query_timeout(runner: SqlAlchemySqlRunner) -> None:
    assert runner.run("SELECT 1 AS ok FROM pg_sleep(0.2)", row_limit=1).frame["ok"].iloc[0] == 1
    runner.timeout_s = 0.5
    with pytest.raises(QueryTimeout, match=r"longer than 0\.5 s"):
        runner.run(
            "SELECT COUNT(*) FROM generate_series(1, 100000) a, generate_series(1, 100000) b",
            row_limit=1,
        )
    assert count(runner) == 3


def test_json_and_array_cells_come_back_as_text_and_are_cut(runner: SqlAlchemySqlRunner) -> None:
    frame = runner.run("SELECT tags, profile FROM people WHERE id = 1", row_limit=1).frame
    assert frame["tags"].iloc[0] == '["a", "b"]'
    assert frame["profile"].iloc[0] == '{"city": "Bilbao"}'
    runner.cell_max_bytes = 30
    long = (
        runner.run("SELECT jsonb_agg(g) AS j FROM generate_series(1, 1000) g", row_limit=1)
        .frame["j"]
        .iloc[0]
    )
    assert len(long.encode()) <= 30 and long.endswith("[truncated]")


def test_streaming_reads_many_rows_in_batches(runner: SqlAlchemySqlRunner) -> None:
    chunks = runner.stream(
        "SELECT g AS n, 'row ' || g AS label FROM generate_series(1, 2500) g",
        row_limit=2000,
        chunk_rows=700,
    )
    frames = list(chunks)
    assert [len(frame) for frame in frames] == [700, 700, 600]
    assert frames[-1]["n"].iloc[-1] == 2000


def test_percent_signs_reach_postgresql_as_written(runner: SqlAlchemySqlRunner) -> None:
    frame = runner.run(
        "SELECT COUNT(*) AS n, to_char(now(), 'YYYY') LIKE '2%' AS y FROM people"
        " WHERE email LIKE '%@x.es'",
        row_limit=1,
    ).frame
    assert frame["n"].iloc[0] == 2


VALUE_ERRORS = [
    ("SELECT (SELECT email FROM people)", "engine.db.subquery_rows"),
    ("SELECT CAST(email AS INTEGER) FROM people", "engine.db.value_error"),
    ("SELECT CAST(doc AS DATE) FROM people", "engine.db.value_error"),
    ("SELECT doc::jsonb FROM people", "engine.db.value_error"),
    ("SELECT 1 / n FROM people", "engine.db.value_error"),
    ("SELECT exp(n) FROM people", "engine.db.value_error"),
    ("SELECT id FROM people WHERE email ~ '('", "engine.db.value_error"),
    ("SELECT lo_get(1)", "engine.db.failed"),
]
QUERY_TEXT_ERRORS = [
    ("SELECT nope FROM people", 'column "nope" does not exist'),
    ("SELECT id FROM nowhere", 'relation "nowhere" does not exist'),
    ("SELECT id FROM people WHERE", "syntax error at end of input"),
    ("SELECT id FROM people a, people b", 'column reference "id" is ambiguous'),
    ("SELECT nofunc(id) FROM people", "function nofunc(integer) does not exist"),
    ("SELECT email, COUNT(*) FROM people", "must appear in the GROUP BY clause"),
    ("SELECT id FROM people UNION SELECT id, email FROM people", "same number of columns"),
]


@pytest.mark.parametrize(("sql", "key"), VALUE_ERRORS)
def test_value_carrying_errors_become_catalogue_messages(
    sql: str, key: str, runner: SqlAlchemySqlRunner
) -> None:
    with pytest.raises(QueryFailed) as caught:
        runner.run(sql, row_limit=10)
    error = caught.value
    assert error.message is not None and error.message.key == key, str(error)
    assert "secret" not in str(error) and "secret" not in error.render("es")
    assert "people" not in str(error)


@pytest.mark.parametrize(("sql", "text"), QUERY_TEXT_ERRORS)
def test_query_text_errors_keep_their_text(
    sql: str, text: str, runner: SqlAlchemySqlRunner
) -> None:
    with pytest.raises(QueryFailed) as caught:
        runner.run(sql, row_limit=10)
    assert text in str(caught.value)
    assert caught.value.message is None
    assert "LINE 1" not in str(caught.value)  # psycopg's echo of the query is left out


def test_a_database_that_went_away_is_reported_as_unreachable(postgres_url: str) -> None:
    engine = create_database_engine(postgres_url)
    runner = SqlAlchemySqlRunner(engine, timeout_s=5)
    runner.run("SELECT 1 AS one", row_limit=1)
    admin = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    with admin.begin() as conn:  # every other session of this database is ended
        conn.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    admin.dispose()
    # pool_pre_ping notices the dead connection and opens a new one.
    assert runner.run("SELECT 2 AS two", row_limit=1).frame["two"].iloc[0] == 2
    engine.dispose()
