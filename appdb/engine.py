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
    return sa.create_engine(parsed, **options)
