"""Logging in without Streamlit: `LoginService` and the credentials dict for the library.

Two ways for a Streamlit adapter to use it:

* its own form calls `LoginService.attempt(username, password, client=...)` and shows
  `message` (what `ui.auth_gate` does; sessions are then `auth.sessions`);
* or streamlit-authenticator's form checks the password against
  `credentials_for_authenticator(store, lockout=...)` (locked and disabled users left out)
  and the adapter then reports the outcome with `record_success` / `record_failure`.

Either way throttling (`auth.lockout`, by username and client), `last_login_at` and the
audit log are kept here. Every refusal of a wrong password or unknown username reads
`INVALID_CREDENTIALS`, and unknown usernames are counted and locked like real ones, so no
answer reveals which usernames exist. `client` is the caller's address
(`auth.clients.client_address`); None counts as this machine. Messages are catalogue
`Message`s: the form shows them in the visitor's language.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from auth import audit
from auth.audit import AuditLog
from auth.lockout import SLOWED, LockoutTracker, attempt_key
from auth.users import User, UserStore
from backend.i18n import Message

INVALID_CREDENTIALS = Message.of("auth.login.invalid")
DISABLED_ACCOUNT = Message.of("auth.login.disabled")

LoginStatus = Literal["success", "failure", "locked", "slowed", "disabled"]


@dataclass(frozen=True)
class LoginResult:
    """The outcome of one login; `message` is what the login form shows."""

    status: LoginStatus
    message: Message
    user: User | None = None
    locked_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.status == "success"


def locked_message(minutes: int) -> Message:
    """The refusal shown while a username is locked (identical for unknown usernames)."""
    form = "one" if minutes == 1 else "other"
    return Message.of(f"auth.login.locked.{form}", count=minutes)


def slowed_message(seconds: int) -> Message:
    """The refusal shown while an account's slow-down runs (identical for unknown names)."""
    form = "one" if seconds == 1 else "other"
    return Message.of(f"auth.login.slowed.{form}", count=seconds)


class LoginService:
    """Checks passwords and keeps lockout, last login and the audit log up to date."""

    def __init__(self, store: UserStore, lockout: LockoutTracker, audit_log: AuditLog) -> None:
        self.store = store
        self.lockout = lockout
        self.audit = audit_log

    def attempt(self, username: str, password: str, *, client: str | None = None) -> LoginResult:
        """The whole login: throttle check, password check, then recording the outcome."""
        key = attempt_key(username)
        if not key or not password:
            return LoginResult("failure", INVALID_CREDENTIALS)
        refused = self.check_locked(key, client=client)
        if refused is not None:
            return refused
        user = self.store.find_user(key)
        if user is None:
            self.store.hasher.waste_time(password)
            return self.record_failure(key, client=client)
        if not self.store.hasher.verify(password, user.password_hash):
            return self.record_failure(key, client=client)
        return self._succeed(user, client)

    def check_locked(self, username: str, *, client: str | None = None) -> LoginResult | None:
        """The refusal when `username` may not be tried from `client` now (recorded)."""
        key = attempt_key(username)
        refusal = self.lockout.refusal(key, client)
        if refusal is None:
            return None
        if refusal.reason == "slowed":
            self.lockout.record_refused(key, client, outcome=SLOWED)
            seconds = max(1, math.ceil((refusal.until - self.lockout.clock()).total_seconds()))
            return LoginResult("slowed", slowed_message(seconds), locked_until=refusal.until)
        self.lockout.record_refused(key, client)
        self.audit.record_login(key, audit.LOGIN_LOCKED, detail=_locked_until(refusal.until))
        until = refusal.until
        return LoginResult("locked", self._locked_text(until), locked_until=until)

    def record_failure(
        self,
        username: str,
        *,
        client: str | None = None,
        detail: str | Message | None = None,
    ) -> LoginResult:
        """A wrong password or unknown username; may start a lock. Lock-aware."""
        key = attempt_key(username)
        refused = self.check_locked(key, client=client)
        if refused is not None:
            return refused
        until = self.lockout.record_failure(key, client)
        self.audit.record_login(key, audit.LOGIN_FAILURE, detail=detail)
        if until is None:
            return LoginResult("failure", INVALID_CREDENTIALS)
        self.audit.record_login(key, audit.LOCKOUT, detail=_locked_until(until))
        return LoginResult("locked", self._locked_text(until), locked_until=until)

    def record_success(self, username: str, *, client: str | None = None) -> LoginResult:
        """The password was right (checked elsewhere): throttle-aware, refuses disabled."""
        key = attempt_key(username)
        refused = self.check_locked(key, client=client)
        if refused is not None:
            return refused
        user = self.store.find_user(key)
        if user is None:  # deleted between the check and now
            return self.record_failure(key, client=client)
        return self._succeed(user, client)

    def _succeed(self, user: User, client: str | None) -> LoginResult:
        key = user.username
        if user.disabled:
            disabled = Message.of("audit.detail.account_disabled")
            self.audit.record_login(key, audit.LOGIN_FAILURE, detail=disabled)
            return LoginResult("disabled", DISABLED_ACCOUNT)
        self.lockout.record_success(key, client)
        self.store.record_login(key)
        self.audit.record_login(key, audit.LOGIN_SUCCESS)
        welcome = Message.of("auth.login.welcome", name=user.name)
        return LoginResult("success", welcome, user=self.store.get_user(key))

    def record_logout(self, username: str) -> None:
        """Note a logout in the audit log (the adapter clears the session itself)."""
        self.audit.record_login(attempt_key(username), audit.LOGOUT)

    def _locked_text(self, until: datetime) -> Message:
        seconds = (until - self.lockout.clock()).total_seconds()
        return locked_message(max(1, math.ceil(seconds / 60)))


def credentials_for_authenticator(
    store: UserStore, *, lockout: LockoutTracker | None = None
) -> dict[str, Any]:
    """A new credentials dict for streamlit-authenticator 0.4.2, built on every call.

    `{"usernames": {username: {"email", "first_name", "last_name", "password", "roles"}}}`
    with disabled users (and, given `lockout`, usernames locked for any client) left out.
    The library mutates the dict in place, so never cache or share it between sessions.
    Without `lockout`, call `LoginService.record_success` after the library's form login,
    which refuses a locked username. The app itself no longer uses the library's JWT
    re-login cookie: it can't be revoked (see `auth.sessions`).
    """
    excluded = lockout.locked_usernames() if lockout is not None else set()
    entries: dict[str, Any] = {}
    for user in store.list_users():
        if user.disabled or user.username in excluded:
            continue
        first, _, last = user.name.partition(" ")
        entries[user.username] = {
            "email": user.email,
            "first_name": first,
            "last_name": last,
            "password": user.password_hash,
            "roles": [user.role],
        }
    return {"usernames": entries}


def _locked_until(until: datetime) -> Message:
    return Message.of("audit.detail.locked_until", time=f"{until:%H:%M}")
