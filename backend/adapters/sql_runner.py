"""Runs checked, read-only statements on MySQL/MariaDB, PostgreSQL or SQLite through SQLAlchemy.

Read-only in layers (the guard is the first): a read-only transaction, a server-side
time limit chosen by dialect, and a row cap enforced while streaming, so a runaway query
neither writes, nor runs forever, nor fills memory. `run` returns one capped frame (the
page); `stream` yields frames chunk by chunk from the same cursor setup (the CSV export).

Memory is bounded in bytes, not only rows: a text or binary cell longer than
`cell_max_bytes` is cut and ends with `TRUNCATION_MARKER`, and fetching stops once the
cells read add up to `result_max_bytes` (the result is then `truncated`, as when the row
cap cuts it). `stream` cuts cells the same way, ends a chunk at `result_max_bytes` and
stops the whole stream at `stream_max_bytes`. Rows are read one at a time from the
server-side cursor, so at most one uncut row (bounded by the server's packet size) is held
beyond those limits.

PostgreSQL's session setup lives in `backend.adapters.postgresql`. Each MySQL/MariaDB
session also turns off the optimizations that would let a user's
condition run on rows a row filter hides (derived-table merge and condition pushdown; see
`backend.sql_guard.row_filters`, whose SQL alone already prevents them).

A timeout and a lost server become catalogue messages (`engine.db.*`) in the reader's
language. Other database errors keep their text only when it is built from the query
(unknown column, syntax...), which the model reads to repair its SQL; errors whose text
can carry row values become a catalogue message by code (`backend.adapters.db_errors`).
"""

from __future__ import annotations

import datetime as dt
import decimal
import logging
import math
import sqlite3
import time
from collections.abc import Generator, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pandas as pd
import sqlalchemy as sa

from backend.adapters import postgresql
from backend.adapters.db_errors import (
    mysql_error_message,
    postgresql_error_message,
    sqlite_error_message,
)
from backend.domain import QueryResult
from backend.errors import DatabaseUnavailable, QueryFailed, QueryTimeout
from backend.i18n.message import Message

log = logging.getLogger(__name__)

# MariaDB: 1969 max_statement_time exceeded; MySQL: 3024 max_execution_time exceeded.
_TIMEOUT_CODES = {1969, 3024}
# Lost or refused connections: the server is down or unreachable.
_CONNECTION_CODES = {2002, 2003, 2006, 2013, 2055}
# A row filter must apply before any user expression sees a row: no merging of derived
# tables into the outer query, no pushing outer conditions into them.
MARIADB_OPTIMIZER_SWITCH = (
    "derived_merge=off,condition_pushdown_for_derived=off,split_materialized=off"
)
MYSQL_OPTIMIZER_SWITCH = "derived_merge=off,derived_condition_pushdown=off"
# MySQL before 8.0.22 has no derived_condition_pushdown (nor the optimization).
_MYSQL_OLD_OPTIMIZER_SWITCH = "derived_merge=off"
_UNKNOWN_SWITCH_VALUE = 1231

# Ends a cell cut at `cell_max_bytes`.
TRUNCATION_MARKER = "…[truncated]"
_TRUNCATION_BYTES = TRUNCATION_MARKER.encode()
# What a number, a date or a NULL is counted as (a Python object plus its slot).
_SCALAR_BYTES = 16
DEFAULT_CELL_MAX_BYTES = 10_000
DEFAULT_RESULT_MAX_BYTES = 20_000_000
DEFAULT_STREAM_MAX_BYTES = 200_000_000


def create_database_engine(url: str | sa.URL, *, timeout_s: float | None = None) -> sa.Engine:
    """An engine tuned for short interactive reads (fails fast when the server is gone).

    `timeout_s` (testing a data source): how long connecting may take, and on MySQL/MariaDB
    each read too, since pymysql would otherwise wait forever for a silent server's
    greeting; 5 s for connecting when not given."""
    parsed = sa.make_url(url)
    connect_s = 5.0 if timeout_s is None else timeout_s
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "mysql":
        connect_args = {"connect_timeout": connect_s, "charset": "utf8mb4"}
        if timeout_s is not None:
            connect_args |= {"read_timeout": timeout_s, "write_timeout": timeout_s}
    elif parsed.get_backend_name() == "postgresql":
        # libpq counts whole seconds (and at least 2).
        connect_args = {
            "connect_timeout": max(math.ceil(connect_s), 2),
            "application_name": "keskinube",
        }
    elif parsed.get_backend_name() == "sqlite":
        connect_args = {"check_same_thread": False}
    return sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args)


class SqlAlchemySqlRunner:
    """The SqlRunner port for MySQL/MariaDB, PostgreSQL and SQLite."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        timeout_s: float,
        cell_max_bytes: int = DEFAULT_CELL_MAX_BYTES,
        result_max_bytes: int = DEFAULT_RESULT_MAX_BYTES,
        stream_max_bytes: int = DEFAULT_STREAM_MAX_BYTES,
    ) -> None:
        self.engine = engine
        self.timeout_s = timeout_s
        self.cell_max_bytes = cell_max_bytes
        self.result_max_bytes = result_max_bytes
        self.stream_max_bytes = stream_max_bytes
        backend = engine.url.get_backend_name()
        if backend not in {"mysql", "postgresql", "sqlite"}:
            raise ValueError(f"unsupported database backend {backend!r}")
        self.dialect = backend
        self._is_mariadb: bool | None = None

    def run(self, sql: str, *, row_limit: int) -> QueryResult:
        """Fetch at most `row_limit` rows and about `result_max_bytes`; `truncated` says
        whether more rows existed than were fetched."""
        started = time.perf_counter()
        with self._executed(sql) as (columns, cursor):
            rows, _size = self._fetch(cursor, row_limit, self.result_max_bytes)
            truncated = cursor.fetchone() is not None
        frame = rows_to_frame(columns, rows)
        return QueryResult(frame, truncated, time.perf_counter() - started)

    def _fetch(
        self, cursor: Any, max_rows: int, max_bytes: int
    ) -> tuple[list[tuple[Any, ...]], int]:
        """Up to `max_rows` rows with their long cells cut, stopping at `max_bytes`."""
        rows: list[tuple[Any, ...]] = []
        size = 0
        while len(rows) < max_rows and size < max_bytes:
            row = cursor.fetchone()
            if row is None:
                break
            cut, row_size = bounded_row(row, self.cell_max_bytes)
            rows.append(cut)
            size += row_size
        return rows, size

    def stream(
        self, sql: str, *, row_limit: int, chunk_rows: int
    ) -> Generator[pd.DataFrame, None, bool]:
        """The rows as frames of at most `chunk_rows`, read from the cursor as they are used.

        At most `row_limit` rows in all; the generator returns (`StopIteration.value`)
        whether more existed. A result without rows still yields one empty frame, so the
        columns are always known. The connection stays open, read-only and under the
        time limit until the generator is exhausted or closed: the limit covers the
        consumer's time too. Typed like `run` (each chunk on its own).
        """
        if chunk_rows < 1:
            raise ValueError("chunk_rows must be at least 1")
        with self._executed(sql) as (columns, cursor):
            left, budget, sent = row_limit, self.stream_max_bytes, False
            while left > 0 and budget > 0:
                rows, size = self._fetch(
                    cursor, min(chunk_rows, left), min(self.result_max_bytes, budget)
                )
                if not rows:
                    break
                left -= len(rows)
                budget -= size
                sent = True
                yield rows_to_frame(columns, rows)
            if not sent:
                yield rows_to_frame(columns, [])
            truncated = cursor.fetchone() is not None
        return truncated

    @contextmanager
    def _executed(self, sql: str) -> Iterator[tuple[list[str], Any]]:
        """The column names and an executed cursor in a read-only, time-limited session.

        `run` and `stream` share it, so both get the same layers. Database errors, raised
        here or while fetching in the `with` body, become our errors (`_translate`).
        """
        try:
            with self.engine.connect() as conn:
                raw = conn.connection.dbapi_connection
                with self._opened(raw, sql) as cursor:
                    yield [d[0] for d in cursor.description or ()], cursor
        except sa.exc.OperationalError as exc:
            raise self._translate(exc.orig) from exc
        except (QueryFailed, DatabaseUnavailable):
            raise
        except Exception as exc:
            raise self._translate(exc) from exc

    def _opened(self, raw: Any, sql: str) -> AbstractContextManager[Any]:
        if self.dialect == "mysql":
            return self._mysql_cursor(raw, sql)
        if self.dialect == "postgresql":
            return postgresql.postgresql_cursor(raw, sql, timeout_s=self.timeout_s)
        return self._sqlite_cursor(raw, sql)

    @contextmanager
    def _mysql_cursor(self, raw: Any, sql: str) -> Iterator[Any]:
        import pymysql.cursors

        with raw.cursor() as setup:
            if self._is_mariadb is None:
                setup.execute("SELECT VERSION()")
                self._is_mariadb = "mariadb" in str(setup.fetchone()[0]).lower()
            if self._is_mariadb:
                setup.execute(f"SET SESSION max_statement_time = {self.timeout_s:.3f}")
                setup.execute(f"SET SESSION optimizer_switch = '{MARIADB_OPTIMIZER_SWITCH}'")
            else:
                setup.execute(f"SET SESSION max_execution_time = {int(self.timeout_s * 1000)}")
                _set_mysql_optimizer_switch(setup)
            # Session-level too: DDL commits implicitly and would escape a transaction.
            setup.execute("SET SESSION TRANSACTION READ ONLY")
            setup.execute("START TRANSACTION READ ONLY")
        # An unbuffered (server-side) cursor streams rows, so the cap bounds memory, not
        # just the page. Closing it early reads the rest: the guard has clamped LIMIT.
        cursor = raw.cursor(pymysql.cursors.SSCursor)
        try:
            cursor.execute(sql)
            yield cursor
        finally:
            cursor.close()
            raw.rollback()

    @contextmanager
    def _sqlite_cursor(self, raw: Any, sql: str) -> Iterator[Any]:
        deadline = time.monotonic() + self.timeout_s
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        cursor = raw.cursor()  # sqlite3 steps the statement as rows are fetched
        try:
            cursor.execute("PRAGMA query_only = ON")
            cursor.execute(sql)
            yield cursor
        finally:
            cursor.close()
            raw.set_progress_handler(None, 0)
            raw.rollback()
            raw.execute("PRAGMA query_only = OFF")

    def _translate(self, exc: BaseException | None) -> Exception:
        if self.dialect == "postgresql":
            return self._translate_postgresql(exc)
        code = _error_code(exc)
        message = _error_message(exc)
        if code in _TIMEOUT_CODES or (
            isinstance(exc, sqlite3.OperationalError) and "interrupted" in message
        ):
            seconds = f"{self.timeout_s:g}"
            return QueryTimeout(Message.of("engine.db.timeout", seconds=seconds), code=code)
        if code in _CONNECTION_CODES:
            return self._unavailable(message)
        # The database's text can carry row values: the log keeps it, the user and the
        # model get it only when it is built from the query (`db_errors`).
        log.info("query failed (%s): %s", code, message)
        if self.dialect == "sqlite":
            return QueryFailed(sqlite_error_message(message), code=code)
        return QueryFailed(mysql_error_message(code, message), code=code)

    def _translate_postgresql(self, exc: BaseException | None) -> Exception:
        message = postgresql.error_text(exc)
        if postgresql.is_timeout(exc):
            return QueryTimeout(Message.of("engine.db.timeout", seconds=f"{self.timeout_s:g}"))
        if postgresql.is_unavailable(exc):
            return self._unavailable(message)
        state = postgresql.sqlstate(exc)
        log.info("query failed (%s): %s", state, message)
        return QueryFailed(postgresql_error_message(state, message))

    def _unavailable(self, message: str) -> DatabaseUnavailable:
        log.warning("database unreachable: %s", message)
        host = self.engine.url.host or self.engine.url.database
        return DatabaseUnavailable(Message.of("engine.db.unreachable", host=host, detail=message))


def _set_mysql_optimizer_switch(cursor: Any) -> None:
    import pymysql

    try:
        cursor.execute(f"SET SESSION optimizer_switch = '{MYSQL_OPTIMIZER_SWITCH}'")
    except pymysql.err.MySQLError as exc:
        if _error_code(exc) != _UNKNOWN_SWITCH_VALUE:
            raise
        cursor.execute(f"SET SESSION optimizer_switch = '{_MYSQL_OLD_OPTIMIZER_SWITCH}'")


def bounded_row(row: Sequence[Any], cell_max_bytes: int) -> tuple[tuple[Any, ...], int]:
    """The row with every text or binary cell cut to `cell_max_bytes`, and its size."""
    cells = []
    size = 0
    for value in row:
        if isinstance(value, str):
            value = _cut_text(value, cell_max_bytes)
            # UTF-8 length is at most 4 bytes a character; exact only when it matters.
            size += len(value) if value.isascii() else len(value.encode())
        elif isinstance(value, bytes | bytearray | memoryview):
            value = bytes(value)
            if len(value) > cell_max_bytes:
                value = value[: max(cell_max_bytes - len(_TRUNCATION_BYTES), 0)] + _TRUNCATION_BYTES
            size += len(value)
        else:
            size += _SCALAR_BYTES
        cells.append(value)
    return tuple(cells), size


def _cut_text(text: str, max_bytes: int) -> str:
    if len(text) * 4 <= max_bytes:
        return text
    encoded = text.encode()
    if len(encoded) <= max_bytes:
        return text
    keep = max(max_bytes - len(_TRUNCATION_BYTES), 0)
    return encoded[:keep].decode("utf-8", errors="ignore") + TRUNCATION_MARKER


def _error_code(exc: BaseException | None) -> int | None:
    args = getattr(exc, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def _error_message(exc: BaseException | None) -> str:
    args: tuple[object, ...] = getattr(exc, "args", ())
    if len(args) >= 2 and isinstance(args[0], int):
        return str(args[1])
    return str(exc)


def rows_to_frame(columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> pd.DataFrame:
    """A DataFrame with the dtypes pandas' read_sql would give, and unique column names."""
    names = _unique_names(columns)
    frame = pd.DataFrame.from_records(list(rows), columns=names)
    for name in names:
        frame[name] = _typed(frame[name])
    return frame


def _unique_names(columns: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for column in columns:
        count = seen.get(column, 0) + 1
        seen[column] = count
        names.append(column if count == 1 else f"{column}_{count}")
    return names


def _typed(series: pd.Series) -> pd.Series:
    if series.dtype != object:
        return series
    values = series.dropna()
    if values.empty:
        return series
    if all(isinstance(v, decimal.Decimal) for v in values):
        return series.astype("float64")
    if all(isinstance(v, dt.datetime | dt.date) for v in values):
        return pd.to_datetime(series).astype("datetime64[us]")
    if all(isinstance(v, str) for v in values):
        return series.astype("string")
    return series
