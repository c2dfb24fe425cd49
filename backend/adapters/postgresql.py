"""PostgreSQL's part of the SQL runner (`backend.adapters.sql_runner`), through psycopg 3.

Each query runs in its own transaction, declared `READ ONLY` before anything else runs
in it, with `statement_timeout` set for that transaction only (`SET LOCAL`), and is
rolled back afterwards, so nothing outlives the request on the pooled connection. Rows
come from a server-side cursor (DECLARE … CURSOR), fetched in batches, so the row and
byte caps bound memory rather than just the page.

`statement_timeout` holds for each FETCH on its own, so a stream (the CSV export) also
has a deadline, checked before each batch: as on MySQL, the time limit covers the
consumer's time too.

JSON and array cells reach the caps as their text: psycopg would hand over Python lists
and dicts, whose size the byte caps do not see.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

# Rows fetched from the server-side cursor per round trip.
FETCH_ROWS = 500
_CURSOR_NAME = "keskinube_result"
# SQLSTATE 57014 query_canceled: statement_timeout ran out.
TIMEOUT_SQLSTATE = "57014"
# Connection failures (class 08) and a server shutting down or starting up.
_UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})


class DeadlinePassed(Exception):
    """The query's time limit ran out between two batches of rows."""


class _Rows:
    """The DB-API cursor surface the runner reads (`description`, `fetchone`), with
    rows fetched `FETCH_ROWS` at a time and JSON/array cells as text."""

    def __init__(self, cursor: psycopg.ServerCursor[Any], deadline: float) -> None:
        self._cursor = cursor
        self._deadline = deadline
        self._buffer: deque[tuple[Any, ...]] = deque()
        self.description = cursor.description

    def fetchone(self) -> tuple[Any, ...] | None:
        if not self._buffer:
            if time.monotonic() > self._deadline:
                raise DeadlinePassed
            self._buffer.extend(self._cursor.fetchmany(FETCH_ROWS))
        if not self._buffer:
            return None
        return tuple(_plain(value) for value in self._buffer.popleft())


def _plain(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


@contextmanager
def postgresql_cursor(raw: Any, sql: str, *, timeout_s: float) -> Iterator[_Rows]:
    """`sql` executed on the psycopg connection `raw` in a read-only, time-limited
    transaction that is rolled back on leaving."""
    deadline = time.monotonic() + timeout_s
    raw.rollback()  # a fresh transaction: READ ONLY must come before any query in it
    try:
        with raw.cursor() as setup:
            setup.execute("SET TRANSACTION READ ONLY")
            setup.execute(f"SET LOCAL statement_timeout = {max(int(timeout_s * 1000), 1)}")
        cursor = raw.cursor(name=_CURSOR_NAME)
        try:
            cursor.execute(sql)  # no parameters: psycopg sends the text as it is
            yield _Rows(cursor, deadline)
        finally:
            cursor.close()
    finally:
        if not raw.closed:
            raw.rollback()


def sqlstate(exc: BaseException | None) -> str | None:
    """The error's SQLSTATE, when PostgreSQL sent one."""
    return exc.sqlstate if isinstance(exc, psycopg.Error) else None


def is_timeout(exc: BaseException | None) -> bool:
    return isinstance(exc, DeadlinePassed) or sqlstate(exc) == TIMEOUT_SQLSTATE


def is_unavailable(exc: BaseException | None) -> bool:
    """The server is down, unreachable, or went away (a connection error without SQLSTATE)."""
    if not isinstance(exc, psycopg.Error):
        return False
    state = exc.sqlstate
    if state is None:
        return isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)
    return state.startswith("08") or state in _UNAVAILABLE_SQLSTATES


def error_text(exc: BaseException | None) -> str:
    """PostgreSQL's message and hint, without psycopg's echo of the query."""
    if isinstance(exc, psycopg.Error) and exc.diag.message_primary:
        hint = exc.diag.message_hint
        return exc.diag.message_primary + (f" ({hint})" if hint else "")
    return " ".join(str(exc).split())
