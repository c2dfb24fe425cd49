"""`keskinube tokens ...` end to end through `cli.main`, on a temporary SQLite app DB."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from auth import audit
from auth.audit import AuditFilter
from auth.passwords import PasswordHasher
from auth.services import AuthServices, open_auth
from cli import main
from tests.support.auth_fixtures import GOOD_PASSWORD

NOT_FOUND = "keskinube: No such API token.\n"


@pytest.fixture(autouse=True)
def _english_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI speaks the terminal's language: these tests read English unless they say."""
    for name in ("LC_ALL", "LC_MESSAGES", "KESKINUBE_LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


@pytest.fixture
def app_db(tmp_path: Path) -> Iterator[str]:
    """An app database with an admin ("boss") and two analysts ("ana", "bob")."""
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    services = open_auth(url, hasher=PasswordHasher(rounds=4))
    for name, role in (("boss", "admin"), ("ana", "analyst"), ("bob", "analyst")):
        services.users.create_user(name, role=role, password=GOOD_PASSWORD)
    services.close()
    yield url


@pytest.fixture
def opened(app_db: str) -> Iterator[AuthServices]:
    """The same database as the CLI sees."""
    services = open_auth(app_db)
    yield services
    services.close()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def create(capsys: pytest.CaptureFixture[str], app_db: str, user: str, *extra: str) -> str:
    status, out, _ = run(capsys, "tokens", "create", "--user", user, *extra, "--app-db", app_db)
    assert status == 0
    return out.strip()


def test_create_prints_the_secret_alone_on_stdout_once(
    capsys: pytest.CaptureFixture[str], app_db: str, opened: AuthServices
) -> None:
    argv = ["tokens", "create", "--user", "ANA", "--name", "nightly", "--days", "30"]
    status, out, err = run(capsys, *argv, "--app-db", app_db)
    secret = out.removesuffix("\n")
    assert status == 0 and "\n" not in secret
    user = opened.tokens.authenticate(secret)
    assert user is not None and user.username == "ana"
    token = opened.tokens.list_for("ana")[0]
    expires = f"{token.expires_at:%Y-%m-%d %H:%M}"
    assert err.splitlines() == [
        f"Created API token nightly ({secret[:10]}…) for ana, expires {expires}.",
        "The token is on standard output, shown only now: copy it.",
    ]
    assert secret not in err
    entries = opened.audit.query(AuditFilter(event=audit.ADMIN_ACTION)).entries
    assert [(e.username, e.detail) for e in entries] == [
        ("cli", f"created API token nightly ({secret[:10]}…) for ana, expires {expires} UTC")
    ]
    status, out, _ = run(capsys, "tokens", "list", "--json", "--app-db", app_db)
    assert secret[10:] not in out


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["--user", "nobody", "--name", "x"], "keskinube: There is no user 'nobody'.\n"),
        (
            ["--user", "ana", "--name", "  "],
            "keskinube: A token needs a name of 1 to 80 characters.\n",
        ),
        (
            ["--user", "ana", "--name", "x", "--days", "0"],
            "keskinube: A token's expiry must be in the future.\n",
        ),
    ],
)
def test_create_refusals_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str],
    app_db: str,
    opened: AuthServices,
    argv: list[str],
    error: str,
) -> None:
    assert run(capsys, "tokens", "create", *argv, "--app-db", app_db) == (2, "", error)
    assert opened.tokens.list_all() == []


def test_no_token_for_a_disabled_user(
    capsys: pytest.CaptureFixture[str], app_db: str, opened: AuthServices
) -> None:
    opened.users.disable("ana")
    argv = ["tokens", "create", "--user", "ana", "--name", "x", "--app-db", app_db]
    assert run(capsys, *argv) == (
        2,
        "",
        "keskinube: ana is disabled and cannot have API tokens.\n",
    )


def test_list_shows_every_token_or_one_users_with_status_and_never_a_secret(
    capsys: pytest.CaptureFixture[str], app_db: str, opened: AuthServices
) -> None:
    past = open_auth(app_db, clock=lambda: datetime(2020, 1, 1, 12, 0))
    try:  # made long ago, for a day: expired now
        old = past.tokens.create("bob", "old one", expires_in=timedelta(days=1)).token
    finally:
        past.close()
    ana = create(capsys, app_db, "ana", "--name", "ci")
    gone = create(capsys, app_db, "ana", "--name", "gone")
    gone_id = opened.tokens.list_for("ana")[0].id
    assert run(capsys, "tokens", "revoke", str(gone_id), "--by", "ana", "--app-db", app_db)[0] == 0
    out = run(capsys, "tokens", "list", "--app-db", app_db)[1]
    lines = [line.split() for line in out.splitlines()]
    assert " ".join(lines[0]) == (
        "ID USER NAME STARTS WITH CREATED (UTC) EXPIRES (UTC) LAST USED (UTC) STATUS"
    )
    assert [line[-1] for line in lines[1:]] == ["revoked", "active", "expired"]
    assert lines[3] == [
        *(str(old.id), "bob", "old", "one", f"{old.prefix}…"),
        *("2020-01-01", "12:00", "2020-01-02", "12:00", "never", "expired"),
    ]
    for secret in (ana, gone):
        assert secret[10:] not in out
    mine = json.loads(
        run(capsys, "tokens", "list", "--user", "Ana", "--json", "--app-db", app_db)[1]
    )
    assert [(t["username"], t["name"], t["status"]) for t in mine] == [
        ("ana", "gone", "revoked"),
        ("ana", "ci", "active"),
    ]
    assert mine[0]["revoked_by"] == "ana" and mine[1]["expires_at"] is None
    assert set(mine[0]) == {
        *("id", "username", "name", "prefix", "created_at", "expires_at", "last_used_at"),
        *("revoked_at", "revoked_by", "status"),
    }
    assert run(capsys, "tokens", "list", "--user", "nobody", "--app-db", app_db)[0] == 2


def test_revoke_by_an_admin_works_and_anyone_else_is_told_it_does_not_exist(
    capsys: pytest.CaptureFixture[str], app_db: str, opened: AuthServices
) -> None:
    secret = create(capsys, app_db, "ana", "--name", "ci")
    token_id = str(opened.tokens.list_for("ana")[0].id)
    revoke = ["tokens", "revoke", "--app-db", app_db]
    assert run(capsys, *revoke, token_id, "--by", "bob") == (2, "", NOT_FOUND)
    assert run(capsys, *revoke, "999999", "--by", "bob") == (2, "", NOT_FOUND)
    assert opened.tokens.authenticate(secret) is not None
    status, out, _ = run(capsys, *revoke, token_id, "--by", "boss")
    assert (status, out) == (0, f"Revoked API token ci ({secret[:10]}…) of ana.\n")
    assert opened.tokens.authenticate(secret) is None
    assert opened.tokens.list_for("ana")[0].revoked_by == "boss"
    details = [
        (e.username, e.detail)
        for e in opened.audit.query(AuditFilter(event=audit.ADMIN_ACTION)).entries
    ]
    assert details[0] == ("boss", f"revoked API token ci ({secret[:10]}…) of ana")
    assert run(capsys, *revoke, token_id, "--by", "nobody")[0] == 2


def test_the_cli_speaks_spanish_on_a_spanish_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], app_db: str
) -> None:
    monkeypatch.setenv("LANG", "es_ES.UTF-8")
    argv = ["tokens", "create", "--user", "ana", "--name", "ci", "--app-db", app_db]
    status, out, err = run(capsys, *argv)
    assert status == 0
    assert err.startswith(f"Se creó el token de API ci ({out[:10]}…) para ana; caduca: nunca.")
    header = run(capsys, "tokens", "list", "--app-db", app_db)[1].splitlines()[0]
    assert header.split()[:3] == ["ID", "USUARIO", "NOMBRE"]
    revoke = ["tokens", "revoke", "1", "--by", "bob", "--app-db", app_db]
    assert run(capsys, *revoke) == (2, "", "keskinube: No existe ese token de API.\n")
