"""Server-side sessions on SQLite and MariaDB: a copied session id stops working the moment
the session ends — logout, password reset, disable, delete, idle timeout, absolute end —
and forged, tampered or foreign ids never work."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from appdb.engine import create_app_engine
from appdb.migrate import upgrade
from appdb.tables import sessions
from auth.services import AuthServices
from auth.sessions import PRUNE_BATCH, SessionStore, token_hash
from tests.support.auth_fixtures import GOOD_PASSWORD, ManualClock
from tests.support.mariadb import scratch_database

IDLE, LIFETIME = timedelta(hours=2), timedelta(hours=12)
SECRET = "test-session-key-0123456789abcdefghijklmnop"


@pytest.fixture
def store(auth: AuthServices, clock: ManualClock) -> SessionStore:
    for name in ("ana", "bob"):
        auth.users.create_user(name, role="analyst", password=GOOD_PASSWORD)
    return SessionStore(auth.engine, clock=clock, secret=SECRET, idle=IDLE, lifetime=LIFETIME)


def log_in(auth: AuthServices, store: SessionStore, username: str) -> str:
    result = auth.login.attempt(username, GOOD_PASSWORD)
    assert result.ok and result.user is not None
    token, session = store.start(result.user.id)
    assert session.username == username
    return token


def who(store: SessionStore, token: object) -> str | None:
    session = store.resolve(token)
    return None if session is None else session.username


# -- the session works, and only the hash is kept ------------------------------------------
def test_a_new_session_resolves_to_its_user_and_stores_only_a_keyed_hash(
    auth: AuthServices, store: SessionStore
) -> None:
    token = log_in(auth, store, "ana")
    assert who(store, token) == "ana"
    with auth.engine.connect() as conn:
        stored = conn.execute(sa.select(sessions)).mappings().one()
    assert token not in {str(value) for value in stored.values()}
    assert stored["token_hash"] == token_hash(token, SECRET) != token_hash(token)
    # Another key (AUTH_COOKIE_KEY changed) ends every session.
    other = SessionStore(auth.engine, clock=store.clock, secret="another-key-" + "x" * 32)
    assert who(other, token) is None


def test_every_login_gets_a_new_random_id(auth: AuthServices, store: SessionStore) -> None:
    tokens = {log_in(auth, store, "ana") for _ in range(5)}
    assert len(tokens) == 5 and all(len(token) == 43 for token in tokens)


# -- replay after the session ended ------------------------------------------------------------
def test_logout_ends_the_session_and_a_copy_of_the_cookie_with_it(
    auth: AuthServices, store: SessionStore
) -> None:
    token = log_in(auth, store, "ana")
    copied = str(token)
    other_device = log_in(auth, store, "ana")
    store.end(token)
    assert who(store, copied) is None
    assert who(store, other_device) == "ana"  # a logout ends this session only


@pytest.mark.parametrize(
    "end",
    [
        pytest.param(lambda a: a.users.reset_password("ana", "Brand-New-Passw0rd-7"), id="reset"),
        pytest.param(lambda a: a.users.reset_password("ana"), id="reset-generated"),
        pytest.param(
            lambda a: a.users.change_password("ana", GOOD_PASSWORD, "Brand-New-Passw0rd-7"),
            id="change",
        ),
        pytest.param(lambda a: a.users.disable("ana"), id="disable"),
        pytest.param(lambda a: a.users.delete("ana"), id="delete"),
    ],
)
def test_reset_change_disable_and_delete_end_every_session_of_the_user(
    auth: AuthServices, store: SessionStore, end: object
) -> None:
    tokens = [log_in(auth, store, "ana") for _ in range(3)]
    bobs = log_in(auth, store, "bob")
    end(auth)  # type: ignore[operator]
    assert [who(store, token) for token in tokens] == [None, None, None]
    assert who(store, bobs) == "bob"  # nobody else's


def test_enabling_again_does_not_revive_old_sessions(
    auth: AuthServices, store: SessionStore
) -> None:
    token = log_in(auth, store, "ana")
    auth.users.disable("ana")
    auth.users.enable("ana")
    assert who(store, token) is None


def test_a_deleted_users_id_does_not_log_in_a_new_account_of_the_same_name(
    auth: AuthServices, store: SessionStore
) -> None:
    token = log_in(auth, store, "bob")  # bob has the highest id: SQLite may reuse it
    auth.users.delete("bob")
    auth.users.create_user("bob", role="admin", password=GOOD_PASSWORD)
    assert who(store, token) is None
    with auth.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sessions)).scalar() == 0


def test_a_cookie_from_before_a_re_login_stays_dead(
    auth: AuthServices, store: SessionStore
) -> None:
    before = log_in(auth, store, "ana")
    store.end(before)
    after = log_in(auth, store, "ana")
    assert who(store, before) is None
    assert who(store, after) == "ana"


# -- time ------------------------------------------------------------------------------------
def test_an_idle_session_expires_and_activity_renews_it(
    auth: AuthServices, store: SessionStore, clock: ManualClock
) -> None:
    active, idle = log_in(auth, store, "ana"), log_in(auth, store, "ana")
    for _ in range(6):  # 6 × 50 min of activity: far past the 2-hour idle timeout
        clock.advance(minutes=50)
        assert who(store, active) == "ana"
    assert who(store, idle) is None


def test_idle_expiry_is_exact_to_the_renewal(
    auth: AuthServices, store: SessionStore, clock: ManualClock
) -> None:
    token = log_in(auth, store, "ana")
    clock.advance(hours=2, seconds=-1)
    assert who(store, token) == "ana"  # renewed here
    clock.advance(hours=2, seconds=-1)
    assert who(store, token) == "ana"
    clock.advance(hours=2)
    assert who(store, token) is None


def test_the_absolute_lifetime_ends_even_an_active_session(
    auth: AuthServices, store: SessionStore, clock: ManualClock
) -> None:
    token = log_in(auth, store, "ana")
    while clock.advance(minutes=30) < clock.now.replace(hour=21) - timedelta(seconds=1):
        assert who(store, token) == "ana"
    clock.advance(minutes=30)  # 12 hours after the login at 09:00
    assert who(store, token) is None


def test_last_seen_is_written_at_most_once_a_minute(
    auth: AuthServices, store: SessionStore, clock: ManualClock
) -> None:
    token = log_in(auth, store, "ana")
    start = clock.now

    def last_seen() -> object:
        with auth.engine.connect() as conn:
            return conn.execute(sa.select(sessions.c.last_seen_at)).scalar()

    clock.advance(seconds=59)
    store.resolve(token)
    assert last_seen() == start
    clock.advance(seconds=1)
    session = store.resolve(token)
    assert last_seen() == clock.now
    assert session is not None and session.expires_at == clock.now + IDLE


# -- forged and tampered ids --------------------------------------------------------------------
def _tampered(token: str) -> list[object]:
    flipped = ("A" if token[0] != "A" else "B") + token[1:]
    return [
        flipped,
        token[:-1],
        token + "A",
        token.upper() if token.upper() != token else token.lower(),
        token[::-1],
        " " + token,
        token + "\n",
        token_hash(token, SECRET),  # the stored hash itself
        token_hash(token),
        f"{token}; keskinube_auth={token}",
        "",
        None,
        123,
        secrets.token_urlsafe(32),  # well-formed, never issued
        "' OR '1'='1",
        "x" * 10_000,
        token.encode(),
    ]


def test_tampered_forged_and_malformed_ids_are_refused(
    auth: AuthServices, store: SessionStore
) -> None:
    token = log_in(auth, store, "ana")
    for candidate in _tampered(token):
        assert who(store, candidate) is None, repr(candidate)[:60]
    assert who(store, token) == "ana"  # the real one still works


def test_an_id_names_its_own_user_only(auth: AuthServices, store: SessionStore) -> None:
    anas, bobs = log_in(auth, store, "ana"), log_in(auth, store, "bob")
    assert (who(store, anas), who(store, bobs)) == ("ana", "bob")
    store.end(anas)
    assert who(store, bobs) == "bob"
    auth.users.disable("bob")
    assert who(store, anas) is None and who(store, bobs) is None


# -- housekeeping ------------------------------------------------------------------------------
def test_ended_sessions_are_pruned_in_bounded_batches(
    auth: AuthServices, store: SessionStore, clock: ManualClock
) -> None:
    user_id = auth.users.get_user("ana").id
    old = [
        {
            "token_hash": f"{n:064x}",
            "user_id": user_id,
            "created_at": clock.now,
            "last_seen_at": clock.now,
            "expires_at": clock.now + LIFETIME,
            "revoked_at": clock.now,
        }
        for n in range(PRUNE_BATCH + 50)
    ]
    with auth.engine.begin() as conn:
        conn.execute(sa.insert(sessions), old)
    clock.advance(days=2)
    log_in(auth, store, "ana")  # one batch pruned on write

    def rows() -> int:
        with auth.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(sessions)).scalar() or 0)

    assert rows() == 50 + 1
    store.prune()
    assert rows() == 1


OLD_TABLES = (  # login_attempts and lockouts as the previous release made them
    "CREATE TABLE login_attempts (id BIGINT NOT NULL PRIMARY KEY, username VARCHAR(64) NOT NULL,"
    " attempted_at DATETIME NOT NULL, outcome VARCHAR(16) NOT NULL)",
    "CREATE TABLE lockouts (id BIGINT NOT NULL PRIMARY KEY, username VARCHAR(64) NOT NULL,"
    " locked_at DATETIME NOT NULL, locked_until DATETIME NOT NULL)",
)


@pytest.fixture(params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def old_app_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/old.sqlite"
        return
    with scratch_database(request.getfixturevalue("mysql_server_url"), prefix="kk_old") as url:
        yield url


def test_an_old_app_database_gets_the_sessions_table_and_new_columns(old_app_url: str) -> None:
    engine = create_app_engine(old_app_url)
    with engine.begin() as conn:
        for statement in OLD_TABLES:
            conn.exec_driver_sql(statement)
    upgrade(engine)
    inspector = sa.inspect(engine)
    assert {"sessions", "client_lockouts", "deleted_users"} <= set(inspector.get_table_names())
    assert "client" in {c["name"] for c in inspector.get_columns("login_attempts")}
    assert "client" in {c["name"] for c in inspector.get_columns("lockouts")}
    assert "deleted_user_id" in {c["name"] for c in inspector.get_columns("audit_log")}
    indexes = {i["name"] for i in inspector.get_indexes("login_attempts")}
    assert {"ix_login_attempts_client_attempted_at", "ix_login_attempts_attempted_at"} <= indexes
    upgrade(engine)  # idempotent
    engine.dispose()
