"""Creating and revoking API tokens, each written to the audit log.

The tokens page and `keskinube tokens` call these rather than `TokenStore` directly, so
that every token made or revoked is recorded the same way: an `admin_action` row by the
person acting, naming the token's owner, its name and its shown prefix — never the
secret, which exists only in the value `create_token` returns. Refusals are the store's
`AuthError`s, whose messages are meant for the person acting.
"""

from __future__ import annotations

from datetime import timedelta

from auth.services import AuthServices
from auth.tokens import ApiToken, CreatedToken
from auth.users import User
from backend.i18n import Message


def create_token(
    services: AuthServices, username: str, name: str, *, days: int | None = None, by: str
) -> CreatedToken:
    """A new token for `username`, expiring after `days` (None: never); `by` is who acts
    (the user themselves on the page, "cli" on the command line)."""
    expires_in = None if days is None else timedelta(days=days)
    created = services.tokens.create(username, name, expires_in=expires_in)
    token = created.token
    expires: str | Message = (
        Message.of("audit.detail.token_no_expiry")
        if token.expires_at is None
        else f"{token.expires_at:%Y-%m-%d %H:%M} UTC"
    )
    detail = Message.of("audit.detail.token_created", expires=expires, **_about(token))
    services.audit.record_admin(by, detail)
    return created


def revoke_token(services: AuthServices, token_id: int, *, by: User) -> ApiToken:
    """Revoke token `token_id` as `by` (its owner or an admin; anyone else is told it does
    not exist). Revoking a revoked token changes nothing and records nothing."""
    # A missing id raises here the very "not found" the store gives a non-owner below.
    was_revoked = services.tokens.get(token_id).revoked_at is not None
    token = services.tokens.revoke(token_id, by=by)
    if not was_revoked:
        detail = Message.of("audit.detail.token_revoked", **_about(token))
        services.audit.record_admin(by.username, detail)
    return token


def _about(token: ApiToken) -> dict[str, object]:
    """What an audit row says of a token: whose, its name and its shown prefix."""
    return {"username": token.username, "name": token.name, "prefix": token.prefix}
