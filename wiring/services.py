"""The services the UI, the CLI and the tools share, built from `Settings`.

It turns `Settings` into a ready `Engine` (Ollama chat model and embedder, SQL runner,
Qdrant stores, answer cache) and indexes the business schema. The UI, the CLI and the
evaluation harness all get their engine here, so they behave the same.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from pathlib import Path

import sqlalchemy as sa
from qdrant_client import QdrantClient

from appdb.engine import create_app_engine
from appdb.migrate import upgrade
from auth.audit import AuditLog
from backend import demo
from backend.adapters.ollama import OllamaChatModel, OllamaEmbedder
from backend.adapters.ollama_version import OllamaModelVersion
from backend.adapters.sql_runner import SqlAlchemySqlRunner, create_database_engine
from backend.answer_service import AnswerService, AuditTrail
from backend.config import Settings
from backend.conversations import ConversationStore
from backend.domain import TableDoc
from backend.embedding_memo import MemoEmbedder
from backend.engine_config import EngineConfig
from backend.errors import SettingsError
from backend.knowledge import Knowledge
from backend.knowledge.apply import apply_knowledge, knowledge_notes, strip_knowledge
from backend.knowledge.draft import DraftProgress, DraftReport, draft_knowledge
from backend.knowledge.jobs import job_for
from backend.knowledge.store import KnowledgeStore
from backend.model_activity import ModelActivity, WatchedChatModel
from backend.monitoring.runs import RunLog
from backend.monitoring.store import RunStore
from backend.periodic import Periodic
from backend.pipeline import Engine
from backend.ports import ChatModel
from backend.schema import SampleCache, introspect
from backend.sources import MAIN, database_key
from vectorstore.cache import QdrantAnswerCache
from vectorstore.client import open_qdrant
from vectorstore.glossary import Glossary, GlossaryError, load_glossary
from vectorstore.sparse import SparseEncoder
from vectorstore.store import IndexStats, QdrantSchemaStore
from wiring.health import Health, service_health

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
# Output room of one draft answer: a table of 30 columns, each with a sentence and synonyms.
_DRAFT_TOKENS = 2048


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
    knowledge: KnowledgeStore
    # What the model server is busy with, for the chat's waiting notices.
    activity: ModelActivity = field(default_factory=ModelActivity)
    # Background checks (`wiring.drift`), stopped by `close`.
    background: list[Periodic] = field(default_factory=list)
    # The data source these services answer on (`backend.sources`; `main`: DATABASE_URL).
    source: str = MAIN
    # False when the Qdrant client is shared by several sources' services (closed by
    # whoever opened it).
    owns_qdrant: bool = True

    def health(self) -> tuple[Health, ...]:
        """The business database, Qdrant and Ollama with its models: up or not, and why."""
        return service_health(self.settings, self.db_engine, self.qdrant)

    def close(self) -> None:
        for task in self.background:
            task.stop()
        self.db_engine.dispose()
        self.knowledge.engine.dispose()
        if self.owns_qdrant:
            self.qdrant.close()


def build_services(
    settings: Settings,
    *,
    database_url: str | sa.URL | None = None,
    qdrant: QdrantClient | None = None,
    source: str = MAIN,
    database: str | None = None,
) -> Services:
    """Build every adapter and the engine; opens Qdrant unless a client is given.

    `database` names the index, knowledge and cache (`DataSource.index_key`); by default
    it is derived from the URL, as for `main`."""
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
    database = database or database_key(url)
    config = EngineConfig(
        database=database,
        row_limit=settings.row_limit,
        max_retries=settings.max_retries,
        candidates=settings.answer_candidates,
        candidate_temperature=settings.candidate_temperature,
        table_selection=settings.table_selection,
        question_names=settings.question_names,
        selection_pool=settings.table_selection_pool,
        catalogue_max_tokens=settings.table_catalogue_max_tokens,
        retrieval_k=settings.retrieval_k,
        num_ctx=settings.ollama_num_ctx,
        schema_mode=settings.schema_mode,
        full_schema_max_tokens=settings.full_schema_max_tokens,
        retrieved_schema_max_tokens=settings.retrieved_schema_max_tokens,
        core_schema_max_tokens=settings.core_schema_max_tokens,
        stable_context_max_tokens=settings.stable_context_max_tokens,
        chart_suggestions=settings.chart_suggestions,
    )
    activity = ModelActivity(parallel=settings.ollama_parallel)
    engine = Engine(
        model=WatchedChatModel(chat_model, activity),
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
    # The app database's engine connects on first use: commands that never read
    # knowledge never open it.
    knowledge = KnowledgeStore(create_app_engine(settings.app_db_url), database)
    return Services(
        settings=settings,
        database=database,
        db_engine=db_engine,
        qdrant=client,
        store=store,
        chat_model=chat_model,
        embedder=embedder,
        engine=engine,
        knowledge=knowledge,
        activity=activity,
        source=source,
        owns_qdrant=qdrant is None,
    )


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
    is_demo = _is_demo(tables)
    if is_demo:
        tables = [demo_comments(t) for t in tables]
        examples = demo.load_examples(dialect=services.engine.runner.dialect)
        services.store.index_examples(services.database, examples)
    return _index_with_knowledge(services, tables, progress=progress)


def refresh_knowledge(services: Services) -> IndexStats:
    """Re-index after a knowledge edit: the indexed tables with the stored knowledge, and
    the notes; only tables whose knowledge changed are embedded again."""
    tables = [strip_knowledge(t) for t in services.engine.tables().values()]
    return _index_with_knowledge(services, tables)


def knowledge_model(settings: Settings) -> OllamaChatModel:
    """The chat model that drafts knowledge: the same model, room for a long JSON answer."""
    return OllamaChatModel(
        base_url=settings.ollama_base_url,
        model=settings.ollama_model,
        num_ctx=settings.ollama_num_ctx,
        timeout_s=max(settings.ollama_timeout_s, 300.0),
        keep_alive=settings.ollama_keep_alive,
        num_predict=_DRAFT_TOKENS,
    )


def draft_and_index(
    services: Services,
    model: ChatModel,
    *,
    max_tables: int,
    only: Collection[str] | None = None,
    on_progress: Callable[[DraftProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> DraftReport:
    """Draft knowledge for the indexed tables that need it (those named in `only`, when
    given), then re-index what changed."""
    upgrade(services.knowledge.engine)
    tables = [strip_knowledge(t) for t in services.engine.tables().values()]
    report = draft_knowledge(
        tables,
        services.knowledge,
        model,
        max_tables=max_tables,
        only=only,
        on_progress=on_progress,
        should_stop=should_stop,
    )
    if report.drafted:
        refresh_knowledge(services)
    return report


def start_background_draft(services: Services) -> bool:
    """Start a draft run in a background thread (`backend.knowledge.jobs`); False when
    one is already running for this database."""
    model = knowledge_model(services.settings)
    limit = services.settings.knowledge_draft_max_tables

    def run(on_progress: Callable[[DraftProgress], None], stop: Callable[[], bool]) -> DraftReport:
        return draft_and_index(
            services, model, max_tables=limit, on_progress=on_progress, should_stop=stop
        )

    return job_for(services.database).start(run)


def load_knowledge(services: Services) -> Knowledge:
    """The stored knowledge of the business database; none when the app database fails
    (logged: questions are still answered, with the bare schema)."""
    try:
        upgrade(services.knowledge.engine)
        return services.knowledge.load()
    except sa.exc.SQLAlchemyError as error:
        log.warning("schema knowledge unavailable, indexing without it: %s", error)
        return Knowledge()


def _is_demo(tables: list[TableDoc]) -> bool:
    return set(demo.DEMO_TABLE_NAMES) <= {t.name for t in tables}


def _index_with_knowledge(
    services: Services, tables: list[TableDoc], *, progress: Progress | None = None
) -> IndexStats:
    knowledge = load_knowledge(services)
    include_drafts = services.settings.knowledge_use_drafts
    known = apply_knowledge(tables, knowledge, include_drafts=include_drafts)
    stats = services.store.index_tables(services.database, known, progress=progress)
    # The notes collection is derived: the demo's notes and the stored terms and notes.
    notes = [*(demo.load_notes() if _is_demo(tables) else ()), *knowledge_notes(knowledge)]
    services.store.index_notes(services.database, notes, replace=True)
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


def answer_service(
    services: Services,
    audit: AuditTrail,
    conversations: ConversationStore | None,
    *,
    runs: RunLog | None = None,
) -> AnswerService:
    """The one answer service of the doors (page, CLI, API, MCP) on `services`' engine.

    Questions' run records (`backend.monitoring`) go to `runs`; by default beside the
    audit, in its app database, so that every door records them with nothing to add.
    """
    settings = services.settings
    if runs is None and isinstance(audit, AuditLog):
        runs = RunStore(audit.engine, clock=audit.clock)
    return AnswerService(
        services.engine,
        audit,
        conversations,
        currency=settings.currency_symbol,
        export_row_limit=settings.export_row_limit,
        export_max_bytes=settings.export_max_bytes,
        runs=runs,
        model=OllamaModelVersion(base_url=settings.ollama_base_url, model=settings.ollama_model),
        data_source=services.source,
    )
