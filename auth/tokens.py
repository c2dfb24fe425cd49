"""Personal API tokens: how the HTTP API and the MCP endpoint know who is calling.

A user creates a named token (optionally with an expiry) and sees it once:
`kk_` + `secrets.token_urlsafe(32)` (256 bits). Only its SHA-256 is stored, beside its first
characters (`prefix`) so that a person can tell their tokens apart; a copy of the table
lets nobody in. A token acts as its user — role, table and column rules, row filters —
read afresh on every call, so a role change or a disabled account applies at once. A
revoked, expired or unknown token, or one whose user is disabled or gone, is simply not
accepted: the caller is told nothing more (the API answers 401 with no detail).

Login lockout does not apply to tokens (a token is not guessable); the API's rate limit
per token does.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from appdb.clock import Clock, utc_now
from appdb.tables import api_tokens, users
from auth.errors import AuthError
from auth.users import User, UserStore
from backend.i18n import Message

TOKEN_PREFIX = "kk_"
NAME_LENGTH = 80
SHOWN_PREFIX = 10  # 'kk_' and 7 characters of the secret: enough to tell tokens apart
TOUCH_EVERY = timedelta(minutes=1)  # `last_used_at` is written at most this often
# What `create` hands out; anything else is not ours and is refused before any lookup.
_TOKEN = re.compile(rf"{TOKEN_PREFIX}[A-Za-z0-9_-]{{43}}")
ACTIVE, EXPIRED, REVOKED = "active", "expired", "revoked"


@dataclass(frozen=True)
class ApiToken:
    """A token as its owner and the admins see it (never the secret)."""

    id: int
    user_id: int
    username: str
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    def status(self, now: datetime) -> str:
        """ACTIVE, EXPIRED or REVOKED (a revoked token is that, expired or not)."""
        if self.revoked_at is not None:
            return REVOKED
        return ACTIVE if self.usable(now) else EXPIRED


@dataclass(frozen=True)
class CreatedToken:
    """A new token: `secret` is shown once and never stored."""

    token: ApiToken
    secret: str


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class TokenStore:
    """Create, list, revoke and check API tokens. Every method is one transaction."""

    def __init__(
        self,
        engine: sa.Engine,
        users_store: UserStore,
        *,
        clock: Clock = utc_now,
        touch_every: timedelta = TOUCH_EVERY,
    ) -> None:
        self.engine = engine
        self.users = users_store
        self.clock = clock
        self.touch_every = touch_every

    def create(
        self, username: str, name: str, *, expires_in: timedelta | None = None
    ) -> CreatedToken:
        """A new token for the active user `username`, named `name` (shown to them only)."""
        name = " ".join(name.split())
        if not name or len(name) > NAME_LENGTH:
            raise AuthError(Message.of("auth.token.bad_name", limit=NAME_LENGTH))
        if expires_in is not None and expires_in <= timedelta(0):
            raise AuthError(Message.of("auth.token.bad_expiry"))
        user = self.users.get_user(username)
        if not user.active:
            raise AuthError(Message.of("auth.token.disabled_user", username=username))
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self.clock()
        values = {
            "token_hash": hash_token(secret),
            "prefix": secret[:SHOWN_PREFIX],
            "user_id": user.id,
            "name": name,
            "created_at": now,
            "expires_at": None if expires_in is None else now + expires_in,
        }
        with self.engine.begin() as conn:
            key = conn.execute(sa.insert(api_tokens).values(**values)).inserted_primary_key
            assert key is not None  # a single-row INSERT always reports its key
            token = self._get(conn, int(key[0]))
        return CreatedToken(token=token, secret=secret)

    def list_for(self, username: str) -> list[ApiToken]:
        """`username`'s tokens, newest first (revoked and expired ones too)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                _select().where(users.c.username == username).order_by(api_tokens.c.id.desc())
            ).mappings()
            return [_to_token(row) for row in rows]

    def list_all(self) -> list[ApiToken]:
        """Every user's tokens, newest first (for the admins)."""
        with self.engine.connect() as conn:
            rows = conn.execute(_select().order_by(api_tokens.c.id.desc())).mappings()
            return [_to_token(row) for row in rows]

    def get(self, token_id: int) -> ApiToken:
        """The token `token_id`, whoever owns it; `AuthError` (not found) when none."""
        with self.engine.connect() as conn:
            return self._get(conn, token_id)

    def revoke(self, token_id: int, *, by: User) -> ApiToken:
        """Revoke a token: its owner may, and any admin. Revoking twice changes nothing."""
        with self.engine.begin() as conn:
            token = self._get(conn, token_id)
            if token.user_id != by.id and not by.is_admin:
                # Another user's token id says nothing to a non-admin: as if it did not exist.
                raise AuthError(Message.of("auth.token.not_found"))
            if token.revoked_at is None:
                conn.execute(
                    sa.update(api_tokens)
                    .where(api_tokens.c.id == token_id)
                    .values(revoked_at=self.clock(), revoked_by=by.username)
                )
                token = self._get(conn, token_id)
        return token

    def authenticate(self, secret: str | None) -> User | None:
        """The active user a usable token `secret` belongs to; None for anything else."""
        if not secret or not _TOKEN.fullmatch(secret):
            return None
        now = self.clock()
        with self.engine.begin() as conn:
            row = (
                conn.execute(_select().where(api_tokens.c.token_hash == hash_token(secret)))
                .mappings()
                .first()
            )
            if row is None:
                return None
            token = _to_token(row)
            if not token.usable(now):
                return None
            if token.last_used_at is None or now - token.last_used_at >= self.touch_every:
                conn.execute(
                    sa.update(api_tokens)
                    .where(api_tokens.c.id == token.id)
                    .values(last_used_at=now)
                )
        user = self.users.find_user(token.username)
        if user is None or not user.active or user.id != token.user_id:
            return None
        return user

    def _get(self, conn: sa.Connection, token_id: int) -> ApiToken:
        row = conn.execute(_select().where(api_tokens.c.id == token_id)).mappings().first()
        if row is None:
            raise AuthError(Message.of("auth.token.not_found"))
        return _to_token(row)


def _select() -> sa.Select[tuple[object, ...]]:
    return sa.select(api_tokens, users.c.username).join(users, users.c.id == api_tokens.c.user_id)


def _to_token(row: sa.RowMapping) -> ApiToken:
    return ApiToken(
        id=int(row["id"]),
        user_id=int(row["user_id"]),
        username=str(row["username"]),
        name=str(row["name"]),
        prefix=str(row["prefix"]),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        last_used_at=row["last_used_at"],
        revoked_at=row["revoked_at"],
        revoked_by=row["revoked_by"],
    )
