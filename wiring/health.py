"""Health checks the sidebar shows: the business database, and Ollama with its models.

Here, not in the UI, because they touch an adapter and SQLAlchemy, which the pages never
import (`tests/unit/test_imports.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa

from backend.adapters.ollama import OllamaHealth, check_ollama


def ping_database(engine: sa.Engine) -> None:
    """Run `SELECT 1`; raises what connecting or running raised."""
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))


def describe_database(url: str) -> str:
    """A short label for a database URL, without its password: 'SQLite app.sqlite',
    'mysql+pymysql db-host/sales'."""
    parsed = sa.make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return f"SQLite {Path(parsed.database or ':memory:').name}"
    return f"{backend} {parsed.host or 'localhost'}/{parsed.database or ''}"


def check_models(base_url: str, models: Sequence[str], *, timeout_s: float) -> OllamaHealth:
    """Whether Ollama answers at `base_url` and has `models` pulled (never raises)."""
    return check_ollama(base_url=base_url, models=models, timeout_s=timeout_s)
