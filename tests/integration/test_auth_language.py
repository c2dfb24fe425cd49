"""Each user's language on SQLite and MariaDB: stored, validated, cleared, audited, given
to the engine's `Actor`; and the upgrade of an app database made before the column existed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from appdb.engine import create_app_engine
from appdb.migrate import current_revision, head_revision, upgrade
from appdb.tables import users
from auth.admin import AdminActions
from auth.audit import ADMIN_ACTION, AuditFilter
from auth.errors import InvalidUserData, PasswordRejected
from auth.passwords import PasswordHasher
from auth.services import AuthServices, build_auth
from auth.users import UserStore
from tests.support.auth_fixtures import GOOD_PASSWORD


def test_a_users_language_is_stored_normalised_and_cleared(auth: AuthServices) -> None:
    assert auth.users.create_user("bob", role="analyst").user.language is None
    assert auth.users.set_language("bob", "ES_es").language == "es"
    assert auth.users.get_user("bob").language == "es"
    assert auth.users.update_profile("bob", language="en").language == "en"
    assert auth.users.update_profile("bob", name="Bob").language == "en"  # left as it is
    assert auth.users.set_language("bob", None).language is None
    assert auth.users.set_language("bob", "es").language == "es"
    assert auth.users.set_language("bob", "").language is None


def test_a_language_we_dont_speak_is_refused(auth: AuthServices) -> None:
    with pytest.raises(InvalidUserData, match="Unknown language 'fi'") as refused:
        auth.users.create_user("bob", role="analyst", language="fi")
    assert refused.value.render("es") == "Idioma desconocido 'fi': elige uno de estos: en, es."
    auth.users.create_user("bob", role="analyst")
    with pytest.raises(InvalidUserData):
        auth.users.set_language("bob", "klingon")
    assert auth.users.get_user("bob").language is None


def test_the_actor_gets_the_users_language_else_the_default(auth: AuthServices) -> None:
    auth.users.create_user("bob", role="analyst")
    bob = auth.users.get_user("bob")
    assert auth.policies.actor_for(bob).language == "en"
    assert auth.policies.actor_for(bob, default_language="es-MX").language == "es"
    assert auth.policies.actor_for(bob, default_language="de").language == "en"
    bob = auth.users.set_language("bob", "es")
    assert auth.policies.actor_for(bob, default_language="en").language == "es"


def test_an_admins_language_change_is_audited(auth: AuthServices) -> None:
    actions = AdminActions(auth, by="boss")
    actions.create_user("bob", role="analyst", password=GOOD_PASSWORD, language="es")
    actions.set_language("bob", "en")
    actions.set_language("bob", None)
    page = auth.audit.query(AuditFilter(event=ADMIN_ACTION))
    assert [entry.detail for entry in reversed(page.entries)] == [
        "created analyst bob (language es)",
        "set the language of bob to en",
        "set the language of bob to the default",
    ]


def test_auth_messages_read_in_english_by_default_and_in_spanish(auth: AuthServices) -> None:
    with pytest.raises(PasswordRejected) as refused:
        auth.users.create_user("bob", role="analyst", password="short")
    assert str(refused.value) == "The password must have at least 10 characters."
    assert refused.value.render("es") == "La contraseña debe tener al menos 10 caracteres."
    locked = auth.login.attempt("nobody", "wrong-password-1").message
    assert locked.render("es") == "Usuario o contraseña incorrectos."


# -- upgrading a database made before `users.language` ------------------------------------
def _columns_but(name: str) -> list[sa.Column[object]]:
    return [
        sa.Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
        for c in users.columns
        if c.name != name
    ]


def _previous_release_users(engine: sa.Engine) -> None:
    """The users table as the previous release created it (no language), with one row."""
    old = sa.MetaData()
    sa.Table("users", old, *_columns_but("language"))
    old.create_all(engine)
    hashed = PasswordHasher(rounds=4).hash(GOOD_PASSWORD)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (username, name, email, password_hash, role, disabled, "
                "created_at) VALUES ('old', 'Old Timer', '', :hash, 'admin', 0, "
                "'2026-01-05 10:00:00')"
            ),
            {"hash": hashed},
        )


@pytest.fixture(params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def old_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """An app database holding only the previous release's users table."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    else:
        url = request.getfixturevalue("mysql_url")
    engine = create_app_engine(url)
    _previous_release_users(engine)
    yield engine
    engine.dispose()


def test_upgrade_adds_the_language_column_to_an_older_database(
    old_engine: sa.Engine,
) -> None:
    assert "language" not in {c["name"] for c in sa.inspect(old_engine).get_columns("users")}
    upgrade(old_engine)
    columns = {c["name"]: c for c in sa.inspect(old_engine).get_columns("users")}
    assert columns["language"]["nullable"]
    services = build_auth(old_engine, hasher=PasswordHasher(rounds=4))
    old = services.users.get_user("old")
    assert (old.name, old.language) == ("Old Timer", None)
    assert services.login.attempt("old", GOOD_PASSWORD).ok
    assert services.users.set_language("old", "es").language == "es"
    upgrade(old_engine)  # idempotent once upgraded
    assert current_revision(old_engine) == head_revision()
    assert UserStore(old_engine).get_user("old").language == "es"


def test_a_missing_not_null_column_stops_the_start(tmp_path: Path) -> None:
    engine = create_app_engine(f"sqlite:///{tmp_path / 'broken.sqlite'}")
    old = sa.MetaData()
    sa.Table("users", old, *_columns_but("role"))
    old.create_all(engine)
    with pytest.raises(RuntimeError, match=r"NOT NULL column users\.role"):
        upgrade(engine)
    engine.dispose()
