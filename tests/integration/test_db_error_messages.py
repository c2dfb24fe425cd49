"""Database errors on real MariaDB (and SQLite): text built from the query is kept for the
model's repair, text that can carry row values never leaves the runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.adapters.sql_runner import SqlAlchemySqlRunner, create_database_engine
from backend.errors import QueryFailed

SECRET = "zz-secret@mail.es"
SETUP = [
    "CREATE TABLE people (id INTEGER PRIMARY KEY, email VARCHAR(40), doc VARCHAR(40),"
    " pat VARCHAR(10), n DECIMAL(10, 2))",
    f"INSERT INTO people VALUES (1, '{SECRET}', '{{bad{SECRET}', '(', 20000),"
    f" (2, '{SECRET}x', 'x', 'a', 1), (3, '{SECRET}y', 'y', 'b', 2)",
]

# MariaDB errors whose text quotes a value (or whose kind tells one), and the catalogue key.
VALUE_ERRORS = [
    ("SELECT (SELECT email FROM people)", "engine.db.subquery_rows"),
    (
        "SELECT id FROM people WHERE (SELECT id FROM people p2 WHERE p2.email LIKE 'zz%') > 0",
        "engine.db.subquery_rows",
    ),
    (
        "SELECT id, (SELECT p2.email FROM people p2 WHERE p2.id <> p.id) FROM people p",
        "engine.db.subquery_rows",
    ),
    ("SELECT EXP(n) FROM people", "engine.db.value_error"),
    ("SELECT CAST(n AS UNSIGNED) - 30000 FROM people", "engine.db.value_error"),
    ("SELECT POW(n, n) FROM people", "engine.db.value_error"),
    ("SELECT CAST(18446744073709551615 AS UNSIGNED) + id FROM people", "engine.db.value_error"),
    ("SELECT id FROM people WHERE 'x' REGEXP '('", "engine.db.value_error"),
    (
        "SELECT * FROM JSON_TABLE((SELECT doc FROM people WHERE id = 1), '$[*]'"
        " COLUMNS (a INT PATH '$')) AS j",
        "engine.db.value_error",
    ),
    (
        "SELECT * FROM JSON_TABLE((SELECT doc FROM people WHERE id = 1), '$[*]'"
        " COLUMNS (a INT PATH '$' ERROR ON ERROR)) AS j",
        "engine.db.value_error",
    ),
]
# Errors whose text comes from the query: kept as the database wrote it.
QUERY_TEXT_ERRORS = [
    ("SELECT nope FROM people", "Unknown column 'nope'"),
    ("SELECT id FROM nowhere", "nowhere' doesn't exist"),
    ("SELECT id FROM people WHERE", "SQL syntax"),
    ("SELECT id FROM people a, people b", "Column 'id' in SELECT is ambiguous"),
    ("SELECT ROUND(n, 1, 2) FROM people", "Incorrect parameter count"),
    ("SELECT nofunc(id) FROM people", "nofunc does not exist"),
    ("SELECT id FROM people UNION SELECT id, email FROM people", "different number of columns"),
]


@pytest.fixture
def mariadb_runner(mysql_url: str) -> Iterator[SqlAlchemySqlRunner]:
    engine = create_database_engine(mysql_url)
    with engine.begin() as conn:
        for statement in SETUP:
            conn.exec_driver_sql(statement)
    yield SqlAlchemySqlRunner(engine, timeout_s=5)
    engine.dispose()


@pytest.mark.mariadb
@pytest.mark.parametrize(("sql", "key"), VALUE_ERRORS)
def test_value_carrying_errors_become_catalogue_messages(
    sql: str, key: str, mariadb_runner: SqlAlchemySqlRunner
) -> None:
    with pytest.raises(QueryFailed) as caught:
        mariadb_runner.run(sql, row_limit=10)
    error = caught.value
    assert error.message is not None and error.message.key == key, str(error)
    assert "secret" not in str(error) and "secret" not in error.render("es")
    assert "people" not in str(error)  # no fragment of the database's own text


@pytest.mark.mariadb
@pytest.mark.parametrize(("sql", "text"), QUERY_TEXT_ERRORS)
def test_query_text_errors_keep_their_text(
    sql: str, text: str, mariadb_runner: SqlAlchemySqlRunner
) -> None:
    with pytest.raises(QueryFailed) as caught:
        mariadb_runner.run(sql, row_limit=10)
    assert text in str(caught.value)
    assert caught.value.message is None


@pytest.fixture
def sqlite_runner(tmp_path: Path) -> Iterator[SqlAlchemySqlRunner]:
    engine = create_database_engine(f"sqlite:///{tmp_path / 'p.sqlite'}")
    with engine.begin() as conn:
        for statement in SETUP:
            conn.exec_driver_sql(statement)
    yield SqlAlchemySqlRunner(engine, timeout_s=5)
    engine.dispose()


@pytest.mark.parametrize(
    ("sql", "kept"),
    [
        ("SELECT nope FROM people", True),
        ("SELECT id FROM nowhere", True),
        ("SELECT id FROM people WHERE", True),
        ("SELECT json_extract(doc, '$.a') FROM people", False),
        ("SELECT id FROM people WHERE id = (SELECT id, email FROM people)", True),
    ],
)
def test_sqlite_errors_keep_only_query_text(
    sql: str, kept: bool, sqlite_runner: SqlAlchemySqlRunner
) -> None:
    with pytest.raises(QueryFailed) as caught:
        sqlite_runner.run(sql, row_limit=10)
    assert (caught.value.message is None) is kept
    assert "secret" not in str(caught.value)
