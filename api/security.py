"""Who is calling: `Authorization: Bearer kk_…` → the token's user → the engine's Actor.

Every call reads the token and its user afresh (`TokenStore.authenticate`), so a revoked
token, an expired one or a disabled user is refused at once; the actor carries the user's
role, table and column rules and row filters as the web page would. Anything wrong with
the token is one answer: 401, `{"error": {"code": "unauthorized"}}`, no detail (which of
missing, unknown, revoked, expired or disabled is nobody's business but the owner's, who
sees it on their tokens page). Login lockout does not apply: a token cannot be guessed.

Then the token's rate limit (`API_RATE_LIMIT`): beyond it, 429 with Retry-After.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiError
from api.language import accepted_language
from api.rate_limit import RateLimitUnavailable
from api.services import ApiServices
from auth.tokens import hash_token
from auth.users import User
from backend.domain import Actor
from backend.i18n import DEFAULT_LANGUAGE, Language, Message

TOKEN_HELP = (
    "A personal API token, sent as `Authorization: Bearer kk_…`. Create one on your "
    "profile page or with `keskinube tokens create`; it acts as you (your role, access "
    "rules and row filters) until it expires or is revoked."
)
bearer = HTTPBearer(auto_error=False, scheme_name="token", description=TOKEN_HELP)


@dataclass(frozen=True)
class Caller:
    """The user behind the token, as the engine sees them, and the answer's language."""

    user: User
    actor: Actor
    language: Language


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
    actor = api.auth.policies.actor_for(user, default_language=language)
    # The header outranks the user's saved choice: the engine's messages follow it too.
    return Caller(user=user, actor=replace(actor, language=language), language=language)


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
