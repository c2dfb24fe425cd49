"""What the API serves with, composed once per process: `open_api_services(settings)`.

The engine and its adapters (`wiring.services`), the auth services on the app database,
the token store, the one answer service of every door, the rate limiter, and two small
time-boxed caches (the schema knowledge for chart labels, the services' health). Tests
build the same thing around objects they made (`api_services`).
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
from backend.answer_service import AnswerService
from backend.config import Settings
from backend.conversations import ConversationStore
from backend.errors import KeskinubeError
from backend.knowledge import Knowledge
from wiring.drift import start_drift_watch
from wiring.services import Services, answer_service, build_services, index_database, load_knowledge
from wiring.stores import build_app_stores

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


@dataclass
class ApiServices:
    """Everything the routes use; shared by all callers (nothing in it is per user)."""

    settings: Settings
    services: Services
    auth: AuthServices
    tokens: TokenStore
    answers: AnswerService
    conversations: ConversationStore
    limiter: RateLimiter
    knowledge: Memo[Knowledge]
    health: Memo[Reachability]
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        """Close what `open_api_services` opened (nothing, for objects a test gave)."""
        for close in self.closers:
            close()
        self.closers.clear()


def api_services(settings: Settings, services: Services, auth: AuthServices) -> ApiServices:
    """The API's services around an engine and auth services built elsewhere."""
    conversations = build_app_stores(auth.engine, services.store, services.database).conversations
    return ApiServices(
        settings=settings,
        services=services,
        auth=auth,
        tokens=auth.tokens,
        answers=answer_service(services, auth.audit, conversations),
        conversations=conversations,
        limiter=RateLimiter(settings.api_rate_limit, settings.api_rate_limit_storage),
        knowledge=Memo(lambda: load_knowledge(services), KNOWLEDGE_TTL_S),
        health=Memo(lambda: reachability(services), HEALTH_TTL_S),
    )


def open_api_services(settings: Settings) -> ApiServices:
    """Build everything from `settings`: the app database (migrated, first admin), the
    engine, and an incremental index of the business schema (a failure is logged: the
    API starts, and questions say the database is not indexed)."""
    auth = open_app_auth(settings)
    try:
        services = build_services(settings)
    except Exception:
        auth.close()
        raise
    try:
        index_database(services)
    except KeskinubeError as exc:
        log.warning("start-up indexing failed: %s", exc)
    start_drift_watch(services)  # stopped by services.close
    built = api_services(settings, services, auth)
    built.closers += [services.close, auth.close]
    return built
