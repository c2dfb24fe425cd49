"""What the API serves with, composed once per process: `open_api_services(settings)`.

The data sources and their services (`wiring.sources.SourceRegistry`: each source's
engine built, indexed and watched for drift on first use), the auth services on the app
database, the token store, the rate limiter, and per source a `SourceDoor`: its answer
service and two small time-boxed caches (the schema knowledge for chart labels, the
services' health). Tests build the same thing around objects they made (`api_services`).

Which sources a user may use, and which one a request without `source` goes to, is
decided here for the HTTP API and the MCP endpoint alike (`usable_sources`,
`default_source`, `actor_on`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from api.rate_limit import RateLimiter
from auth.services import AuthServices
from auth.startup import open_app_auth
from auth.tokens import TokenStore
from auth.users import User
from backend.answer_service import AnswerService, AuditTrail
from backend.config import Settings
from backend.conversations import ConversationStore
from backend.domain import Actor
from backend.errors import KeskinubeError
from backend.i18n import Message
from backend.knowledge import Knowledge
from backend.sources import MAIN, DataSource, UnknownSource
from backend.sources.secrets import SecretBox
from backend.sources.store import SourceStore
from wiring.drift import start_drift_watch
from wiring.services import Services, answer_service, index_database, load_knowledge
from wiring.sources import OnBuilt, SourceRegistry

log = logging.getLogger(__name__)

KNOWLEDGE_TTL_S = 60.0  # knowledge edits reach the charts' labels within a minute
HEALTH_TTL_S = 5.0  # /v1/health needs no token: at most one round of checks per 5 s

T = TypeVar("T")


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


def reachability(services: Services) -> Reachability:
    """`Services.health` (what the sidebar shows), as yes or no per service."""
    database, vectors, model = services.health()
    return Reachability(database=database.ok, model=model.ok, vectors=vectors.ok)


class Memo(Generic[T]):
    """`get()` returns what `load()` gave, loaded again once `ttl_s` seconds have passed."""

    def __init__(self, load: Callable[[], T], ttl_s: float) -> None:
        self._load = load
        self._ttl_s = ttl_s
        self._lock = threading.Lock()
        self._value: T | None = None
        self._loaded_at = 0.0

    def get(self) -> T:
        with self._lock:
            if self._value is None or time.monotonic() - self._loaded_at >= self._ttl_s:
                self._value = self._load()
                self._loaded_at = time.monotonic()
            return self._value


class SourceRequired(KeskinubeError):
    """A request named no source, and its user has no default one (see `default_source`)."""


@dataclass(frozen=True)
class SourceDoor:
    """What the routes use on one data source: its services, its answer service, and
    the two caches of its own."""

    services: Services
    answers: AnswerService
    knowledge: Memo[Knowledge]
    health: Memo[Reachability]

    @property
    def source(self) -> str:
        return self.services.source


def source_door(
    services: Services, audit: AuditTrail, conversations: ConversationStore
) -> SourceDoor:
    return SourceDoor(
        services=services,
        answers=answer_service(services, audit, conversations),
        knowledge=Memo(lambda: load_knowledge(services), KNOWLEDGE_TTL_S),
        health=Memo(lambda: reachability(services), HEALTH_TTL_S),
    )


@dataclass
class ApiServices:
    """Everything the routes use; shared by all callers (nothing in it is per user)."""

    settings: Settings
    sources: SourceRegistry
    auth: AuthServices
    tokens: TokenStore
    conversations: ConversationStore
    limiter: RateLimiter
    closers: list[Callable[[], None]] = field(default_factory=list)
    _doors: dict[str, SourceDoor] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def door(self, source: str = MAIN) -> SourceDoor:
        """The door of `source`, made on its first use and again when the registry
        rebuilt its services (the source was edited); UnknownSource when there is none."""
        # Outside the lock: building a source's services indexes it, which takes a while,
        # and must not hold up the requests to other sources.
        services = self.sources.services(source)
        with self._lock:
            door = self._doors.get(source)
            if door is None or door.services is not services:
                door = source_door(services, self.auth.audit, self.conversations)
                self._doors[source] = door
            return door

    # `main`'s, for /v1/health (no token: no source to choose) and for tests.
    @property
    def services(self) -> Services:
        return self.door().services

    @property
    def answers(self) -> AnswerService:
        return self.door().answers

    @property
    def health(self) -> Memo[Reachability]:
        return self.door().health

    def answers_on(self, source: str) -> AnswerService:
        """The answer service of `source`; UnknownSource (without the name, as
        `actor_on`) when it was removed, or its settings cannot be used."""
        try:
            return self.door(source).answers
        except UnknownSource:
            raise UnknownSource(Message.of("api.error.unknown_source")) from None

    def usable_sources(self, user: User) -> list[DataSource]:
        """The sources `user` may ask, `main` first."""
        found = self.sources.sources()
        usable = set(self.auth.policies.usable_sources(user.role, [s.name for s in found]))
        return [source for source in found if source.name in usable]

    def default_source(self, user: User) -> str:
        """Where a request of `user` that names no source goes: `main` when they may use
        it, else their only source; SourceRequired when they have several, or none."""
        chosen = default_among([source.name for source in self.usable_sources(user)])
        if chosen is None:
            raise SourceRequired(Message.of("api.error.source_required"))
        return chosen

    def actor_on(self, user: User, source: str, *, default_language: str | None = None) -> Actor:
        """`user` as the engine sees them on `source`. UnknownSource, with one message,
        both when there is no such source and when `user` may not use it: a caller must
        not learn which sources exist by trying names."""
        try:
            self.sources.source(source)
            return self.auth.policies.actor_for(
                user, source=source, default_language=default_language
            )
        except UnknownSource:
            raise UnknownSource(Message.of("api.error.unknown_source")) from None

    def close(self) -> None:
        """Close what `open_api_services` opened (for objects a test gave: only the
        services of the sources the registry built itself)."""
        for close in self.closers:
            close()
        self.closers.clear()


def default_among(usable: list[str]) -> str | None:
    """`main` when usable, else the only usable source; None for several, or none."""
    if MAIN in usable:
        return MAIN
    return usable[0] if len(usable) == 1 else None


def index_quietly(services: Services) -> None:
    """An incremental index of a source's schema; a failure is logged (questions then say
    the database is not indexed), so that one broken source never stops the API."""
    try:
        index_database(services)
    except KeskinubeError as exc:
        log.warning("indexing source %r failed: %s", services.source, exc)


def prepare_source(services: Services) -> None:
    """What a source's services get when first built: an index, and the drift watch
    (stopped by `services.close`)."""
    index_quietly(services)
    start_drift_watch(services)


def api_services(
    settings: Settings,
    services: Services,
    auth: AuthServices,
    *,
    on_built: OnBuilt | None = index_quietly,
) -> ApiServices:
    """The API's services around `main`'s services and auth services built elsewhere;
    the sources added in the app are built by the registry (`on_built` prepares them)."""
    store = SourceStore(auth.engine, SecretBox(settings.sources_secret))
    registry = SourceRegistry(settings, store, on_built=on_built, main_services=services)
    return _around(settings, registry, auth, closers=[registry.close])


def open_api_services(settings: Settings) -> ApiServices:
    """Build everything from `settings`: the app database (migrated, first admin) and the
    sources' registry; `main` is built and indexed at once (a failed index is logged: the
    API starts, and questions say the database is not indexed), the other sources on
    their first request."""
    auth = open_app_auth(settings)
    try:
        store = SourceStore(auth.engine, SecretBox(settings.sources_secret))
        registry = SourceRegistry(settings, store, on_built=prepare_source)
    except Exception:
        auth.close()
        raise
    built = _around(settings, registry, auth, closers=[registry.close, auth.close])
    try:
        built.door(MAIN)
    except Exception:
        built.close()
        raise
    return built


def _around(
    settings: Settings,
    registry: SourceRegistry,
    auth: AuthServices,
    *,
    closers: list[Callable[[], None]],
) -> ApiServices:
    return ApiServices(
        settings=settings,
        sources=registry,
        auth=auth,
        tokens=auth.tokens,
        conversations=ConversationStore(auth.engine),
        limiter=RateLimiter(settings.api_rate_limit, settings.api_rate_limit_storage),
        closers=closers,
    )
