"""Login throttling by client and by account on SQLite and MariaDB: an attacker can't lock
a user out, rotating usernames from one client is blocked, a distributed attack is slowed
(and the owner still gets in), and old attempts are pruned."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from appdb.tables import client_lockouts, lockouts, login_attempts
from auth.lockout import PRUNE_BATCH
from auth.login import LoginResult
from auth.services import AuthServices
from tests.support.auth_fixtures import GOOD_PASSWORD, ManualClock

ATTACKER, OWNER = "203.0.113.66", "198.51.100.7"


@pytest.fixture
def users(auth: AuthServices) -> AuthServices:
    for name, role in (("admin", "admin"), ("bob", "analyst"), ("carol", "manager")):
        auth.users.create_user(name, role=role, password=GOOD_PASSWORD)
    return auth


def attempt(auth: AuthServices, username: str, password: str, client: str | None) -> LoginResult:
    return auth.login.attempt(username, password, client=client)


def rows(auth: AuthServices, table: sa.Table) -> int:
    with auth.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() or 0)


# -- an attacker can't lock the owner out ------------------------------------------------------
@pytest.mark.parametrize(
    ("victim", "owner_client"),
    [("admin", OWNER), ("ADMIN ", "2001:db8::1"), ("bob", None), ("carol", "10.0.0.1")],
)
def test_fifty_failures_from_one_client_do_not_lock_the_owner_elsewhere(
    users: AuthServices, clock: ManualClock, victim: str, owner_client: str | None
) -> None:
    statuses = set()
    for _ in range(50):
        clock.advance(seconds=10)
        statuses.add(attempt(users, victim, "wrong-password-1", ATTACKER).status)
    assert "locked" in statuses  # the attacker's own client is locked
    assert attempt(users, victim, GOOD_PASSWORD, ATTACKER).status in {"locked", "slowed"}
    clock.advance(seconds=61)  # past any account slow-down
    result = attempt(users, victim, GOOD_PASSWORD, owner_client)
    assert result.ok, result.message
    assert attempt(users, victim, GOOD_PASSWORD, ATTACKER).status in {"locked"}


def test_the_pair_lock_is_five_failures_for_that_client_only(
    users: AuthServices, clock: ManualClock
) -> None:
    statuses = []
    for _ in range(5):
        clock.advance(seconds=10)
        statuses.append(attempt(users, "bob", "wrong-password-1", ATTACKER).status)
    assert statuses == ["failure"] * 4 + ["locked"]
    assert users.lockout.locked_until("bob", ATTACKER) is not None
    assert users.lockout.locked_until("bob", OWNER) is None
    assert "bob" in users.lockout.locked_usernames()  # the admin page shows it
    clock.advance(minutes=15, seconds=1)
    assert attempt(users, "bob", GOOD_PASSWORD, ATTACKER).ok


def test_a_success_resets_its_own_clients_count_only(
    users: AuthServices, clock: ManualClock
) -> None:
    for client in (ATTACKER, OWNER):
        for _ in range(4):
            clock.advance(seconds=10)
            attempt(users, "bob", "wrong-password-1", client)
    assert attempt(users, "bob", GOOD_PASSWORD, OWNER).ok
    assert attempt(users, "bob", "wrong-password-1", OWNER).status == "failure"
    assert attempt(users, "bob", "wrong-password-1", ATTACKER).status == "locked"


# -- one client rotating usernames ---------------------------------------------------------------
@pytest.mark.parametrize(
    "names",
    [
        [f"user{n}" for n in range(30)],  # unknown names
        ["admin", "bob", "carol"] * 10,  # real names, under the per-name limit each
        ["bob", "Bob", " BOB", "bob "] + [f"x{n}" for n in range(26)],
    ],
)
def test_one_client_rotating_usernames_is_blocked_for_every_name(
    users: AuthServices, clock: ManualClock, names: list[str]
) -> None:
    statuses = []
    for name in names:
        clock.advance(seconds=5)
        statuses.append(attempt(users, name, "wrong-password-1", ATTACKER).status)
    assert "locked" in statuses[:21]
    # Blocked now even for a real account's right password, from that client only.
    assert attempt(users, "carol", GOOD_PASSWORD, ATTACKER).status == "locked"
    assert attempt(users, "carol", GOOD_PASSWORD, OWNER).ok


@pytest.mark.parametrize(
    "addresses",
    [
        [f"2001:db8:66:1::{n:x}" for n in range(1, 40)],
        [f"2001:db8:66:1:{n:x}:{n:x}:{n:x}:{n:x}" for n in range(1, 40)],
        [f"2001:db8:66:1:ffff:ffff:ffff:{n:x}" for n in range(1, 40)],
    ],
)
def test_an_ipv6_host_rotating_addresses_in_its_64_is_one_client(
    users: AuthServices, clock: ManualClock, addresses: list[str]
) -> None:
    statuses = []
    for n, address in enumerate(addresses):
        clock.advance(seconds=5)
        statuses.append(attempt(users, f"name{n}", "wrong-password-1", address).status)
    assert "locked" in statuses[:21]
    assert attempt(users, "carol", GOOD_PASSWORD, "2001:db8:66:1::beef").status == "locked"
    assert attempt(users, "carol", GOOD_PASSWORD, "2001:db8:66:2::1").ok  # another /64


def test_twenty_failures_lock_the_client_and_it_ends(
    users: AuthServices, clock: ManualClock
) -> None:
    for n in range(19):
        clock.advance(seconds=5)
        assert attempt(users, f"name{n}", "wrong-password-1", ATTACKER).status == "failure"
    clock.advance(seconds=5)
    assert attempt(users, "name-last", "wrong-password-1", ATTACKER).status == "locked"
    assert rows(users, client_lockouts) == 1
    assert attempt(users, "another-name", "wrong-password-1", ATTACKER).status == "locked"
    clock.advance(minutes=15, seconds=1)
    assert attempt(users, "bob", GOOD_PASSWORD, ATTACKER).ok


def test_an_office_behind_one_address_logs_in_normally(
    users: AuthServices, clock: ManualClock
) -> None:
    """The near miss: many people from one address, a typo each, all get in."""
    for name in ("admin", "bob", "carol") * 3:
        clock.advance(seconds=30)
        assert attempt(users, name, "typo-password-1", OWNER).status == "failure"
        assert attempt(users, name, GOOD_PASSWORD, OWNER).ok


# -- distributed attack on one account ----------------------------------------------------------
def test_a_distributed_attack_is_slowed_and_the_owner_gets_in_after_the_delay(
    users: AuthServices, clock: ManualClock
) -> None:
    evaluated, slowed = 0, 0
    for n in range(200):  # 200 clients, one guess each, one a second
        clock.advance(seconds=1)
        result = attempt(users, "admin", f"guess-{n}-Passw0rd", f"198.18.{n // 250}.{n % 250}")
        assert result.status in {"failure", "slowed"}
        evaluated += result.status == "failure"
        slowed += result.status == "slowed"
    # 10 free guesses, then delays that double to a 60 s cap: ~16 more in 190 s.
    assert 10 < evaluated <= 20 and slowed >= 180
    until = users.lockout.slowed_until("admin")
    assert until is not None and until - clock.now <= timedelta(seconds=60)
    refused = attempt(users, "admin", GOOD_PASSWORD, "192.0.2.200")
    assert refused.status == "slowed" and "second" in str(refused.message)
    clock.now = until + timedelta(seconds=1)
    assert attempt(users, "admin", GOOD_PASSWORD, "192.0.2.200").ok


def test_the_delay_doubles_and_is_capped(users: AuthServices) -> None:
    delays = [users.lockout.delay_after(n).total_seconds() for n in range(8, 20)]
    assert delays == [0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60, 60]


def test_slowed_attempts_are_not_checked_nor_counted(
    users: AuthServices, clock: ManualClock
) -> None:
    for n in range(10):
        clock.advance(seconds=1)
        attempt(users, "bob", "wrong-password-1", f"192.0.2.{n}")
    slowed = attempt(users, "bob", GOOD_PASSWORD, "192.0.2.99")
    assert slowed.status == "slowed" and slowed.user is None
    with users.engine.connect() as conn:
        outcomes = conn.execute(
            sa.select(login_attempts.c.outcome).order_by(login_attempts.c.id)
        ).scalars()
        assert list(outcomes)[-1] == "slowed"
    assert users.users.get_user("bob").last_login_at is None


def test_an_admin_unlock_ends_locks_and_the_slow_down(
    users: AuthServices, clock: ManualClock
) -> None:
    for n in range(12):
        clock.advance(seconds=1)
        attempt(users, "bob", "wrong-password-1", ATTACKER if n < 5 else f"192.0.2.{n}")
    assert users.lockout.refusal("bob", OWNER) is not None
    users.lockout.unlock("bob")
    assert users.lockout.refusal("bob", OWNER) is None
    assert users.lockout.refusal("bob", ATTACKER) is None


# -- pruning ----------------------------------------------------------------------------------
def test_old_attempts_are_pruned_on_write_in_bounded_batches(
    users: AuthServices, clock: ManualClock
) -> None:
    old = [
        {"username": f"n{n}", "client": ATTACKER, "attempted_at": clock.now, "outcome": "failure"}
        for n in range(PRUNE_BATCH + 100)
    ]
    with users.engine.begin() as conn:
        conn.execute(sa.insert(login_attempts), old)
        conn.execute(
            sa.insert(lockouts),
            [
                {
                    "username": "x",
                    "client": ATTACKER,
                    "locked_at": clock.now,
                    "locked_until": clock.now + timedelta(minutes=15),
                }
            ],
        )
    clock.advance(minutes=31)  # past the window and the lock: all prunable
    attempt(users, "bob", "wrong-password-1", OWNER)
    assert rows(users, login_attempts) == 100 + 1  # one batch went, the new attempt came
    assert rows(users, lockouts) == 0
    attempt(users, "bob", GOOD_PASSWORD, OWNER)
    assert rows(users, login_attempts) == 2


def test_the_attempts_table_stays_bounded_under_a_long_attack(
    users: AuthServices, clock: ManualClock
) -> None:
    for n in range(300):  # 300 attempts, one every 10 s: 50 minutes
        clock.advance(seconds=10)
        attempt(users, f"name{n % 7}", "wrong-password-1", f"198.18.0.{n % 200}")
    # Only the last 15 minutes (90 attempts) can matter; a little more may wait a batch.
    assert rows(users, login_attempts) <= 91


def test_recent_attempts_are_never_pruned(users: AuthServices, clock: ManualClock) -> None:
    for _ in range(4):
        clock.advance(minutes=3)
        attempt(users, "bob", "wrong-password-1", ATTACKER)
    users.lockout.prune()
    clock.advance(minutes=3)
    assert attempt(users, "bob", "wrong-password-1", ATTACKER).status == "locked"


# -- one account, one name: a look-alike never reaches it -------------------------------------
@pytest.mark.parametrize(
    "variant",
    ["ádmin", "àdmin", "ÂDMIN", "admín", "ädmïn", "admi\u0301n", "ｂob", "bób", "BÖB", "cárol"],
)
def test_a_look_alike_username_never_logs_into_the_account(
    users: AuthServices, variant: str
) -> None:
    # Counted under its own name, a look-alike the database matched to the account would
    # escape the account's lock and slow-down while guessing its password.
    result = attempt(users, variant, GOOD_PASSWORD, OWNER)
    assert not result.ok and result.status == "failure"
    assert users.users.find_user(variant) is None
