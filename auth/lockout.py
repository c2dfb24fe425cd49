"""Login throttling: 5 failed logins for one username within 15 minutes lock it for 15.

Attempts are counted per typed username, whether or not an account has that name, so an
unknown username is locked exactly like a real one and the answers never reveal which
names exist. A success, and the start of a lock, reset the count. Attempts made while
locked are recorded but neither counted nor allowed to extend the lock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from auth.clock import Clock, utc_now
from auth.db import USERNAME_LENGTH, lockouts, login_attempts

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)

SUCCESS, FAILURE, REFUSED = "success", "failure", "locked"


def attempt_key(username: str) -> str:
    """The name attempts are counted under: trimmed, lower-case, at most 64 characters."""
    return username.strip().lower()[:USERNAME_LENGTH]


class LockoutTracker:
    """Records login attempts in the app database and decides when a username is locked."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        clock: Clock = utc_now,
        max_failures: int = MAX_FAILURES,
        window: timedelta = FAILURE_WINDOW,
        lock_duration: timedelta = LOCK_DURATION,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.max_failures = max_failures
        self.window = window
        self.lock_duration = lock_duration

    def locked_until(self, username: str) -> datetime | None:
        """When the current lock of `username` ends, or None when it is not locked."""
        query = sa.select(sa.func.max(lockouts.c.locked_until)).where(
            lockouts.c.username == attempt_key(username), lockouts.c.locked_until > self.clock()
        )
        with self.engine.connect() as conn:
            return conn.execute(query).scalar()

    def locked_usernames(self) -> set[str]:
        """Every username locked right now (for excluding them from the credentials dict)."""
        query = sa.select(lockouts.c.username).where(lockouts.c.locked_until > self.clock())
        with self.engine.connect() as conn:
            return set(conn.execute(query).scalars())

    def record_failure(self, username: str) -> datetime | None:
        """Count a failed login; returns the lock's end when this failure starts a lock."""
        key, now = attempt_key(username), self.clock()
        with self.engine.begin() as conn:
            _insert_attempt(conn, key, now, FAILURE)
            if _failures_since(conn, key, self._count_from(conn, key, now)) < self.max_failures:
                return None
            until = now + self.lock_duration
            conn.execute(
                sa.insert(lockouts).values(username=key, locked_at=now, locked_until=until)
            )
            return until

    def record_success(self, username: str) -> None:
        """A successful login: earlier failures stop counting."""
        with self.engine.begin() as conn:
            _insert_attempt(conn, attempt_key(username), self.clock(), SUCCESS)

    def record_refused(self, username: str) -> None:
        """An attempt refused because the username was locked (kept for the record only)."""
        with self.engine.begin() as conn:
            _insert_attempt(conn, attempt_key(username), self.clock(), REFUSED)

    def unlock(self, username: str) -> None:
        """End any current lock of `username` now (an admin's action); the count restarts."""
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(lockouts)
                .where(lockouts.c.username == attempt_key(username), lockouts.c.locked_until > now)
                .values(locked_until=now)
            )

    def prune(self, older_than: timedelta = timedelta(days=30)) -> int:
        """Delete attempts and ended locks older than `older_than`; returns attempts deleted."""
        cutoff = self.clock() - max(older_than, self.window, self.lock_duration)
        with self.engine.begin() as conn:
            conn.execute(sa.delete(lockouts).where(lockouts.c.locked_until < cutoff))
            result = conn.execute(
                sa.delete(login_attempts).where(login_attempts.c.attempted_at < cutoff)
            )
            return int(result.rowcount or 0)

    def _count_from(self, conn: sa.Connection, key: str, now: datetime) -> datetime:
        """Failures after this moment count: the window, the last success, the last lock."""
        last_success = conn.execute(
            sa.select(sa.func.max(login_attempts.c.attempted_at)).where(
                login_attempts.c.username == key, login_attempts.c.outcome == SUCCESS
            )
        ).scalar()
        last_lock = conn.execute(
            sa.select(sa.func.max(lockouts.c.locked_at)).where(lockouts.c.username == key)
        ).scalar()
        candidates = [now - self.window, last_success, last_lock]
        return max(moment for moment in candidates if moment is not None)


def _insert_attempt(conn: sa.Connection, key: str, at: datetime, outcome: str) -> None:
    conn.execute(sa.insert(login_attempts).values(username=key, attempted_at=at, outcome=outcome))


def _failures_since(conn: sa.Connection, key: str, since: datetime) -> int:
    query = sa.select(sa.func.count()).where(
        login_attempts.c.username == key,
        login_attempts.c.outcome == FAILURE,
        login_attempts.c.attempted_at > since,
    )
    return int(conn.execute(query).scalar() or 0)
