"""Server-side login sessions: what the browser's cookie names, and when it stops working.

A login creates a row in `sessions` and hands back a random id (`secrets.token_urlsafe(32)`,
256 bits) for the cookie; only its SHA-256 is stored (an HMAC-SHA-256 keyed with
AUTH_COOKIE_KEY when one is given), so a copy of the table logs nobody in. Every page run
resolves the cookie's id against the table: a session works while it is not revoked, not
past its absolute end (`lifetime` after the login), not idle for longer than `idle`, and
its user exists and is enabled. Activity renews it: `last_seen_at` is
written at most once per `touch_every`, so a busy user costs one UPDATE a minute.

Revocation is a row update, so it is immediate everywhere: logout ends one session;
`revoke_user_sessions` ends all of a user's (password reset, disable, delete call it in
their own transaction). Ended and expired rows are pruned as new sessions are written,
a bounded batch at a time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from appdb.clock import Clock, utc_now
from appdb.tables import sessions, users

DEFAULT_IDLE = timedelta(hours=2)
DEFAULT_LIFETIME = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)
PRUNE_BATCH = 200  # rows deleted at most per new session
KEEP_ENDED = timedelta(days=1)  # ended rows kept this long (for a look after an incident)
# What `secrets.token_urlsafe(32)` produces (43 characters); anything else is not ours.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class ActiveSession:
    """A session that is valid now; `expires_at` is when it ends unless renewed."""

    id: int
    user_id: int
    username: str
    created_at: datetime
    expires_at: datetime


def token_hash(token: str, secret: str | None = None) -> str:
    """The stored form of a session id: SHA-256 (keyed with `secret` if given), hex."""
    if secret:
        return hmac.new(secret.encode("utf-8"), token.encode("utf-8"), hashlib.sha256).hexdigest()
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def revoke_user_sessions(conn: sa.Connection, user_id: int, at: datetime) -> int:
    """End every open session of `user_id` inside the caller's transaction; returns how many."""
    result = conn.execute(
        sa.update(sessions)
        .where(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    return int(result.rowcount or 0)


class SessionStore:
    """Creates, resolves, renews and ends sessions in the app database."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        clock: Clock = utc_now,
        secret: str | None = None,
        idle: timedelta = DEFAULT_IDLE,
        lifetime: timedelta = DEFAULT_LIFETIME,
        touch_every: timedelta = TOUCH_EVERY,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.secret = secret
        self.idle = idle
        self.lifetime = lifetime
        self.touch_every = touch_every

    def start(self, user_id: int) -> tuple[str, ActiveSession]:
        """A new session for `user_id`: the id for the cookie (shown nowhere else) and the row."""
        token, now = secrets.token_urlsafe(32), self.clock()
        values = {
            "token_hash": token_hash(token, self.secret),
            "user_id": user_id,
            "created_at": now,
            "last_seen_at": now,
            "expires_at": now + self.lifetime,
        }
        with self.engine.begin() as conn:
            self._prune(conn, now)
            conn.execute(sa.insert(sessions).values(**values))
        session = self.resolve(token)
        if session is None:  # the user was deleted or disabled meanwhile
            raise LookupError("the new session's user is gone")
        return token, session

    def resolve(self, token: object) -> ActiveSession | None:
        """The valid session `token` names, renewed (throttled); None for anything else."""
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            return None
        now = self.clock()
        query = (
            sa.select(sessions, users.c.username)
            .join(users, users.c.id == sessions.c.user_id)
            .where(
                sessions.c.token_hash == token_hash(token, self.secret),
                sessions.c.revoked_at.is_(None),
                sessions.c.expires_at > now,
                sessions.c.last_seen_at > now - self.idle,
                users.c.disabled.is_(False),
            )
        )
        with self.engine.begin() as conn:
            row = conn.execute(query).mappings().first()
            if row is None:
                return None
            last_seen = row["last_seen_at"]
            if now - last_seen >= self.touch_every:
                conn.execute(
                    sa.update(sessions).where(sessions.c.id == row["id"]).values(last_seen_at=now)
                )
                last_seen = now
        return ActiveSession(
            id=int(row["id"]),
            user_id=int(row["user_id"]),
            username=row["username"],
            created_at=row["created_at"],
            expires_at=min(row["expires_at"], last_seen + self.idle),
        )

    def end(self, token: object) -> None:
        """Revoke the session `token` names (a logout); unknown ids are ignored."""
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            return
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(sessions)
                .where(
                    sessions.c.token_hash == token_hash(token, self.secret),
                    sessions.c.revoked_at.is_(None),
                )
                .values(revoked_at=self.clock())
            )

    def open_count(self, user_id: int) -> int:
        """How many sessions of `user_id` are valid now."""
        now = self.clock()
        query = sa.select(sa.func.count()).where(
            sessions.c.user_id == user_id,
            sessions.c.revoked_at.is_(None),
            sessions.c.expires_at > now,
            sessions.c.last_seen_at > now - self.idle,
        )
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    def prune(self) -> int:
        """Delete one batch of ended sessions; returns how many rows went."""
        with self.engine.begin() as conn:
            return self._prune(conn, self.clock())

    def _prune(self, conn: sa.Connection, now: datetime) -> int:
        cutoff = now - KEEP_ENDED
        ended = sa.or_(
            sessions.c.revoked_at < cutoff,
            sessions.c.expires_at < cutoff,
            sessions.c.last_seen_at < cutoff - self.idle,
        )
        # Ids first: MySQL can't LIMIT a DELETE that names a subquery of its own table.
        ids = list(conn.execute(sa.select(sessions.c.id).where(ended).limit(PRUNE_BATCH)).scalars())
        if not ids:
            return 0
        conn.execute(sa.delete(sessions).where(sessions.c.id.in_(ids)))
        return len(ids)
