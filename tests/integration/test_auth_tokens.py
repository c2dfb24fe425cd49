"""Personal API tokens on SQLite and MariaDB: a token acts as its user until it is revoked,
expires, or its user is disabled or deleted; anything that is not a live token of an
active user is refused alike; only a hash is stored; the audit log records who made and
revoked which token, never its secret."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa

from appdb.schema import metadata
from appdb.tables import api_tokens
from auth import audit
from auth.audit import AuditFilter
from auth.errors import AuthError, UserNotFound
from auth.services import AuthServices
from auth.token_actions import create_token, revoke_token
from auth.tokens import (
    ACTIVE,
    EXPIRED,
    NAME_LENGTH,
    REVOKED,
    SHOWN_PREFIX,
    TOKEN_PREFIX,
    TOUCH_EVERY,
    CreatedToken,
    hash_token,
)
from auth.users import User
from tests.support.auth_fixtures import GOOD_PASSWORD, START, ManualClock


@pytest.fixture
def people(auth: AuthServices) -> dict[str, User]:
    """An admin ("boss") and two analysts ("ana", "bob")."""
    made = {"boss": "admin", "ana": "analyst", "bob": "analyst"}
    return {
        name: auth.users.create_user(name, role=role, password=GOOD_PASSWORD).user
        for name, role in made.items()
    }


def new_token(
    auth: AuthServices, username: str, name: str = "ci", *, days: int | None = None
) -> CreatedToken:
    """A token made by its own user, as on the page."""
    return create_token(auth, username, name, days=days, by=username)


def who(auth: AuthServices, secret: str | None) -> str | None:
    user = auth.tokens.authenticate(secret)
    return None if user is None else user.username


def admin_details(auth: AuthServices) -> list[tuple[str | None, str | None]]:
    page = auth.audit.query(AuditFilter(event=audit.ADMIN_ACTION), limit=100)
    return [(entry.username, entry.detail) for entry in reversed(page.entries)]


# -- the token works, shows its prefix, and only its hash is kept --------------------------
def test_a_new_token_authenticates_as_its_user_and_is_listed_without_its_secret(
    auth: AuthServices, people: dict[str, User], clock: ManualClock
) -> None:
    created = new_token(auth, "ana", "  nightly\treport ", days=30)
    secret, token = created.secret, created.token
    assert secret.startswith(TOKEN_PREFIX) and len(secret) == len(TOKEN_PREFIX) + 43
    assert token.prefix == secret[:SHOWN_PREFIX]
    assert (token.name, token.username, token.created_at) == ("nightly report", "ana", START)
    assert token.expires_at == START + timedelta(days=30)
    assert who(auth, secret) == "ana"
    listed = auth.tokens.list_for("ana")
    assert [(t.id, t.status(clock.now)) for t in listed] == [(token.id, ACTIVE)]
    assert auth.tokens.list_for("bob") == []
    assert [t.username for t in auth.tokens.list_all()] == ["ana"]


def test_the_secret_is_stored_nowhere_only_its_hash(
    auth: AuthServices, people: dict[str, User]
) -> None:
    created = new_token(auth, "ana")
    revoke_token(auth, created.token.id, by=people["boss"])
    secret = created.secret
    unshown = secret[SHOWN_PREFIX:]
    with auth.engine.connect() as conn:
        row = conn.execute(sa.select(api_tokens)).mappings().one()
        assert row["token_hash"] == hash_token(secret)
        assert row["prefix"] == secret[:SHOWN_PREFIX]
        # Every cell of every table, the audit log included.
        cells = [
            str(value)
            for table in metadata.sorted_tables
            for record in conn.execute(sa.select(table))
            for value in record
        ]
    assert not [cell for cell in cells if unshown in cell]


def test_each_token_is_new_even_with_the_same_name(
    auth: AuthServices, people: dict[str, User]
) -> None:
    first, second = new_token(auth, "ana"), new_token(auth, "ana")
    assert first.secret != second.secret and first.token.id != second.token.id
    assert who(auth, first.secret) == who(auth, second.secret) == "ana"


# -- expiry and revocation -----------------------------------------------------------------
def test_a_token_works_until_its_expiry_and_not_from_then_on(
    auth: AuthServices, people: dict[str, User], clock: ManualClock
) -> None:
    created = new_token(auth, "ana", days=30)
    forever = new_token(auth, "ana", "forever")
    clock.advance(days=30, seconds=-1)
    assert who(auth, created.secret) == "ana"
    clock.advance(seconds=1)
    assert who(auth, created.secret) is None
    assert auth.tokens.list_for("ana")[-1].status(clock.now) == EXPIRED
    clock.advance(days=3650)
    assert who(auth, forever.secret) == "ana"


def test_a_revoked_token_stops_working_at_once_and_revoking_again_changes_nothing(
    auth: AuthServices, people: dict[str, User], clock: ManualClock
) -> None:
    created = new_token(auth, "ana")
    assert who(auth, created.secret) == "ana"
    clock.advance(minutes=5)
    revoked = revoke_token(auth, created.token.id, by=people["ana"])
    assert (revoked.revoked_at, revoked.revoked_by) == (clock.now, "ana")
    assert revoked.status(clock.now) == REVOKED
    assert who(auth, created.secret) is None
    clock.advance(minutes=5)
    again = revoke_token(auth, created.token.id, by=people["boss"])
    assert (again.revoked_at, again.revoked_by) == (revoked.revoked_at, "ana")
    assert [d for _, d in admin_details(auth) if d and d.startswith("revoked")] == [
        f"revoked API token ci ({created.token.prefix}…) of ana"
    ]


def test_an_admin_may_revoke_anyones_token(auth: AuthServices, people: dict[str, User]) -> None:
    created = new_token(auth, "ana")
    assert revoke_token(auth, created.token.id, by=people["boss"]).revoked_by == "boss"
    assert who(auth, created.secret) is None


def test_a_user_cannot_revoke_anothers_token_and_is_told_it_does_not_exist(
    auth: AuthServices, people: dict[str, User]
) -> None:
    anas = new_token(auth, "ana")
    with pytest.raises(AuthError) as missing:
        revoke_token(auth, 999_999, by=people["bob"])
    with pytest.raises(AuthError) as foreign:
        revoke_token(auth, anas.token.id, by=people["bob"])
    assert str(foreign.value) == str(missing.value) == "No such API token."
    assert type(foreign.value) is type(missing.value)
    assert who(auth, anas.secret) == "ana"
    assert auth.tokens.list_for("ana")[0].revoked_at is None
    assert not [d for _, d in admin_details(auth) if d and d.startswith("revoked")]


# -- anything else is refused, and tells nothing -------------------------------------------
Variant = Callable[[str, str], "str | None"]
VARIANTS: dict[str, Variant] = {
    "none": lambda good, revoked: None,
    "empty": lambda good, revoked: "",
    "blank": lambda good, revoked: "   ",
    "prefix alone": lambda good, revoked: TOKEN_PREFIX,
    "shown prefix alone": lambda good, revoked: good[:SHOWN_PREFIX],
    "without its prefix": lambda good, revoked: good.removeprefix(TOKEN_PREFIX),
    "upper-case prefix": lambda good, revoked: "KK_" + good.removeprefix(TOKEN_PREFIX),
    "one character short": lambda good, revoked: good[:-1],
    "one character more": lambda good, revoked: good + "A",
    "last character changed": lambda good, revoked: good[:-1] + ("A" if good[-1] != "A" else "B"),
    "space before": lambda good, revoked: " " + good,
    "newline after": lambda good, revoked: good + "\n",
    "bearer word kept": lambda good, revoked: "Bearer " + good,
    "twice": lambda good, revoked: good + good,
    "its hash": lambda good, revoked: hash_token(good),
    "random, well formed": lambda good, revoked: TOKEN_PREFIX + secrets.token_urlsafe(32),
    "non-ascii": lambda good, revoked: good[:-1] + "é",
    "another user's revoked token": lambda good, revoked: revoked,
}


@pytest.mark.parametrize("variant", VARIANTS, ids=list(VARIANTS))
def test_anything_but_a_live_token_is_refused(
    auth: AuthServices, people: dict[str, User], variant: str
) -> None:
    good = new_token(auth, "ana").secret
    bobs = new_token(auth, "bob")
    revoke_token(auth, bobs.token.id, by=people["bob"])
    assert who(auth, VARIANTS[variant](good, bobs.secret)) is None
    assert who(auth, good) == "ana"  # and the real one still works


# -- the user behind the token ---------------------------------------------------------------
def test_a_disabled_users_tokens_stop_working_until_they_are_enabled(
    auth: AuthServices, people: dict[str, User]
) -> None:
    created = new_token(auth, "ana")
    auth.users.disable("ana")
    assert who(auth, created.secret) is None
    with pytest.raises(AuthError, match="disabled"):
        new_token(auth, "ana", "another")
    auth.users.enable("ana")
    assert who(auth, created.secret) == "ana"


def test_a_role_change_applies_to_the_next_call(
    auth: AuthServices, people: dict[str, User]
) -> None:
    created = new_token(auth, "ana")
    auth.users.set_role("ana", "manager")
    user = auth.tokens.authenticate(created.secret)
    assert user is not None and user.role == "manager"


def test_deleting_a_user_deletes_their_tokens_and_a_new_account_inherits_none(
    auth: AuthServices, people: dict[str, User]
) -> None:
    anas = new_token(auth, "ana")
    bobs = new_token(auth, "bob")
    assert auth.users.data_counts("ana")["api_tokens"] == 1
    removed = auth.users.delete("ana", by="boss")
    assert removed["api_tokens"] == 1
    assert who(auth, anas.secret) is None
    new = auth.users.create_user("ana", role="admin", password=GOOD_PASSWORD).user
    assert new.id != people["ana"].id
    assert who(auth, anas.secret) is None
    assert auth.tokens.list_for("ana") == []
    assert [t.username for t in auth.tokens.list_all()] == ["bob"]
    with auth.engine.connect() as conn:
        rows = conn.execute(sa.select(api_tokens.c.user_id)).scalars().all()
    assert rows == [people["bob"].id]
    assert who(auth, bobs.secret) == "bob"


# -- last use --------------------------------------------------------------------------------
def test_last_use_is_written_at_most_once_per_touch_interval(
    auth: AuthServices, people: dict[str, User], clock: ManualClock
) -> None:
    created = new_token(auth, "ana")

    def last_used() -> object:
        return auth.tokens.list_for("ana")[0].last_used_at

    assert last_used() is None
    assert who(auth, created.secret) == "ana"
    first = clock.now
    assert last_used() == first
    clock.advance(seconds=TOUCH_EVERY.total_seconds() - 1)
    assert who(auth, created.secret) == "ana"
    assert last_used() == first
    clock.advance(seconds=1)
    assert who(auth, created.secret) == "ana"
    assert last_used() == clock.now != first


# -- what a token may be called, and for whom ------------------------------------------------
@pytest.mark.parametrize("name", ["", "   ", "\t\n", "x" * (NAME_LENGTH + 1)])
def test_a_token_needs_a_name_of_reasonable_length(
    auth: AuthServices, people: dict[str, User], name: str
) -> None:
    with pytest.raises(AuthError, match=f"1 to {NAME_LENGTH} characters"):
        new_token(auth, "ana", name)
    assert auth.tokens.list_all() == []
    assert admin_details(auth) == []


def test_a_name_is_kept_as_typed_with_its_spaces_tidied(
    auth: AuthServices, people: dict[str, User]
) -> None:
    longest = "ñ" * NAME_LENGTH
    assert new_token(auth, "ana", longest).token.name == longest
    tidy = new_token(auth, "ana", " **bold**  [link](http://x) \n ").token.name
    assert tidy == "**bold** [link](http://x)"  # data: escaped where it is shown


@pytest.mark.parametrize("days", [0, -1])
def test_an_expiry_must_be_in_the_future(
    auth: AuthServices, people: dict[str, User], days: int
) -> None:
    with pytest.raises(AuthError, match="in the future"):
        new_token(auth, "ana", days=days)


def test_no_token_for_a_user_that_does_not_exist(
    auth: AuthServices, people: dict[str, User]
) -> None:
    with pytest.raises(UserNotFound):
        new_token(auth, "nobody")


# -- the audit log -----------------------------------------------------------------------------
def test_creating_and_revoking_are_audited_with_owner_name_and_prefix(
    auth: AuthServices, people: dict[str, User], clock: ManualClock
) -> None:
    kept = create_token(auth, "ana", "kept", by="cli")
    gone = create_token(auth, "ana", "gone", days=90, by="ana")
    revoke_token(auth, gone.token.id, by=people["boss"])
    expiry = f"{START + timedelta(days=90):%Y-%m-%d %H:%M} UTC"
    assert admin_details(auth) == [
        ("cli", f"created API token kept ({kept.token.prefix}…) for ana, expires never"),
        ("ana", f"created API token gone ({gone.token.prefix}…) for ana, expires {expiry}"),
        ("boss", f"revoked API token gone ({gone.token.prefix}…) of ana"),
    ]
    page = auth.audit.query(AuditFilter(event=audit.ADMIN_ACTION), limit=10)
    spanish = [entry.detail_in("es") for entry in reversed(page.entries)]
    assert spanish[2] == f"revocó el token de API gone ({gone.token.prefix}…) de ana"
