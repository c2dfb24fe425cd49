"""Every data source of one process, each with its own services, built on first use.

`main` (DATABASE_URL) and the sources admins added (`backend.sources.store`) each get a
`Services` of their own — engine, runner, index, knowledge, answer cache — named by the
source's `index_key`, so that nothing of one database reaches another. They share the
Qdrant client (embedded Qdrant allows one per folder) and the model server.

A source edited in the app (its settings or password) is rebuilt the next time it is
asked for; a removed one is closed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from qdrant_client import QdrantClient

from appdb.engine import create_app_engine
from appdb.migrate import upgrade
from backend.config import Settings
from backend.i18n.message import Message
from backend.sources import MAIN, DataSource, InvalidSource, UnknownSource, main_source
from backend.sources.secrets import SecretBox
from backend.sources.store import SourceStore
from vectorstore.cache import forget_database
from vectorstore.client import open_qdrant
from vectorstore.store import drop_database
from wiring.services import Services, build_services

log = logging.getLogger(__name__)

# What to do with a source's services once built (index, background checks): the UI and
# the API start what they need; a command starts nothing.
OnBuilt = Callable[[Services], None]


def source_store(settings: Settings, engine: sa.Engine | None = None) -> SourceStore:
    """The stored data sources, in the app database (migrated to head)."""
    app_engine = engine or create_app_engine(settings.app_db_url)
    upgrade(app_engine)
    return SourceStore(app_engine, SecretBox(settings.sources_secret))


def check_not_app_database(settings: Settings, source: DataSource) -> None:
    """Refuse a SQLite source that is Keskinube's own app database: whoever may use the
    source would read password hashes and sessions."""
    if source.kind != "sqlite":
        return
    app = sa.make_url(settings.app_db_url)
    if app.get_backend_name() != "sqlite" or not app.database:
        return
    if _same_file(Path(source.database), Path(app.database)):
        raise InvalidSource(Message.of("sources.sqlite_is_app_db"))


def _same_file(one: Path, other: Path) -> bool:
    try:
        return one.resolve() == other.resolve() or (
            one.exists() and other.exists() and one.samefile(other)
        )
    except OSError:
        return False


class SourceRegistry:
    """The sources of one process and their services (thread-safe)."""

    def __init__(
        self,
        settings: Settings,
        store: SourceStore,
        *,
        qdrant: QdrantClient | None = None,
        on_built: OnBuilt | None = None,
        main_services: Services | None = None,
    ) -> None:
        """`main_services`: `main`'s services, built and prepared elsewhere (a test's, a
        command's): served as they are, their Qdrant client shared, never closed here."""
        self.settings = settings
        self.store = store
        if main_services is not None:
            qdrant = qdrant or main_services.qdrant
        self._owns_qdrant = qdrant is None
        self.qdrant = qdrant or open_qdrant(url=settings.qdrant_url, path=settings.qdrant_location)
        self._on_built = on_built
        self._given_main = main_services
        main_url = settings.business_database_url
        if main_services is not None:
            main_url = main_services.db_engine.url.render_as_string(hide_password=False)
        self._main = main_source(main_url)
        self._built: dict[str, tuple[DataSource, Services]] = {}
        self._prepared: set[int] = set()  # ids of the services `on_built` has seen
        self._lock = threading.RLock()

    @property
    def main(self) -> DataSource:
        return self._main

    def sources(self) -> list[DataSource]:
        """`main` first, then the added sources by name."""
        return [self._main, *self.store.list()]

    def source(self, name: str) -> DataSource:
        if name == MAIN:
            return self._main
        return self.store.get(name)

    def services(self, name: str = MAIN, *, prepare: bool = True) -> Services:
        """The services of source `name`, built on first use and again after the source
        was edited, and prepared (`on_built`) the first time they are asked for with
        `prepare` — a re-index with its own progress asks without. UnknownSource when
        there is no such source."""
        if name == MAIN and self._given_main is not None:
            return self._given_main
        with self._lock:
            source = self.source(name)
            built = self._built.get(name)
            if built is None or not _same_settings(built[0], source):
                if built is not None:
                    self._close(name)
                built = (source, self._build(source))
                self._built[name] = built
            services = built[1]
            first = prepare and id(services) not in self._prepared
            if first:
                self._prepared.add(id(services))
        if first and self._on_built is not None:
            self._on_built(services)
        return services

    def built(self) -> list[Services]:
        """The services built so far (for health and background work)."""
        with self._lock:
            built = [services for _, services in self._built.values()]
        return built if self._given_main is None else [self._given_main, *built]

    def forget(self, name: str) -> None:
        """Close the services of `name` (after it was removed or edited)."""
        with self._lock:
            self._close(name)

    def drop_index(self, source: DataSource) -> None:
        """Delete what Qdrant holds of `source` (its collections, its cached answers): a
        source added later under the same name starts from nothing of this one's. Its
        knowledge and examples stay in the app database."""
        self.forget(source.name)
        drop_database(self.qdrant, source.index_key)
        forget_database(self.qdrant, source.index_key)

    def close(self) -> None:
        with self._lock:
            for name in list(self._built):
                self._close(name)
            if self._owns_qdrant:
                self.qdrant.close()

    def _close(self, name: str) -> None:
        built = self._built.pop(name, None)
        if built is not None:
            self._prepared.discard(id(built[1]))
            built[1].close()

    def _build(self, source: DataSource) -> Services:
        if source.name == MAIN:
            return build_services(self.settings, qdrant=self.qdrant)
        check_not_app_database(self.settings, source)
        password = self.store.password(source.name)
        try:
            url = source.url(password)
        except (ValueError, TypeError) as error:
            raise UnknownSource(Message.of("sources.unknown", name=source.name)) from error
        return build_services(
            self.settings,
            database_url=url,
            qdrant=self.qdrant,
            source=source.name,
            database=source.index_key,
        )


def _same_settings(one: DataSource, other: DataSource) -> bool:
    return one == other and one.updated_at == other.updated_at
