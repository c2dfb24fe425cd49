"""Health of the services behind the answers: the business database, Qdrant, and Ollama
with its models pulled — what the sidebar and the API's health endpoint show.

Here, not in the UI, because they touch an adapter and SQLAlchemy, which the pages never
import (`tests/unit/test_imports.py`). What a check found is kept as catalogue messages,
written in the reader's language by whoever shows it. Details (hosts, URLs, the services'
own errors) are for admins; others should be shown only whether each service is up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from qdrant_client import QdrantClient

from backend.adapters.ollama import OllamaHealth, check_ollama
from backend.config import Settings
from backend.errors import KeskinubeError
from backend.i18n import Message

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Health:
    """One service's state; `name` and `detail` are plain text or catalogue messages."""

    name: str | Message
    ok: bool
    detail: str | Message


def service_health(
    settings: Settings, db_engine: sa.Engine, qdrant: QdrantClient
) -> tuple[Health, ...]:
    """Check the business database, Qdrant and Ollama (never raises)."""
    return (
        _database(db_engine),
        _qdrant(settings.qdrant_url or settings.qdrant_location, qdrant),
        _ollama(settings.ollama_base_url, (settings.ollama_model, settings.ollama_embed_model)),
    )


def _database(engine: sa.Engine) -> Health:
    label = describe_database(engine.url.render_as_string(hide_password=True))
    return _probe(Message.of("sidebar.health.database"), label, lambda: ping_database(engine))


def _qdrant(location: str, client: QdrantClient) -> Health:
    label: str | Message = location
    if not location.startswith("http"):
        label = Message.of("sidebar.health.embedded")
    return _probe("Qdrant", label, client.get_collections)  # i18n: not prose (a product name)


def _probe(name: str | Message, label: str | Message, check: Callable[[], object]) -> Health:
    """Run `check`: up with `label`; down with the error a person may read, or a generic
    "unreachable" (the full error goes to the log)."""
    try:
        check()
    except KeskinubeError as exc:
        return Health(name, False, exc.message or str(exc))
    except Exception:
        log.exception("health check of %s failed", name)
        return Health(name, False, Message.of("sidebar.health.unreachable", service=label))
    return Health(name, True, label)


def _ollama(base_url: str, models: tuple[str, ...]) -> Health:
    name = "Ollama"  # i18n: not prose (a product name)
    found = check_models(base_url, models, timeout_s=2.0)
    if found.ok:
        return Health(name, True, Message.of("sidebar.health.models_pulled", url=base_url))
    problem = found.message or Message.of("sidebar.health.not_ready", url=base_url)
    return Health(name, False, problem)


def ping_database(engine: sa.Engine) -> None:
    """Run `SELECT 1`; raises what connecting or running raised."""
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))


def describe_database(url: str | sa.URL) -> str:
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
