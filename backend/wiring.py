"""The composition root: the one module that knows every adapter.

It turns `Settings` into a ready `Engine` (Ollama chat model and embedder, SQL runner,
Qdrant stores, answer cache) and indexes the business schema. The UI, the CLI and the
evaluation harness all get their engine here, so they behave the same.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import sqlalchemy as sa
from qdrant_client import QdrantClient

from backend import demo
from backend.adapters.ollama import OllamaChatModel, OllamaEmbedder
from backend.adapters.sql_runner import SqlAlchemySqlRunner, create_database_engine
from backend.config import Settings
from backend.domain import TableDoc
from backend.embedding_memo import MemoEmbedder
from backend.errors import SettingsError
from backend.pipeline import Engine, EngineConfig
from backend.schema import SampleCache, introspect
from vectorstore.cache import QdrantAnswerCache
from vectorstore.client import open_qdrant
from vectorstore.glossary import Glossary, GlossaryError, load_glossary
from vectorstore.sparse import SparseEncoder
from vectorstore.store import IndexStats, QdrantSchemaStore

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


@dataclass
class Services:
    """Everything built from one Settings: shared by all users of one process."""

    settings: Settings
    database: str
    db_engine: sa.Engine
    qdrant: QdrantClient
    store: QdrantSchemaStore
    chat_model: OllamaChatModel
    embedder: MemoEmbedder
    engine: Engine

    def close(self) -> None:
        self.db_engine.dispose()
        self.qdrant.close()


def database_key(url: str) -> str:
    """A stable, readable identity of a business database, used to name collections."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        name = Path(parsed.database or "memory").stem
    else:
        name = f"{parsed.host or 'localhost'}_{parsed.port or ''}_{parsed.database or ''}"
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "default"


def build_services(
    settings: Settings, *, database_url: str | None = None, qdrant: QdrantClient | None = None
) -> Services:
    """Build every adapter and the engine; opens Qdrant unless a client is given."""
    url = database_url or settings.business_database_url
    db_engine = create_database_engine(url)
    client = qdrant or open_qdrant(url=settings.qdrant_url, path=settings.qdrant_location)
    embedder = MemoEmbedder(
        OllamaEmbedder(
            base_url=settings.ollama_base_url,
            model=settings.ollama_embed_model,
            timeout_s=min(settings.ollama_timeout_s, 30.0),
            keep_alive=settings.ollama_keep_alive,
        )
    )
    chat_model = OllamaChatModel(
        base_url=settings.ollama_base_url,
        model=settings.ollama_model,
        num_ctx=settings.ollama_num_ctx,
        timeout_s=settings.ollama_timeout_s,
        keep_alive=settings.ollama_keep_alive,
    )
    store = QdrantSchemaStore(client, embedder, sparse=SparseEncoder(glossary_for(settings)))
    database = database_key(url)
    config = EngineConfig(
        database=database,
        row_limit=settings.row_limit,
        max_retries=settings.max_retries,
        retrieval_k=settings.retrieval_k,
        num_ctx=settings.ollama_num_ctx,
        schema_mode=settings.schema_mode,
        full_schema_max_tokens=settings.full_schema_max_tokens,
        retrieved_schema_max_tokens=settings.retrieved_schema_max_tokens,
        stable_context_max_tokens=settings.stable_context_max_tokens,
        chart_suggestions=settings.chart_suggestions,
    )
    engine = Engine(
        model=chat_model,
        runner=SqlAlchemySqlRunner(
            db_engine,
            timeout_s=settings.query_timeout_s,
            cell_max_bytes=settings.result_cell_max_bytes,
            result_max_bytes=settings.result_max_bytes,
            stream_max_bytes=settings.export_max_bytes,
        ),
        index=store,
        config=config,
        cache=QdrantAnswerCache(client, embedder, similarity=settings.cache_similarity),
    )
    return Services(settings, database, db_engine, client, store, chat_model, embedder, engine)


def glossary_for(settings: Settings) -> Glossary | None:
    """The glossary that widens keyword search (GLOSSARY_PATH): `auto` is the bundled one.

    The bundled glossary is the demo's sales vocabulary, used on every database: it only
    adds English words to Spanish questions (English ones encode exactly as without it),
    and words that no indexed document holds weigh nothing.
    """
    choice = settings.glossary_path.strip()
    if choice.lower() == "off":
        return None
    path = demo.GLOSSARY_FILE if choice.lower() in {"", "auto"} else Path(choice)
    try:
        return load_glossary(path)
    except GlossaryError as error:
        raise SettingsError(f"GLOSSARY_PATH: {error}") from error


def index_database(services: Services, *, progress: Progress | None = None) -> IndexStats:
    """Introspect the business database and index what changed (tables, examples, notes)."""
    services.settings.data_dir.mkdir(parents=True, exist_ok=True)
    cache = SampleCache(services.settings.data_dir / "sample_values.json")
    tables = introspect(services.db_engine, sample_cache=cache)
    is_demo = set(demo.DEMO_TABLE_NAMES) <= {t.name for t in tables}
    if is_demo:
        tables = [demo_comments(t) for t in tables]
    stats = services.store.index_tables(services.database, tables, progress=progress)
    if is_demo:
        services.store.index_examples(services.database, demo.load_examples())
        services.store.index_notes(services.database, demo.load_notes())
    services.engine.refresh()
    return stats


def demo_comments(table: TableDoc) -> TableDoc:
    """SQLite keeps no comments: take the demo tables' comments from their definition."""
    defined = demo.metadata.tables.get(table.name)
    if defined is None or table.comment:
        return table
    comments = {column.name: column.comment for column in defined.columns}
    columns = tuple(replace(c, comment=c.comment or comments.get(c.name)) for c in table.columns)
    return replace(table, comment=defined.comment, columns=columns)
