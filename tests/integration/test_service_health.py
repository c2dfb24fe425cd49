"""`Services.health()`: what the sidebar and the API show about the services behind the
answers — up, or down with a reason — and that it never raises (scripted Ollama, SQLite
and a MariaDB URL that nothing listens on)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from qdrant_client import QdrantClient

from backend.config import load_settings
from backend.i18n import Message
from testkit.scripted_ollama import ScriptedOllama
from tests.support.services import scripted_services
from wiring.services import build_services


def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'shop.sqlite'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    engine.dispose()
    return url


def test_every_service_up_says_where_it_runs(
    scripted_ollama: ScriptedOllama, tmp_path: Path
) -> None:
    with scripted_services(scripted_ollama, sqlite_url(tmp_path)) as services:
        health = services.health()
    assert [item.ok for item in health] == [True, True, True]
    database, qdrant, ollama = health
    assert database.detail == "SQLite shop.sqlite"
    assert qdrant.name == "Qdrant" and ollama.name == "Ollama"
    assert isinstance(ollama.detail, Message) and scripted_ollama.url in ollama.detail.render("en")


def test_a_dead_database_and_a_dead_model_are_reported_not_raised(
    scripted_ollama: ScriptedOllama, tmp_path: Path
) -> None:
    settings = load_settings(
        ollama_base_url="http://127.0.0.1:9",  # nothing listens on the discard port
        ollama_model="m",
        ollama_embed_model="e",
    )
    dead = "mysql+pymysql://reader:s3cret-pw@127.0.0.1:9/sales"
    services = build_services(settings, database_url=dead, qdrant=QdrantClient(":memory:"))
    try:
        database, qdrant, ollama = services.health()
    finally:
        services.close()
    assert not database.ok and not ollama.ok and qdrant.ok
    shown = (
        database.detail.render("en") if isinstance(database.detail, Message) else database.detail
    )
    assert "127.0.0.1/sales" in shown and "s3cret" not in shown
    spanish = ollama.detail.render("es") if isinstance(ollama.detail, Message) else ""
    assert spanish and spanish != ollama.detail.render("en")  # type: ignore[union-attr]
