"""Runs checked, read-only statements on MySQL/MariaDB or SQLite through SQLAlchemy.

Read-only in layers (the guard is the first): a read-only transaction, a server-side
time limit chosen by dialect, and a row cap enforced while streaming, so a runaway query
neither writes, nor runs forever, nor fills memory. `run` returns one capped frame (the
page); `stream` yields frames chunk by chunk from the same cursor setup (the CSV export).

A timeout and a lost server become catalogue messages (`engine.db.*`) in the reader's
language; any other database error keeps the database's own text, which the model reads
to repair its SQL.
"""

from __future__ import annotations

import datetime as dt
import decimal
import logging
import sqlite3
import time
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pandas as pd
import sqlalchemy as sa

from backend.domain import QueryResult
from backend.errors import DatabaseUnavailable, QueryFailed, QueryTimeout
from backend.i18n.message import Message

log = logging.getLogger(__name__)

# MariaDB: 1969 max_statement_time exceeded; MySQL: 3024 max_execution_time exceeded.
_TIMEOUT_CODES = {1969, 3024}
# Lost or refused connections: the server is down or unreachable.
_CONNECTION_CODES = {2002, 2003, 2006, 2013, 2055}


def create_database_engine(url: str) -> sa.Engine:
    """An engine tuned for short interactive reads (fails fast when the server is gone)."""
    parsed = sa.make_url(url)
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "mysql":
        connect_args = {"connect_timeout": 5, "charset": "utf8mb4"}
    elif parsed.get_backend_name() == "sqlite":
        connect_args = {"check_same_thread": False}
    return sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args)


class SqlAlchemySqlRunner:
    """The SqlRunner port for MySQL/MariaDB and SQLite."""

    def __init__(self, engine: sa.Engine, *, timeout_s: float) -> None:
        self.engine = engine
        self.timeout_s = timeout_s
        backend = engine.url.get_backend_name()
        if backend not in {"mysql", "sqlite"}:
            raise ValueError(f"unsupported database backend {backend!r}")
        self.dialect = backend
        self._is_mariadb: bool | None = None

    def run(self, sql: str, *, row_limit: int) -> QueryResult:
        """Fetch at most `row_limit` rows; `truncated` says whether more existed."""
        started = time.perf_counter()
        with self._executed(sql) as (columns, cursor):
            rows = cursor.fetchmany(row_limit + 1)
        truncated = len(rows) > row_limit
        frame = rows_to_frame(columns, rows[:row_limit])
        return QueryResult(frame, truncated, time.perf_counter() - started)

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
            left, sent = row_limit, False
            while left > 0:
                rows = cursor.fetchmany(min(chunk_rows, left))
                if not rows:
                    break
                left -= len(rows)
                sent = True
                yield rows_to_frame(columns, rows)
            if not sent:
                yield rows_to_frame(columns, [])
            truncated = left <= 0 and bool(cursor.fetchmany(1))
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
                opened = self._mysql_cursor if self.dialect == "mysql" else self._sqlite_cursor
                with opened(raw, sql) as cursor:
                    yield [d[0] for d in cursor.description or ()], cursor
        except sa.exc.OperationalError as exc:
            raise self._translate(exc.orig) from exc
        except (QueryFailed, DatabaseUnavailable):
            raise
        except Exception as exc:
            raise self._translate(exc) from exc

    @contextmanager
    def _mysql_cursor(self, raw: Any, sql: str) -> Iterator[Any]:
        import pymysql.cursors

        with raw.cursor() as setup:
            if self._is_mariadb is None:
                setup.execute("SELECT VERSION()")
                self._is_mariadb = "mariadb" in str(setup.fetchone()[0]).lower()
            if self._is_mariadb:
                setup.execute(f"SET SESSION max_statement_time = {self.timeout_s:.3f}")
            else:
                setup.execute(f"SET SESSION max_execution_time = {int(self.timeout_s * 1000)}")
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
        code = _error_code(exc)
        message = _error_message(exc)
        if code in _TIMEOUT_CODES or (
            isinstance(exc, sqlite3.OperationalError) and "interrupted" in message
        ):
            return QueryTimeout(Message.of("engine.db.timeout", seconds=f"{self.timeout_s:g}"))
        if code in _CONNECTION_CODES:
            log.warning("database unreachable: %s", message)
            host = self.engine.url.host or self.engine.url.database
            return DatabaseUnavailable(
                Message.of("engine.db.unreachable", host=host, detail=message)
            )
        log.info("query failed: %s", message)
        return QueryFailed(message)


def _error_code(exc: BaseException | None) -> int | None:
    args = getattr(exc, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def _error_message(exc: BaseException | None) -> str:
    args = getattr(exc, "args", ())
    if len(args) >= 2 and isinstance(args[0], int):
        return str(args[1])
    return str(exc)


def rows_to_frame(columns: Sequence[str], rows: Sequence[tuple]) -> pd.DataFrame:
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
