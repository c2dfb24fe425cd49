"""Login throttling by client as well as by account, so that nobody can lock a user out.

Three rules, all over a 15-minute window of failed logins (`login_attempts`):

* **per username and client**: 5 failures for one username from one client lock that
  username *for that client only*, for 15 minutes. The same user from another client
  still logs in, so an attacker who knows a name can't lock its owner out.
* **per client**: 20 failures from one client, whatever the usernames, lock the client
  out of every username for 15 minutes (guessing by rotating usernames).
* **per username, every client**: from the 10th failure on an account, each attempt
  must wait a delay that doubles per failure (1 s, 2 s, 4 s, ... capped at 60 s) after
  the last failure; earlier attempts are refused unchecked. A distributed guesser is held
  to one guess a minute per account; the owner gets in once the delay has passed.

"Client" is the address `auth.clients.client_address` derives (the remote IP; behind a
trusted proxy, the address it forwards), an IPv6 one widened to its /64. Attempts are
counted per typed username, whether or not an account has that name, so unknown
usernames are throttled like real ones and the answers never reveal which names exist.
A success resets the count of its own username and client only. Attempts refused while
locked or slowed are recorded but not counted. Attempts older than the longest window are
pruned as new ones are written, a bounded batch at a time.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import sqlalchemy as sa

from appdb.clock import Clock, utc_now
from appdb.schema import CLIENT_LENGTH, USERNAME_LENGTH
from appdb.tables import client_lockouts, lockouts, login_attempts

MAX_FAILURES = 5  # per (username, client)
CLIENT_MAX_FAILURES = 20  # per client, any usernames
SLOWDOWN_AFTER = 10  # per username, all clients: failures before the delays start
SLOWDOWN_BASE = timedelta(seconds=1)
SLOWDOWN_CAP = timedelta(seconds=60)
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)
PRUNE_BATCH = 500  # attempts deleted at most per write
IPV6_CLIENT_PREFIX = 64  # an IPv6 client is counted as its /64 (see `client_key`)
LOCAL_CLIENT = "local"  # a connection from this machine (Streamlit reports no address)

SUCCESS, FAILURE, REFUSED, SLOWED = "success", "failure", "locked", "slowed"


def attempt_key(username: str) -> str:
    """The name attempts are counted under: trimmed, lower-case, at most 64 characters."""
    return username.strip().lower()[:USERNAME_LENGTH]


def client_key(client: str | None) -> str:
    """The client attempts are counted under (`LOCAL_CLIENT` when unknown).

    An IPv6 client counts as its /64: one host is usually given a whole /64 and can take
    any address in it, so counting single addresses would let it rotate past the client
    locks (2^64 "clients" for one attacker).
    """
    cleaned = (client or "").strip().lower()
    return (_ipv6_prefix(cleaned) or cleaned)[:CLIENT_LENGTH] or LOCAL_CLIENT


def _ipv6_prefix(text: str) -> str | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if not isinstance(address, ipaddress.IPv6Address) or address.ipv4_mapped is not None:
        return None
    return str(ipaddress.ip_network((address, IPV6_CLIENT_PREFIX), strict=False))


@dataclass(frozen=True)
class Refusal:
    """Why an attempt may not be checked now, and until when."""

    reason: Literal["locked", "slowed"]
    until: datetime


class LockoutTracker:
    """Records login attempts in the app database and decides when one is refused."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        clock: Clock = utc_now,
        max_failures: int = MAX_FAILURES,
        client_max_failures: int = CLIENT_MAX_FAILURES,
        slowdown_after: int = SLOWDOWN_AFTER,
        slowdown_cap: timedelta = SLOWDOWN_CAP,
        window: timedelta = FAILURE_WINDOW,
        lock_duration: timedelta = LOCK_DURATION,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.max_failures = max_failures
        self.client_max_failures = client_max_failures
        self.slowdown_after = slowdown_after
        self.slowdown_cap = slowdown_cap
        self.window = window
        self.lock_duration = lock_duration

    # -- deciding ----------------------------------------------------------------------------
    def refusal(self, username: str, client: str | None = None) -> Refusal | None:
        """Why `username` may not be tried from `client` now (a lock, then the slow-down)."""
        until = self.locked_until(username, client)
        if until is not None:
            return Refusal("locked", until)
        slowed = self.slowed_until(username)
        return Refusal("slowed", slowed) if slowed is not None else None

    def locked_until(self, username: str, client: str | None = None) -> datetime | None:
        """When the lock of `username` for `client` (or of the whole client) ends, if any."""
        key, source, now = attempt_key(username), client_key(client), self.clock()
        account = sa.select(sa.func.max(lockouts.c.locked_until)).where(
            lockouts.c.username == key,
            sa.or_(lockouts.c.client == source, lockouts.c.client.is_(None)),
            lockouts.c.locked_until > now,
        )
        whole = sa.select(sa.func.max(client_lockouts.c.locked_until)).where(
            client_lockouts.c.client == source, client_lockouts.c.locked_until > now
        )
        with self.engine.connect() as conn:
            ends = [conn.execute(account).scalar(), conn.execute(whole).scalar()]
        found = [end for end in ends if end is not None]
        return max(found) if found else None

    def slowed_until(self, username: str) -> datetime | None:
        """When the next attempt on `username` may be checked, while its delay runs."""
        key, now = attempt_key(username), self.clock()
        query = sa.select(sa.func.count(), sa.func.max(login_attempts.c.attempted_at)).where(
            login_attempts.c.username == key,
            login_attempts.c.outcome == FAILURE,
            login_attempts.c.attempted_at > now - self.window,
        )
        with self.engine.connect() as conn:
            count, last = conn.execute(query).one()
        if last is None or count < self.slowdown_after:
            return None
        until = last + self.delay_after(int(count))
        return until if until > now else None

    def delay_after(self, failures: int) -> timedelta:
        """The wait after the `failures`-th failure on one account (0 before the threshold)."""
        if failures < self.slowdown_after:
            return timedelta(0)
        steps = min(failures - self.slowdown_after, 32)
        delay: timedelta = SLOWDOWN_BASE * 2**steps  # int ** int is typed Any (it may be a float)
        return min(delay, self.slowdown_cap)

    def locked_usernames(self) -> set[str]:
        """Every username locked right now for at least one client (for the admin page)."""
        query = sa.select(lockouts.c.username).where(lockouts.c.locked_until > self.clock())
        with self.engine.connect() as conn:
            return set(conn.execute(query).scalars())

    # -- recording ---------------------------------------------------------------------------
    def record_failure(self, username: str, client: str | None = None) -> datetime | None:
        """Count a failed login; returns the lock's end when this failure starts a lock."""
        key, source, now = attempt_key(username), client_key(client), self.clock()
        with self.engine.begin() as conn:
            self._write(conn, key, source, now, FAILURE)
            ends = [self._lock_pair(conn, key, source, now), self._lock_client(conn, source, now)]
        started = [end for end in ends if end is not None]
        return max(started) if started else None

    def record_success(self, username: str, client: str | None = None) -> None:
        """A successful login: earlier failures of this username from this client stop
        counting."""
        with self.engine.begin() as conn:
            self._write(conn, attempt_key(username), client_key(client), self.clock(), SUCCESS)

    def record_refused(
        self, username: str, client: str | None = None, *, outcome: str = REFUSED
    ) -> None:
        """An attempt refused unchecked, while locked or slowed (kept for the record only)."""
        with self.engine.begin() as conn:
            self._write(conn, attempt_key(username), client_key(client), self.clock(), outcome)

    def unlock(self, username: str) -> None:
        """End every current lock of `username`, for every client (an admin's action); its
        failures stop counting too, so the slow-down ends as well."""
        key, now = attempt_key(username), self.clock()
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(lockouts)
                .where(lockouts.c.username == key, lockouts.c.locked_until > now)
                .values(locked_until=now)
            )
            conn.execute(
                sa.update(login_attempts)
                .where(login_attempts.c.username == key, login_attempts.c.outcome == FAILURE)
                .values(outcome="cleared")
            )

    def prune(self, older_than: timedelta | None = None) -> int:
        """Delete one batch of attempts and ended locks older than the longest window (or
        `older_than`, if longer); returns the attempts deleted."""
        with self.engine.begin() as conn:
            return self._prune(conn, self.clock(), older_than)

    # -- helpers -------------------------------------------------------------------------------
    def _write(
        self, conn: sa.Connection, key: str, source: str, at: datetime, outcome: str
    ) -> None:
        """Record one attempt, and prune one batch of expired ones (bounded work per write)."""
        self._prune(conn, at, None)
        conn.execute(
            sa.insert(login_attempts).values(
                username=key, client=source, attempted_at=at, outcome=outcome
            )
        )

    def _lock_pair(
        self, conn: sa.Connection, key: str, source: str, now: datetime
    ) -> datetime | None:
        since = self._pair_count_from(conn, key, source, now)
        failures = _count(
            conn,
            login_attempts.c.username == key,
            login_attempts.c.client == source,
            login_attempts.c.attempted_at > since,
        )
        if failures < self.max_failures:
            return None
        until = now + self.lock_duration
        conn.execute(
            sa.insert(lockouts).values(
                username=key, client=source, locked_at=now, locked_until=until
            )
        )
        return until

    def _lock_client(self, conn: sa.Connection, source: str, now: datetime) -> datetime | None:
        last_lock = conn.execute(
            sa.select(sa.func.max(client_lockouts.c.locked_at)).where(
                client_lockouts.c.client == source
            )
        ).scalar()
        since = max(m for m in (now - self.window, last_lock) if m is not None)
        failures = _count(
            conn, login_attempts.c.client == source, login_attempts.c.attempted_at > since
        )
        if failures < self.client_max_failures:
            return None
        until = now + self.lock_duration
        conn.execute(
            sa.insert(client_lockouts).values(client=source, locked_at=now, locked_until=until)
        )
        return until

    def _pair_count_from(
        self, conn: sa.Connection, key: str, source: str, now: datetime
    ) -> datetime:
        """Failures after this moment count: the window, the last success, the last lock."""
        last_success = conn.execute(
            sa.select(sa.func.max(login_attempts.c.attempted_at)).where(
                login_attempts.c.username == key,
                login_attempts.c.client == source,
                login_attempts.c.outcome == SUCCESS,
            )
        ).scalar()
        last_lock = conn.execute(
            sa.select(sa.func.max(lockouts.c.locked_at)).where(
                lockouts.c.username == key, lockouts.c.client == source
            )
        ).scalar()
        candidates = [now - self.window, last_success, last_lock]
        return max(moment for moment in candidates if moment is not None)

    def _prune(self, conn: sa.Connection, now: datetime, older_than: timedelta | None) -> int:
        longest = max(self.window, self.lock_duration, older_than or timedelta(0))
        cutoff = now - longest
        for table in (lockouts, client_lockouts):
            expired = conn.execute(
                sa.select(table.c.id).where(table.c.locked_until < cutoff).limit(PRUNE_BATCH)
            ).scalars()
            if found := list(expired):
                conn.execute(sa.delete(table).where(table.c.id.in_(found)))
        # Ids first: MySQL can't LIMIT a DELETE that names a subquery of its own table.
        old = conn.execute(
            sa.select(login_attempts.c.id)
            .where(login_attempts.c.attempted_at < cutoff)
            .limit(PRUNE_BATCH)
        ).scalars()
        ids = list(old)
        if ids:
            conn.execute(sa.delete(login_attempts).where(login_attempts.c.id.in_(ids)))
        return len(ids)


def _count(conn: sa.Connection, *conditions: sa.ColumnElement[bool]) -> int:
    query = sa.select(sa.func.count()).where(login_attempts.c.outcome == FAILURE, *conditions)
    return int(conn.execute(query).scalar() or 0)
