"""`create_app_engine`: an engine for the app database, SQLite or MySQL/MariaDB."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import StaticPool


def create_app_engine(url: str, **kwargs: Any) -> sa.Engine:
    """An engine for the app database; creates the folder of a SQLite file if needed.

    SQLite connections may be used from Streamlit's script threads and the API's request
    threads; an in-memory SQLite database is shared by every connection of the engine.
    """
    parsed = sa.make_url(url)
    options: dict[str, Any] = {"pool_pre_ping": True}
    if parsed.get_backend_name() == "sqlite":
        # A writer waits up to 30 s for another's transaction: sqlite3's 5 s ran out when
        # many threads of one process write at once (the HTTP API under load).
        options["connect_args"] = {"check_same_thread": False, "timeout": 30}
        database = parsed.database or ""
        if database in {"", ":memory:"}:
            options["poolclass"] = StaticPool
        elif not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    options.update(kwargs)
    engine = sa.create_engine(parsed, **options)
    if parsed.get_backend_name() == "sqlite" and (parsed.database or ":memory:") != ":memory:":
        sa.event.listen(engine, "connect", _sqlite_wal)
    return engine


def _sqlite_wal(connection: Any, _record: Any) -> None:
    """Write-ahead logging: readers never wait for a writer, and a commit costs one write
    of the log, synced at checkpoints (`synchronous=NORMAL`, still safe against a crash of
    the app; only a power cut may lose the last commits). Every answer commits an audit
    row, a conversation turn and a run record, so this is most of what SQLite costs."""
    cursor = connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()
