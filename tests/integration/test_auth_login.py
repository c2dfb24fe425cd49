"""Login on SQLite and MariaDB: lockout timing with a manual clock, audit rows, and the
credentials dict streamlit-authenticator reads."""

from __future__ import annotations

import pytest

from auth import audit
from auth.audit import AuditFilter
from auth.login import DISABLED_ACCOUNT, INVALID_CREDENTIALS, credentials_for_authenticator
from auth.services import AuthServices
from tests.support.auth_fixtures import GOOD_PASSWORD, ManualClock

INVALID = str(INVALID_CREDENTIALS)  # messages read in English by default
LOCKED = "Too many failed logins. Try again in 15 minutes."


@pytest.fixture
def bob(auth: AuthServices) -> AuthServices:
    auth.users.create_user("bob", role="analyst", name="Bob Stone", password=GOOD_PASSWORD)
    return auth


def _fail(auth: AuthServices, clock: ManualClock, times: int, username: str = "bob") -> list[str]:
    messages = []
    for _ in range(times):
        clock.advance(seconds=10)
        messages.append(str(auth.login.attempt(username, "wrong-password-1").message))
    return messages


def test_right_password_logs_in_and_stamps_last_login(
    bob: AuthServices, clock: ManualClock
) -> None:
    result = bob.login.attempt(" BOB ", GOOD_PASSWORD)
    assert result.ok and result.user is not None
    assert result.user.last_login_at == clock.now
    assert bob.audit.query(AuditFilter(event=audit.LOGIN_SUCCESS)).total == 1


def test_five_failures_lock_and_even_the_right_password_is_refused(
    bob: AuthServices, clock: ManualClock
) -> None:
    messages = _fail(bob, clock, 5)
    assert messages == [INVALID] * 4 + [LOCKED]
    clock.advance(minutes=14, seconds=50)
    result = bob.login.attempt("bob", GOOD_PASSWORD)
    assert (result.status, str(result.message)) == (
        "locked",
        "Too many failed logins. Try again in 1 minute.",
    )
    clock.advance(seconds=10)
    assert bob.login.attempt("bob", GOOD_PASSWORD).ok


def test_failures_older_than_fifteen_minutes_do_not_count(
    bob: AuthServices, clock: ManualClock
) -> None:
    _fail(bob, clock, 4)
    clock.advance(minutes=15)
    assert _fail(bob, clock, 4) == [INVALID] * 4
    assert bob.login.attempt("bob", GOOD_PASSWORD).ok


def test_a_success_resets_the_count(bob: AuthServices, clock: ManualClock) -> None:
    _fail(bob, clock, 4)
    assert bob.login.attempt("bob", GOOD_PASSWORD).ok
    assert _fail(bob, clock, 4) == [INVALID] * 4


def test_after_a_lock_ends_the_count_starts_again(bob: AuthServices, clock: ManualClock) -> None:
    _fail(bob, clock, 5)
    clock.advance(minutes=15)
    assert _fail(bob, clock, 4) == [INVALID] * 4
    assert _fail(bob, clock, 1) == [LOCKED]


def test_attempts_during_a_lock_do_not_extend_it(bob: AuthServices, clock: ManualClock) -> None:
    _fail(bob, clock, 5)
    locked_at = clock.now
    _fail(bob, clock, 20)
    clock.now = locked_at
    clock.advance(minutes=15)
    assert bob.login.attempt("bob", GOOD_PASSWORD).ok


def test_unknown_usernames_get_the_same_answers_and_lock_too(
    bob: AuthServices, clock: ManualClock
) -> None:
    known = _fail(bob, clock, 6, "bob")
    unknown = _fail(bob, clock, 6, "nobody")
    assert known == unknown == [INVALID] * 4 + [LOCKED] * 2
    assert bob.lockout.locked_until("nobody") is not None


def test_admin_unlock_ends_the_lock(bob: AuthServices, clock: ManualClock) -> None:
    _fail(bob, clock, 5)
    bob.lockout.unlock("bob")
    assert bob.login.attempt("bob", GOOD_PASSWORD).ok


def test_a_disabled_account_is_refused_only_after_a_right_password(
    bob: AuthServices, clock: ManualClock
) -> None:
    bob.users.create_user("root", role="admin")
    bob.users.disable("bob")
    assert bob.login.attempt("bob", "wrong-password-1").message == INVALID_CREDENTIALS
    result = bob.login.attempt("bob", GOOD_PASSWORD)
    assert (result.status, result.message) == ("disabled", DISABLED_ACCOUNT)


def test_every_login_event_is_audited_without_the_password(
    bob: AuthServices, clock: ManualClock
) -> None:
    _fail(bob, clock, 6)
    clock.advance(minutes=20)
    bob.login.attempt("bob", GOOD_PASSWORD)
    bob.login.record_logout("bob")
    events = [entry.event for entry in reversed(bob.audit.query(limit=100).entries)]
    assert events == [audit.LOGIN_FAILURE] * 5 + [
        audit.LOCKOUT,
        audit.LOGIN_LOCKED,
        audit.LOGIN_SUCCESS,
        audit.LOGOUT,
    ]
    csv_text = "".join(bob.audit.iter_csv())
    assert "wrong-password-1" not in csv_text and GOOD_PASSWORD not in csv_text


def test_mirror_path_for_the_library_form(bob: AuthServices, clock: ManualClock) -> None:
    """The adapter lets streamlit-authenticator check the password, then reports it."""
    for _ in range(4):
        clock.advance(seconds=5)
        assert bob.login.record_failure("bob").message == INVALID_CREDENTIALS
    assert bob.login.record_failure("bob").status == "locked"
    assert "bob" not in credentials_for_authenticator(bob.users, lockout=bob.lockout)["usernames"]
    assert bob.login.record_success("bob").status == "locked"
    clock.advance(minutes=16)
    assert bob.login.record_success("bob").ok


def test_credentials_dict_has_the_library_shape_and_skips_disabled_users(
    bob: AuthServices,
) -> None:
    bob.users.create_user("carol", role="manager", name="Carol", email="carol@example.com")
    bob.users.create_user("dave", role="analyst")
    bob.users.disable("dave")
    credentials = credentials_for_authenticator(bob.users)
    assert credentials == {
        "usernames": {
            "bob": {
                "email": "",
                "first_name": "Bob",
                "last_name": "Stone",
                "password": bob.users.get_user("bob").password_hash,
                "roles": ["analyst"],
            },
            "carol": {
                "email": "carol@example.com",
                "first_name": "Carol",
                "last_name": "",
                "password": bob.users.get_user("carol").password_hash,
                "roles": ["manager"],
            },
        }
    }


def test_credentials_dict_is_fresh_on_every_call(bob: AuthServices) -> None:
    first = credentials_for_authenticator(bob.users)
    first["usernames"]["bob"]["failed_login_attempts"] = 3  # what the library does
    first["usernames"]["bob"]["roles"].append("admin")
    second = credentials_for_authenticator(bob.users)
    assert second is not first
    assert second["usernames"]["bob"]["roles"] == ["analyst"]
    assert "failed_login_attempts" not in second["usernames"]["bob"]
