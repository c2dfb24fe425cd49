"""The product's services wired for a test: the scripted Ollama, an embedded Qdrant, and
the schema of the database under test already indexed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from qdrant_client import QdrantClient

from backend.config import load_settings
from testkit.scripted_ollama import ScriptedOllama
from wiring.services import Services, build_services, index_database


@contextmanager
def scripted_services(
    ollama: ScriptedOllama, database_url: str, **overrides: object
) -> Iterator[Services]:
    """Services on `database_url` that ask `ollama`; `overrides` are further settings."""
    settings = load_settings(
        ollama_base_url=ollama.url,
        ollama_model=ollama.chat_model,
        ollama_embed_model=ollama.embed_model,
        ollama_timeout_s=5,
        **overrides,
    )
    built = build_services(settings, database_url=database_url, qdrant=QdrantClient(":memory:"))
    try:
        index_database(built)
        yield built
    finally:
        built.close()
