"""The user store on SQLite and MariaDB: accounts, passwords, last-admin protection."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from appdb.engine import create_app_engine
from appdb.migrate import upgrade
from appdb.schema import metadata
from auth.audit import ADMIN_ACTION, AuditFilter
from auth.errors import (
    InvalidUserData,
    LastAdminError,
    PasswordRejected,
    UserExists,
    UserNotFound,
)
from auth.passwords import PasswordHasher
from auth.services import AuthServices, open_auth
from auth.users import UserStore, ensure_first_admin
from tests.support.auth_fixtures import GOOD_PASSWORD, START, ManualClock


def test_upgrade_is_idempotent_and_creates_every_table(app_engine: sa.Engine) -> None:
    upgrade(app_engine)
    upgrade(app_engine)
    tables = set(sa.inspect(app_engine).get_table_names())
    assert set(metadata.tables) <= tables


def test_create_user_stores_a_bcrypt_hash_and_normalises_the_username(
    auth: AuthServices,
) -> None:
    created = auth.users.create_user(
        "  Alice ",
        role="Analyst",
        name="Alice  Martin",
        email="alice@example.com",
        password=GOOD_PASSWORD,
        language="es-ES",
        attributes={"Region_ID": 3},
    )
    user = created.user
    assert created.generated_password is None
    assert (user.username, user.role, user.name) == ("alice", "analyst", "Alice Martin")
    assert user.attributes == {"region_id": "3"}
    assert user.language == "es"
    assert user.created_at == START
    assert user.last_login_at is None
    assert user.active
    assert user.password_hash.startswith("$2b$04$")
    assert GOOD_PASSWORD not in repr(user)
    assert auth.users.hasher.verify(GOOD_PASSWORD, user.password_hash)
    assert auth.users.get_user("ALICE") == user


def test_create_user_without_password_returns_a_generated_one_once(auth: AuthServices) -> None:
    created = auth.users.create_user("bob", role="manager")
    secret = created.generated_password
    assert secret is not None and len(secret) >= 16
    assert secret not in repr(created)
    user = auth.users.get_user("bob")
    assert user.name == "bob"
    assert auth.users.hasher.verify(secret, user.password_hash)


def test_create_user_refuses_duplicates_bad_roles_and_bad_names(auth: AuthServices) -> None:
    auth.users.create_user("bob", role="analyst")
    with pytest.raises(UserExists, match="already exists"):
        auth.users.create_user("BOB", role="analyst")
    with pytest.raises(InvalidUserData, match="Unknown role"):
        auth.users.create_user("carol", role="superuser")
    with pytest.raises(InvalidUserData, match="Invalid username"):
        auth.users.create_user("no spaces", role="analyst")
    with pytest.raises(InvalidUserData, match="e-mail"):
        auth.users.create_user("carol", role="analyst", email="carol-at-example")
    with pytest.raises(PasswordRejected, match="at least 10"):
        auth.users.create_user("carol", role="analyst", password="short")
    assert [u.username for u in auth.users.list_users()] == ["bob"]


def test_list_set_role_disable_enable_delete(auth: AuthServices) -> None:
    for name, role in (("zoe", "analyst"), ("adam", "admin"), ("mia", "manager")):
        auth.users.create_user(name, role=role)
    assert [u.username for u in auth.users.list_users()] == ["adam", "mia", "zoe"]
    assert auth.users.set_role("zoe", "manager").role == "manager"
    assert auth.users.disable("mia").disabled
    assert not auth.users.enable("mia").disabled
    auth.users.delete("zoe")
    assert auth.users.find_user("zoe") is None
    with pytest.raises(UserNotFound, match="no user 'zoe'"):
        auth.users.delete("zoe")


def test_reset_password_generates_or_takes_one(auth: AuthServices) -> None:
    auth.users.create_user("bobby", role="analyst", password=GOOD_PASSWORD)
    generated = auth.users.reset_password("bobby")
    assert generated is not None
    hasher = auth.users.hasher
    assert hasher.verify(generated, auth.users.get_user("bobby").password_hash)
    assert auth.users.reset_password("bobby", "Another-Good-Password") is None
    assert hasher.verify("Another-Good-Password", auth.users.get_user("bobby").password_hash)
    with pytest.raises(PasswordRejected, match="username"):
        auth.users.reset_password("bobby", "Bobby-was-here-1")


def test_change_password_needs_the_current_one(auth: AuthServices) -> None:
    auth.users.create_user("bob", role="analyst", password=GOOD_PASSWORD)
    with pytest.raises(PasswordRejected, match="current password"):
        auth.users.change_password("bob", "wrong-password!", "Fresh-Password-42")
    auth.users.change_password("bob", GOOD_PASSWORD, "Fresh-Password-42")
    assert auth.users.hasher.verify("Fresh-Password-42", auth.users.get_user("bob").password_hash)


def test_profile_attributes_and_login_stamp(auth: AuthServices, clock: ManualClock) -> None:
    auth.users.create_user("bob", role="analyst")
    user = auth.users.update_profile("bob", name="Bob Stone", email="bob@example.com")
    assert (user.name, user.email) == ("Bob Stone", "bob@example.com")
    assert auth.users.set_attributes("bob", {"region_id": "7"}).attributes == {"region_id": "7"}
    with pytest.raises(InvalidUserData, match="attribute name"):
        auth.users.set_attributes("bob", {"region id": "7"})
    clock.advance(hours=2)
    auth.users.record_login("BOB")
    assert auth.users.get_user("bob").last_login_at == clock.now


@pytest.mark.parametrize("action", ["delete", "disable", "demote"])
def test_the_last_active_admin_cannot_be_removed(auth: AuthServices, action: str) -> None:
    auth.users.create_user("root", role="admin")
    auth.users.create_user("ann", role="analyst")
    operations = {
        "delete": lambda: auth.users.delete("root"),
        "disable": lambda: auth.users.disable("root"),
        "demote": lambda: auth.users.set_role("root", "manager"),
    }
    with pytest.raises(LastAdminError, match="last active admin"):
        operations[action]()
    root = auth.users.get_user("root")
    assert (root.role, root.disabled) == ("admin", False)


def test_a_disabled_admin_does_not_count_as_another_admin(auth: AuthServices) -> None:
    auth.users.create_user("root", role="admin")
    auth.users.create_user("second", role="admin")
    auth.users.disable("second")
    with pytest.raises(LastAdminError):
        auth.users.set_role("root", "analyst")
    auth.users.enable("second")
    assert auth.users.set_role("root", "analyst").role == "analyst"
    auth.users.delete("root")
    with pytest.raises(LastAdminError):
        auth.users.disable("second")


def test_ensure_first_admin_only_when_no_admin_exists(app_engine: sa.Engine) -> None:
    store = UserStore(app_engine, hasher=PasswordHasher(rounds=4))
    assert ensure_first_admin(store, None, None) is None
    assert ensure_first_admin(store, "boss", None) is None
    with pytest.raises(PasswordRejected, match="ADMIN_PASSWORD"):
        ensure_first_admin(store, "boss", "password123")
    admin = ensure_first_admin(store, "Boss", GOOD_PASSWORD)
    assert admin is not None and (admin.username, admin.role) == ("boss", "admin")
    assert ensure_first_admin(store, "other", GOOD_PASSWORD) is None
    assert [u.username for u in store.list_users()] == ["boss"]


def test_open_auth_creates_the_first_admin_once_and_audits_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'app.sqlite'}"
    hasher = PasswordHasher(rounds=4)
    for _ in range(2):
        services = open_auth(
            url, admin_username="boss", admin_password=GOOD_PASSWORD, hasher=hasher
        )
        services.close()
    services = open_auth(url, hasher=hasher)
    try:
        assert [u.username for u in services.users.list_users()] == ["boss"]
        assert services.login.attempt("boss", GOOD_PASSWORD).ok
        (entry,) = services.audit.query(AuditFilter(event=ADMIN_ACTION)).entries
        assert (entry.username, entry.detail) == ("system", "created the first admin boss")
    finally:
        services.close()


def test_an_in_memory_app_database_is_shared_by_the_engine() -> None:
    engine = create_app_engine("sqlite://")
    upgrade(engine)
    store = UserStore(engine, hasher=PasswordHasher(rounds=4))
    store.create_user("ann", role="analyst")
    assert [u.username for u in UserStore(engine).list_users()] == ["ann"]
    engine.dispose()
