"""Who is calling: `Authorization: Bearer kk_…` → the token's user → an Actor per source.

Every call reads the token and its user afresh (`TokenStore.authenticate`), so a revoked
token, an expired one or a disabled user is refused at once; the actor on a data source
(`Caller.actor_on`) carries the user's role, table and column rules and row filters on
that source, as the web page would. A source that does not exist and one the caller may
not use get the same answer: 404 `unknown_source`, one message whatever the name.

Anything wrong with the token is one answer: 401, `{"error": {"code": "unauthorized"}}`,
no detail (which of missing, unknown, revoked, expired or disabled is nobody's business
but the owner's, who sees it on their tokens page). Login lockout does not apply: a token
cannot be guessed.

Then the token's rate limit (`API_RATE_LIMIT`): beyond it, 429 with Retry-After.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiError
from api.language import accepted_language
from api.rate_limit import RateLimitUnavailable
from api.services import ApiServices, SourceDoor, SourceRequired
from auth.tokens import hash_token
from auth.users import User
from backend.domain import Actor
from backend.i18n import DEFAULT_LANGUAGE, Language, Message
from backend.sources import UnknownSource

TOKEN_HELP = (
    "A personal API token, sent as `Authorization: Bearer kk_…`. Create one on your "
    "profile page or with `keskinube tokens create`; it acts as you (your role, access "
    "rules and row filters) until it expires or is revoked."
)
bearer = HTTPBearer(auto_error=False, scheme_name="token", description=TOKEN_HELP)


@dataclass(frozen=True)
class OnSource:
    """Where a request asks: the source's door, and the caller as the engine sees them
    there."""

    door: SourceDoor
    actor: Actor

    @property
    def source(self) -> str:
        return self.door.source


@dataclass(frozen=True)
class Caller:
    """The user behind the token and the answer's language; the engine's view of them
    depends on the source asked (`actor_on`, `on`)."""

    user: User
    language: Language
    api: ApiServices = field(repr=False, compare=False)

    def actor_on(self, source: str) -> Actor:
        """The caller on `source`; 404 `unknown_source` when there is no such source or
        the caller may not use it (the same bytes either way)."""
        try:
            actor = self.api.actor_on(self.user, source, default_language=self.language)
        except UnknownSource as exc:
            raise ApiError(404, "unknown_source", exc.message) from None
        # The header outranks the user's saved choice: the engine's messages follow it too.
        return replace(actor, language=self.language)

    def on(self, asked: str | None, conversation_id: int | None = None) -> OnSource:
        """The source a request goes to: a continued conversation's (409
        `conversation_source` when `asked` names another), else `asked`, else the
        caller's default (400 `source_required` when they have none)."""
        source = asked
        if conversation_id is not None:
            held = self.api.conversations.get(self.user.username, conversation_id).source
            if asked is not None and asked != held:
                message = Message.of("api.error.conversation_source", source=held)
                raise ApiError(409, "conversation_source", message)
            source = held
        if source is None:
            try:
                source = self.api.default_source(self.user)
            except SourceRequired as exc:
                raise ApiError(400, "source_required", exc.message) from None
        actor = self.actor_on(source)
        try:
            door = self.api.door(source)
        except UnknownSource:  # removed since, or its settings are unusable
            raise ApiError(404, "unknown_source", Message.of("api.error.unknown_source")) from None
        return OnSource(door=door, actor=actor)


def api_of(request: Request) -> ApiServices:
    """The process's services (`create_app` put them on the app)."""
    services: ApiServices = request.app.state.api
    return services


def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    """The authenticated, rate-limited caller of a request (see module)."""
    api = api_of(request)
    secret = credentials.credentials if credentials is not None else None
    user = api.tokens.authenticate(secret)
    if user is None or secret is None:
        raise ApiError(401, "unauthorized", headers={"WWW-Authenticate": "Bearer"})
    asked = accepted_language(request.headers.get("accept-language"))
    language = asked or user.language or api.settings.language or DEFAULT_LANGUAGE
    request.state.language = language
    _within_rate_limit(api, hash_token(secret))
    return Caller(user=user, language=language, api=api)


def _within_rate_limit(api: ApiServices, key: str) -> None:
    try:
        retry_after = api.limiter.hit(key)
    except RateLimitUnavailable:
        message = Message.of("api.error.rate_limit_unavailable")
        raise ApiError(503, "rate_limit_unavailable", message) from None
    if retry_after is not None:
        message = Message.of("api.error.rate_limited", seconds=retry_after)
        raise ApiError(429, "rate_limited", message, headers={"Retry-After": str(retry_after)})


CallerDep = Annotated[Caller, Depends(caller)]
