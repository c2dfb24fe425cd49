"""Why connecting to a data source failed, as a catalogue message an admin can act on.

pymysql gives error codes; psycopg gives none for a failed connection (there is no
server result to carry a SQLSTATE), so its text is read, in the English libpq and a
server with the default `lc_messages` write. What is not recognised is shown as the
driver's first line, with the password taken out should a driver ever echo it.
"""

from __future__ import annotations

import re
import sqlite3

import sqlalchemy as sa

from backend.i18n.message import Message
from backend.sources.model import DataSource

# MySQL/MariaDB client and server codes.
_MYSQL_LOGIN = {1045, 1698}  # access denied (password; unix_socket plugin)
_MYSQL_DATABASE_DENIED = 1044
_MYSQL_UNKNOWN_DATABASE = 1049
_MYSQL_HOST_NOT_ALLOWED = 1130
_MYSQL_CANNOT_CONNECT = {2002, 2003, 2005, 2013}
# PostgreSQL SQLSTATEs, when the driver has one.
_PG_STATES = {
    "28P01": "login_failed",
    "3D000": "unknown_database",
    "42501": "database_denied",
    "57014": "timeout",
}
# Patterns of libpq's and the server's texts, in the order they are tried.
_PG_TEXTS = (
    ("login_failed", r"password authentication failed|role \".*\" does not exist|"
                     r"no password supplied|password is required"),
    ("unknown_database", r"database \".*\" does not exist"),
    ("database_denied", r"permission denied for database"),
    ("host_not_allowed", r"no pg_hba\.conf entry"),
    ("unknown_host", r"could not translate host name|failed to resolve host|"
                     r"Name or service not known|nodename nor servname"),
    ("refused", r"Connection refused|No route to host|Network is unreachable"),
    ("timeout", r"timeout expired|timed out"),
)  # fmt: skip
_NETWORK_TEXTS = (
    ("unknown_host", r"Name or service not known|nodename nor servname|getaddrinfo failed|"
                     r"Temporary failure in name resolution"),
    ("timeout", r"timed out"),
)  # fmt: skip


def connection_error(
    source: DataSource, error: BaseException, *, password: str | None, timeout_s: float
) -> Message:
    """The message for `error`, raised while connecting to `source` or reading from it."""
    original: BaseException = error
    if isinstance(error, sa.exc.DBAPIError) and error.orig is not None:
        original = error.orig
    kind = _kind(source, original)
    if kind is None:
        return Message.of("sources.check.failed", reason=_reason(original, password))
    port = str(source.port or "")
    return Message.of(
        f"sources.check.{kind}",
        user=source.username,
        database=source.database,
        host=source.host,
        address=f"{source.host}:{port}" if port else source.host,
        seconds=f"{timeout_s:g}",
    )


def _kind(source: DataSource, error: BaseException) -> str | None:
    if isinstance(error, TimeoutError):
        return "timeout"
    if source.kind == "sqlite":
        if isinstance(error, sqlite3.DatabaseError) and "not a database" in str(error):
            return "not_sqlite"
        return None
    if source.kind == "mysql":
        return _mysql_kind(error)
    state = getattr(error, "sqlstate", None)
    if state in _PG_STATES:
        return _PG_STATES[state]
    return _by_text(_PG_TEXTS, str(error))


def _mysql_kind(error: BaseException) -> str | None:
    code = error.args[0] if error.args and isinstance(error.args[0], int) else None
    if code in _MYSQL_LOGIN:
        return "login_failed"
    if code == _MYSQL_DATABASE_DENIED:
        return "database_denied"
    if code == _MYSQL_UNKNOWN_DATABASE:
        return "unknown_database"
    if code == _MYSQL_HOST_NOT_ALLOWED:
        return "host_not_allowed"
    if code in _MYSQL_CANNOT_CONNECT:
        # 2003 says why in its text: the name, the time limit, or a refusal.
        return _by_text(_NETWORK_TEXTS, str(error)) or "refused"
    return None


def _by_text(patterns: tuple[tuple[str, str], ...], text: str) -> str | None:
    for kind, pattern in patterns:
        if re.search(pattern, text, re.IGNORECASE):
            return kind
    return None


def _reason(error: BaseException, password: str | None) -> str:
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else type(error).__name__
    return text.replace(password, "***") if password else text
