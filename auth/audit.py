"""The audit log: every login, logout, SQL run and admin action, with queries and CSV export.

Rows hold who, when, what happened and, for SQL runs, the question, the SQL, the row
count, the status and the duration. An answer is recorded as one row per try that reached
the database (the statement the guard let through, and how it ended) plus its outcome,
all in one transaction. Passwords are never passed in, so never stored. Long texts are
cut to `TEXT_LIMIT` characters so that MySQL's TEXT columns always fit.

Database errors reach this log only as the engine words them: text built from the query,
or a catalogue message by error code — never the database's own text, which can carry row
values a user may not see (`backend.adapters.db_errors`); the server log keeps that.

A failed write of an answer is handled one way, by `backend.answer_service.AnswerService`:
logged with its stack trace, and the door gets a warning to show; the answer is never lost.

A detail given as a catalogue `Message` is stored twice: its English text (what the text
search and the CSV export read, so records stay one language however they are viewed) and
the message itself, which the audit page shows in the reader's language.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

import sqlalchemy as sa

from appdb.clock import Clock, to_utc_naive, utc_now
from appdb.schema import TEXT_LIMIT, USERNAME_LENGTH
from appdb.tables import audit_log
from backend.csv_cells import QUOTING, neutralise_cell
from backend.i18n.message import Message

if TYPE_CHECKING:
    from backend.domain import Answer, Attempt

log = logging.getLogger(__name__)

LOGIN_SUCCESS = "login_success"
LOGIN_FAILURE = "login_failure"
LOCKOUT = "lockout"  # a lock starts
LOGIN_LOCKED = "login_locked"  # an attempt refused during a lock
LOGOUT = "logout"
SQL_RUN = "sql_run"
ADMIN_ACTION = "admin_action"
EVENTS = (LOGIN_SUCCESS, LOGIN_FAILURE, LOCKOUT, LOGIN_LOCKED, LOGOUT, SQL_RUN, ADMIN_ACTION)

OK, FAILED, REFUSED, REJECTED, ERROR, TIMEOUT = (
    "ok",
    "failed",
    "refused",
    "rejected",
    "error",
    "timeout",
)
STATUSES = (OK, FAILED, REFUSED, REJECTED, ERROR, TIMEOUT)

CSV_COLUMNS = (
    "id",
    "at",
    "username",
    "event",
    "status",
    "question",
    "sql",
    "row_count",
    "duration_s",
    "detail",
    "source",
    "data_source",
)


@dataclass(frozen=True)
class AuditEntry:
    """One audit row; `at` is naive UTC."""

    id: int
    at: datetime
    username: str | None
    event: str
    status: str
    question: str | None = None
    sql: str | None = None
    row_count: int | None = None
    duration_s: float | None = None
    detail: str | None = None
    detail_message: Message | None = None
    source: str | None = None  # the door a SQL run came through (page, api, tile, ...)
    data_source: str | None = None  # the database it ran on (`backend.sources`)

    def detail_in(self, language: str | None) -> str | None:
        """The detail in `language` when it was recorded as a message, else as written."""
        return self.detail_message.render(language) if self.detail_message else self.detail


@dataclass(frozen=True)
class AuditFilter:
    """Which rows to show; every field left None matches everything.

    `since` is inclusive and `until` exclusive; `text` searches the username, question, SQL
    and detail, case-insensitively.
    """

    username: str | None = None
    event: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class AuditPage:
    """One page of matching rows, newest first, and how many rows match in all."""

    entries: tuple[AuditEntry, ...]
    total: int
    offset: int
    limit: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.entries) < self.total


class AuditLog:
    """Writes and reads the `audit_log` table."""

    def __init__(self, engine: sa.Engine, *, clock: Clock = utc_now) -> None:
        self.engine = engine
        self.clock = clock

    def record(self, event: str, *, username: str | None, status: str = OK, **fields: Any) -> None:
        """Append one row; `fields` are the optional AuditEntry fields (question, sql, ...)."""
        self._insert([self._row(event, username=username, status=status, **fields)])

    def _row(
        self, event: str, *, username: str | None, status: str, **fields: Any
    ) -> dict[str, Any]:
        known = {"question", "sql", "row_count", "duration_s", "detail", "source", "data_source"}
        unknown = set(fields) - known
        if unknown:
            raise TypeError(f"unknown audit fields: {sorted(unknown)}")
        detail = fields.get("detail")
        if isinstance(detail, Message):
            fields["detail"] = str(detail)
            fields["detail_message"] = json.dumps(detail.to_dict(), ensure_ascii=False)
        values = {key: _clip(value) for key, value in fields.items()}
        name = username[:USERNAME_LENGTH] if username else None
        return {"at": self.clock(), "username": name, "event": event, "status": status, **values}

    def _insert(self, rows: list[dict[str, Any]]) -> None:
        with self.engine.begin() as conn:
            for row in rows:  # one by one: rows may lack different optional fields
                conn.execute(sa.insert(audit_log).values(**row))

    def record_login(
        self, username: str, event: str, *, detail: str | Message | None = None
    ) -> None:
        """A login event (LOGIN_SUCCESS, LOGIN_FAILURE, LOCKOUT, LOGIN_LOCKED, LOGOUT)."""
        status = OK if event in (LOGIN_SUCCESS, LOGOUT) else REFUSED
        self.record(event, username=username, status=status, detail=detail)

    def record_sql(
        self,
        username: str,
        question: str | None,
        sql: str | None,
        row_count: int | None,
        status: str,
        duration_s: float | None,
        detail: str | Message | None = None,
        *,
        source: str | None = None,
    ) -> None:
        """One SQL run: `sql` is the final statement run (or refused); status one of STATUSES."""
        self.record(
            SQL_RUN,
            username=username,
            status=status,
            question=question,
            sql=sql,
            row_count=row_count,
            duration_s=duration_s,
            detail=detail,
            source=source,
        )

    def record_answer(
        self,
        username: str,
        answer: Answer,
        *,
        source: str | None = None,
        data_source: str | None = None,
    ) -> None:
        """Record an `Engine.ask`/`run_sql` answer, in one transaction: a row for each try
        that reached the database before the last one, then the outcome (status from its
        error and last stage; the SQL the database ran when the last try got that far).
        `source` is the door it came through (`backend.answer_service.SOURCES`),
        `data_source` the database it ran on."""
        rows = [
            self._attempt_row(username, answer.question, number, attempt, source, data_source)
            for number, attempt in enumerate(answer.attempts[:-1], start=1)
            if attempt.reached_database
        ]
        last = answer.attempts[-1] if answer.attempts else None
        status = OK if answer.ok else _status(last)
        cached = Message.of("audit.detail.cached") if answer.cached else None
        detail = answer.error_message or answer.error or cached
        sql = last.executed if last is not None and last.reached_database else answer.sql
        rows.append(
            self._row(
                SQL_RUN,
                username=username,
                status=status,
                question=answer.question,
                sql=sql,
                row_count=answer.result.row_count if answer.result is not None else None,
                duration_s=round(sum(answer.timings.values()), 4),
                detail=detail,
                source=source,
                data_source=data_source,
            )
        )
        self._insert(rows)

    def _attempt_row(
        self,
        username: str,
        question: str,
        number: int,
        attempt: Attempt,
        source: str | None,
        data_source: str | None,
    ) -> dict[str, Any]:
        reason = attempt.message or attempt.error or ""
        code = "–" if attempt.code is None else attempt.code
        detail = Message.of("audit.detail.attempt", number=number, code=code, reason=reason)
        return self._row(
            SQL_RUN,
            username=username,
            status=_status(attempt),
            question=question,
            sql=attempt.executed,
            detail=detail,
            source=source,
            data_source=data_source,
        )

    def record_admin(self, by: str, detail: str | Message) -> None:
        """An admin's change to users or access rules, described in `detail`."""
        self.record(ADMIN_ACTION, username=by, status=OK, detail=detail)

    def query(
        self, filters: AuditFilter | None = None, *, limit: int = 50, offset: int = 0
    ) -> AuditPage:
        """One page of matching rows, newest first."""
        if limit < 1 or offset < 0:
            raise ValueError("limit must be positive and offset not negative")
        conditions = _conditions(filters or AuditFilter())
        rows_query = (
            sa.select(audit_log)
            .where(*conditions)
            .order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        count_query = sa.select(sa.func.count()).select_from(audit_log).where(*conditions)
        with self.engine.connect() as conn:
            total = int(conn.execute(count_query).scalar() or 0)
            entries = tuple(_to_entry(row) for row in conn.execute(rows_query).mappings())
        return AuditPage(entries=entries, total=total, offset=offset, limit=limit)

    def iter_entries(
        self, filters: AuditFilter | None = None, *, batch: int = 1000
    ) -> Iterator[AuditEntry]:
        """Every matching row, oldest first, fetched `batch` rows at a time."""
        query = (
            sa.select(audit_log)
            .where(*_conditions(filters or AuditFilter()))
            .order_by(audit_log.c.at, audit_log.c.id)
        )
        with self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=batch).execute(query)
            for row in result.mappings():
                yield _to_entry(row)

    def iter_csv(self, filters: AuditFilter | None = None) -> Iterator[str]:
        """The CSV export, a header line then one line per row (for a download button)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, quoting=QUOTING)
        writer.writerow(CSV_COLUMNS)
        for entry in self.iter_entries(filters):
            writer.writerow(_csv_row(entry))
            yield _drain(buffer)
        if buffer.tell():
            yield _drain(buffer)

    def write_csv(self, out: TextIO, filters: AuditFilter | None = None) -> int:
        """Stream the CSV export into `out` (open it with newline=""); returns the row count."""
        writer = csv.writer(out, quoting=QUOTING)
        writer.writerow(CSV_COLUMNS)
        count = 0
        for entry in self.iter_entries(filters):
            writer.writerow(_csv_row(entry))
            count += 1
        return count


def _status(attempt: Attempt | None) -> str:
    """How a failed try ended: refused by the guard, stopped by the time limit, or failed."""
    if attempt is None or attempt.stage == "ok":
        return OK if attempt is not None else ERROR
    if attempt.stage == "check":
        return REJECTED
    if attempt.message is not None and attempt.message.key == "engine.db.timeout":
        return TIMEOUT
    return ERROR


def _conditions(filters: AuditFilter) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.username:
        conditions.append(audit_log.c.username == filters.username.strip().lower())
    if filters.event:
        conditions.append(audit_log.c.event == filters.event)
    if filters.status:
        conditions.append(audit_log.c.status == filters.status)
    if filters.source:
        conditions.append(audit_log.c.source == filters.source)
    if filters.since is not None:
        conditions.append(audit_log.c.at >= to_utc_naive(filters.since))
    if filters.until is not None:
        conditions.append(audit_log.c.at < to_utc_naive(filters.until))
    if filters.text and filters.text.strip():
        needle = filters.text.strip()
        columns = (audit_log.c.username, audit_log.c.question, audit_log.c.sql, audit_log.c.detail)
        conditions.append(sa.or_(*(col.icontains(needle, autoescape=True) for col in columns)))
    return conditions


def _to_entry(row: sa.RowMapping) -> AuditEntry:
    return AuditEntry(
        **{key: row[key] for key in CSV_COLUMNS}, detail_message=_message(row["detail_message"])
    )


def _message(stored: str | None) -> Message | None:
    """The stored message; None for rows without one, or anything unreadable."""
    if not stored:
        return None
    try:
        return Message.from_dict(json.loads(stored))
    except (KeyError, TypeError, ValueError):
        return None


def _csv_row(entry: AuditEntry) -> list[object]:
    values = [getattr(entry, column) for column in CSV_COLUMNS]
    values[1] = entry.at.isoformat(sep=" ")
    # Text a spreadsheet could run as a formula is neutralised, as in result exports.
    return ["" if value is None else neutralise_cell(value) for value in values]


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _clip(value: object) -> object:
    if isinstance(value, str) and len(value) > TEXT_LIMIT:
        return value[: TEXT_LIMIT - 1] + "…"
    return value
