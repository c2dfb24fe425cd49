"""Health checks: the business database, Qdrant, and Ollama with its models.

The sidebar shows them with their detail (for admins); the HTTP API's /v1/health says
only what answers (`reachability`). Here, not in the doors, because they touch an adapter
and SQLAlchemy, which the pages never import (`tests/unit/test_imports.py`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from backend.adapters.ollama import OllamaHealth, check_ollama

if TYPE_CHECKING:
    from wiring.services import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reachability:
    """Which services answer: the business database, the model (with its models pulled)
    and the vector store. No detail: safe to show anyone."""

    database: bool
    model: bool
    vectors: bool

    @property
    def ok(self) -> bool:
        return self.database and self.model and self.vectors


def reachability(services: Services, *, timeout_s: float = 2.0) -> Reachability:
    """Check each service once (never raises; what failed is logged)."""
    settings = services.settings
    models = (settings.ollama_model, settings.ollama_embed_model)
    return Reachability(
        database=_answers("business database", lambda: ping_database(services.db_engine)),
        model=check_models(settings.ollama_base_url, models, timeout_s=timeout_s).ok,
        vectors=_answers("Qdrant", services.qdrant.get_collections),
    )


def _answers(name: str, check: Callable[[], object]) -> bool:
    try:
        check()
    except Exception as exc:
        log.warning("%s health check failed: %r", name, exc)
        return False
    return True


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
