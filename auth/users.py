"""The user store: accounts in the app database, with last-active-admin protection.

Usernames are stored lower-case (streamlit-authenticator lower-cases them too). Passwords
pass `auth.passwords.check_password` and are kept only as bcrypt hashes; a password left
out is generated and returned once, to be shown to the admin and never stored in clear.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa

from appdb.clock import Clock, utc_now
from appdb.tables import users
from auth import roles
from auth.errors import (
    LastAdminError,
    PasswordRejected,
    UserDeleteFailed,
    UserExists,
    UserNotFound,
)
from auth.passwords import PasswordHasher, check_password, generate_password
from auth.sessions import revoke_user_sessions
from auth.user_data import Owner, count_user_data, delete_user_data
from auth.validation import (
    normalise_username,
    valid_attributes,
    valid_email,
    valid_language,
    valid_name,
    valid_role,
    valid_username,
)
from backend.i18n import Language, Message, normalise_language

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class User:
    """One account as stored; times are naive UTC."""

    id: int
    username: str
    name: str
    email: str
    role: str
    disabled: bool
    created_at: datetime
    last_login_at: datetime | None
    # The user's own choice of language ('en'/'es'); None: the app's default applies.
    language: Language | None
    attributes: Mapping[str, str] = field(default_factory=dict)
    password_hash: str = field(default="", repr=False, compare=False)

    @property
    def active(self) -> bool:
        return not self.disabled

    @property
    def is_admin(self) -> bool:
        return self.role == roles.ADMIN


@dataclass(frozen=True)
class CreatedUser:
    """A new account; `generated_password` is set when none was given: show it once."""

    user: User
    generated_password: str | None = field(default=None, repr=False)


class UserStore:
    """Create, read and change accounts. Every method is one transaction."""

    def __init__(
        self, engine: sa.Engine, *, hasher: PasswordHasher | None = None, clock: Clock = utc_now
    ) -> None:
        self.engine = engine
        self.hasher = hasher or PasswordHasher()
        self.clock = clock

    # -- reading ---------------------------------------------------------------------------
    def list_users(self) -> list[User]:
        """Every account, disabled ones included, by username."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(users).order_by(users.c.username)).mappings()
            return [_to_user(row) for row in rows]

    def find_user(self, username: str) -> User | None:
        """The account named `username` (any case), or None."""
        with self.engine.connect() as conn:
            return _find(conn, normalise_username(username))

    def get_user(self, username: str) -> User:
        """The account named `username`; `UserNotFound` when there is none."""
        user = self.find_user(username)
        if user is None:
            raise _not_found(username)
        return user

    def has_admin(self) -> bool:
        """True when at least one admin account exists (active or not)."""
        query = sa.select(sa.func.count()).where(users.c.role == roles.ADMIN)
        with self.engine.connect() as conn:
            return bool(conn.execute(query).scalar())

    # -- creating --------------------------------------------------------------------------
    def create_user(
        self,
        username: str,
        *,
        role: str,
        name: str = "",
        email: str = "",
        password: str | None = None,
        language: str | None = None,
        attributes: Mapping[str, object] | None = None,
    ) -> CreatedUser:
        """Add an account; with no `password` one is generated and returned once."""
        username = valid_username(username)
        values: dict[str, Any] = {
            "username": username,
            "role": valid_role(role),
            "name": valid_name(name, username),
            "email": valid_email(email),
            "language": valid_language(language),
            "attributes": valid_attributes(attributes or {}),
            "disabled": False,
            "created_at": self.clock(),
        }
        secret, generated = _chosen_password(password, username)
        values["password_hash"] = self.hasher.hash(secret)
        with self.engine.begin() as conn:
            if _find(conn, username) is not None:
                raise UserExists(Message.of("auth.user.exists", username=username))
            try:
                conn.execute(sa.insert(users).values(**values))
            except sa.exc.IntegrityError:  # a concurrent create of the same name
                raise UserExists(Message.of("auth.user.exists", username=username)) from None
            user = _find(conn, username)
        assert user is not None
        return CreatedUser(user=user, generated_password=generated)

    # -- changing --------------------------------------------------------------------------
    def set_role(self, username: str, role: str) -> User:
        """Change the role; demoting the last active admin raises `LastAdminError`."""
        role = valid_role(role)
        with self.engine.begin() as conn:
            user = _require(conn, username)
            if user.is_admin and role != roles.ADMIN:
                _protect_last_admin(conn, user, "set_role")
            return _update(conn, user, role=role)

    def disable(self, username: str) -> User:
        """Refuse future logins and end every open session; disabling the last active
        admin raises `LastAdminError`."""
        with self.engine.begin() as conn:
            user = _require(conn, username)
            _protect_last_admin(conn, user, "disable")
            revoke_user_sessions(conn, user.id, self.clock())
            return _update(conn, user, disabled=True)

    def enable(self, username: str) -> User:
        """Allow logins again."""
        with self.engine.begin() as conn:
            return _update(conn, _require(conn, username), disabled=False)

    def data_counts(self, username: str) -> dict[str, int]:
        """What deleting `username` would remove: rows per kind (`auth.user_data.KINDS`)."""
        with self.engine.connect() as conn:
            user = _require(conn, username)
            return count_user_data(conn, Owner(user.id, user.username))

    def delete(self, username: str, *, by: str | None = None) -> dict[str, int]:
        """Remove the account with everything it owns, in one transaction (see
        `auth.user_data`); returns the rows removed per kind. Audit rows stay, marked."""
        try:
            with self.engine.begin() as conn:
                user = _require(conn, username)
                _protect_last_admin(conn, user, "delete")
                owner = Owner(user.id, user.username)
                return delete_user_data(conn, owner, at=self.clock(), by=by)
        except sa.exc.DBAPIError:
            log.exception("deleting user %s failed; the transaction was rolled back", username)
            name = normalise_username(username)
            raise UserDeleteFailed(Message.of("auth.user.delete_failed", username=name)) from None

    def reset_password(self, username: str, password: str | None = None) -> str | None:
        """Set a new password and end every open session; with none given, generate one
        and return it (show it once)."""
        user = self.get_user(username)
        secret, generated = _chosen_password(password, user.username)
        with self.engine.begin() as conn:
            current = _require(conn, user.username)
            _update(conn, current, password_hash=self.hasher.hash(secret))
            revoke_user_sessions(conn, current.id, self.clock())
        return generated

    def change_password(self, username: str, current: str, new: str) -> None:
        """A user's own change: `current` must match, `new` must pass the rules."""
        user = self.get_user(username)
        if not self.hasher.verify(current, user.password_hash):
            raise PasswordRejected(Message.of("auth.password.wrong_current"))
        if new == current:
            raise PasswordRejected(Message.of("auth.password.same"))
        self.reset_password(user.username, new)

    def update_profile(
        self,
        username: str,
        *,
        name: str | None = None,
        email: str | None = None,
        language: str | None = None,
    ) -> User:
        """Change the display name, e-mail or language; None leaves a field as it is
        (`set_language` can also clear the language)."""
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = valid_name(name, normalise_username(username))
        if email is not None:
            changes["email"] = valid_email(email)
        if language is not None:
            changes["language"] = valid_language(language)
        with self.engine.begin() as conn:
            return _update(conn, _require(conn, username), **changes)

    def set_language(self, username: str, language: str | None) -> User:
        """Set the user's language ('en', 'es'); None or "" goes back to the app's default."""
        cleaned = valid_language(language)
        with self.engine.begin() as conn:
            return _update(conn, _require(conn, username), language=cleaned)

    def set_attributes(self, username: str, attributes: Mapping[str, object]) -> User:
        """Replace the attributes row filters read (`:user.region_id` → {"region_id": "3"})."""
        cleaned = valid_attributes(attributes)
        with self.engine.begin() as conn:
            return _update(conn, _require(conn, username), attributes=cleaned)

    def record_login(self, username: str) -> None:
        """Stamp `last_login_at` with the clock's time."""
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(users)
                .where(users.c.username == normalise_username(username))
                .values(last_login_at=self.clock())
            )


def ensure_first_admin(store: UserStore, username: str | None, password: str | None) -> User | None:
    """Create the first admin from ADMIN_USERNAME/ADMIN_PASSWORD when no admin exists yet.

    Returns the new admin, or None when nothing was done (no values given, or an admin
    exists). A password that breaks the rules is refused like any other.
    """
    if not username or not password or store.has_admin():
        return None
    try:
        return store.create_user(username, role=roles.ADMIN, password=password).user
    except PasswordRejected as error:
        reason = error.message or str(error)
        raise PasswordRejected(Message.of("auth.first_admin.password", reason=reason)) from None
    except UserExists:
        name = normalise_username(username)
        raise UserExists(Message.of("auth.first_admin.not_admin", username=name)) from None


# -- helpers ---------------------------------------------------------------------------------
def _chosen_password(password: str | None, username: str) -> tuple[str, str | None]:
    """The password to hash and, when it was generated, the same to show once."""
    if password is None:
        generated = generate_password(username=username)
        return generated, generated
    check_password(password, username=username)
    return password, None


def _find(conn: sa.Connection, username: str) -> User | None:
    row = conn.execute(sa.select(users).where(users.c.username == username)).mappings().first()
    # Exactly that name: MariaDB's default collations also match 'cárol' to 'carol', and a
    # look-alike that logs into the account would be throttled under its own name.
    if row is None or row["username"] != username:
        return None
    return _to_user(row)


def _require(conn: sa.Connection, username: str) -> User:
    user = _find(conn, normalise_username(username))
    if user is None:
        raise _not_found(username)
    return user


def _not_found(username: str) -> UserNotFound:
    return UserNotFound(Message.of("auth.user.not_found", username=normalise_username(username)))


def _update(conn: sa.Connection, user: User, **values: Any) -> User:
    if values:
        conn.execute(sa.update(users).where(users.c.id == user.id).values(**values))
    updated = _find(conn, user.username)
    assert updated is not None
    return updated


def _protect_last_admin(
    conn: sa.Connection, user: User, action: Literal["set_role", "disable", "delete"]
) -> None:
    """Raise when `user` is the only active admin. FOR UPDATE serialises rival changes."""
    if not (user.is_admin and user.active):
        return
    others = conn.execute(
        sa.select(users.c.id)
        .where(users.c.role == roles.ADMIN, users.c.disabled.is_(False), users.c.id != user.id)
        .with_for_update()
    ).all()
    if not others:
        raise LastAdminError(Message.of(f"auth.last_admin.{action}", username=user.username))


def _to_user(row: sa.RowMapping) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        name=row["name"],
        email=row["email"] or "",
        role=row["role"],
        disabled=bool(row["disabled"]),
        created_at=row["created_at"],
        last_login_at=row["last_login_at"],
        language=normalise_language(row["language"]),
        attributes=dict(row["attributes"] or {}),
        password_hash=row["password_hash"],
    )
