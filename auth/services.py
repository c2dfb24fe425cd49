"""One call that opens the app database and builds every auth service on it.

The Streamlit app may keep the returned `AuthServices` for the life of the process (it
holds no per-user state); the credentials dict, by contrast, must be built on every run.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from appdb.clock import Clock, utc_now
from appdb.engine import create_app_engine
from appdb.migrate import upgrade
from auth.audit import AuditLog
from auth.lockout import LockoutTracker
from auth.login import LoginService
from auth.passwords import PasswordHasher
from auth.policies import PolicyStore
from auth.tokens import TokenStore
from auth.users import UserStore, ensure_first_admin
from backend.i18n.message import Message


@dataclass(frozen=True)
class AuthServices:
    """The auth services sharing one app-database engine."""

    engine: sa.Engine
    users: UserStore
    policies: PolicyStore
    lockout: LockoutTracker
    audit: AuditLog
    login: LoginService
    tokens: TokenStore

    def close(self) -> None:
        self.engine.dispose()


def build_auth(
    engine: sa.Engine, *, hasher: PasswordHasher | None = None, clock: Clock = utc_now
) -> AuthServices:
    """Wire the services on an engine whose schema is at head (see `appdb.migrate.upgrade`)."""
    users = UserStore(engine, hasher=hasher, clock=clock)
    lockout = LockoutTracker(engine, clock=clock)
    audit_log = AuditLog(engine, clock=clock)
    return AuthServices(
        engine=engine,
        users=users,
        policies=PolicyStore(engine, clock=clock),
        lockout=lockout,
        audit=audit_log,
        login=LoginService(users, lockout, audit_log),
        tokens=TokenStore(engine, users, clock=clock),
    )


def open_auth(
    url: str,
    *,
    admin_username: str | None = None,
    admin_password: str | None = None,
    hasher: PasswordHasher | None = None,
    clock: Clock = utc_now,
) -> AuthServices:
    """Open the app database at `url`, migrate it to head, seed defaults, and create
    the first admin from `admin_username`/`admin_password` when no admin exists yet."""
    engine = create_app_engine(url)
    upgrade(engine)
    services = build_auth(engine, hasher=hasher, clock=clock)
    try:
        created = ensure_first_admin(services.users, admin_username, admin_password)
    except Exception:
        engine.dispose()
        raise
    if created is not None:
        first = Message.of("audit.detail.first_admin", username=created.username)
        services.audit.record_admin("system", first)
    return services
