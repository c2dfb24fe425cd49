"""`keskinube users ...` end to end through `cli.main`, on a temporary SQLite app DB."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import auth.passwords
from auth.audit import AuditFilter
from auth.services import AuthServices, open_auth
from backend.config import get_settings
from cli import main

PASSWORD = "Correct-Horse-Battery-9"


@pytest.fixture(autouse=True)
def _fast_bcrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth.passwords, "BCRYPT_ROUNDS", 4)


@pytest.fixture(autouse=True)
def _english_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI speaks the terminal's language: these tests read English."""
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


@pytest.fixture
def app_db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'app.sqlite'}"


@pytest.fixture
def opened(app_db: str) -> Iterator[AuthServices]:
    """The same database as the CLI sees, opened after the commands ran."""
    services = open_auth(app_db)
    yield services
    services.close()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _typed(monkeypatch: pytest.MonkeyPatch, *answers: str) -> None:
    replies = iter(answers)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(replies))


def test_create_admin_prompts_twice(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], app_db: str
) -> None:
    _typed(monkeypatch, PASSWORD, PASSWORD)
    monkeypatch.setattr("builtins.input", lambda prompt="": " Root ")
    assert _run(capsys, "users", "create-admin", "--app-db", app_db) == (
        0,
        "Created admin root.\n",
        "",
    )
    services = open_auth(app_db)
    try:
        assert services.login.attempt("root", PASSWORD).ok
        assert services.audit.query(AuditFilter(username="cli")).total == 1
    finally:
        services.close()


def test_create_admin_refuses_different_or_weak_passwords(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], app_db: str
) -> None:
    _typed(monkeypatch, PASSWORD, PASSWORD + "x")
    status, _, err = _run(capsys, "users", "create-admin", "root", "--app-db", app_db)
    assert (status, err) == (2, "keskinube: The two passwords differ; nothing was changed.\n")
    _typed(monkeypatch, "password123", "password123")
    status, _, err = _run(capsys, "users", "create-admin", "root", "--app-db", app_db)
    assert status == 2 and "too common" in err and err.count("\n") == 1


def test_add_prints_a_generated_password_once(
    capsys: pytest.CaptureFixture[str], app_db: str, opened: AuthServices
) -> None:
    status, out, _ = _run(capsys, "users", "add", "ann", "--role", "analyst", "--app-db", app_db)
    first, second = out.splitlines()
    assert (status, first) == (0, "Created analyst ann.")
    generated = second.removeprefix("Generated password (shown only now): ")
    assert opened.login.attempt("ann", generated).ok


def test_add_and_reset_with_password_stdin_print_no_password(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    app_db: str,
    opened: AuthServices,
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    argv = [
        "users",
        "add",
        "ann",
        "--role",
        "manager",
        "--name",
        "Ann Lee",
        "--email",
        "ann@example.com",
        "--password-stdin",
        "--app-db",
        app_db,
    ]
    assert _run(capsys, *argv) == (0, "Created manager ann.\n", "")
    monkeypatch.setattr("sys.stdin", io.StringIO("Brand-New-Secret-7\n"))
    argv = ["users", "reset-password", "ANN", "--password-stdin", "--app-db", app_db]
    assert _run(capsys, *argv) == (0, "Password of ann changed.\n", "")
    assert opened.login.attempt("ann", "Brand-New-Secret-7").ok
    assert opened.users.get_user("ann").email == "ann@example.com"


def test_set_role_disable_enable_delete_and_list(
    capsys: pytest.CaptureFixture[str], app_db: str, opened: AuthServices
) -> None:
    for name, role in (("root", "admin"), ("ann", "analyst")):
        _run(capsys, "users", "add", name, "--role", role, "--app-db", app_db)
    assert _run(capsys, "users", "set-role", "ann", "manager", "--app-db", app_db)[1] == (
        "ann is now manager.\n"
    )
    assert _run(capsys, "users", "disable", "ann", "--app-db", app_db)[0] == 0
    out = _run(capsys, "users", "list", "--app-db", app_db)[1]
    assert out.splitlines() == [
        "USERNAME  NAME  ROLE     STATUS    LAST LOGIN (UTC)",
        "ann       ann   manager  disabled  never",
        "root      root  admin    active    never",
    ]
    assert _run(capsys, "users", "enable", "ann", "--app-db", app_db)[0] == 0
    listed = json.loads(_run(capsys, "users", "list", "--json", "--app-db", app_db)[1])
    assert [(u["username"], u["role"], u["disabled"]) for u in listed] == [
        ("ann", "manager", False),
        ("root", "admin", False),
    ]
    assert _run(capsys, "users", "delete", "ann", "--app-db", app_db)[1] == "Deleted ann.\n"
    assert [u.username for u in opened.users.list_users()] == ["root"]


def test_errors_are_one_clear_line(capsys: pytest.CaptureFixture[str], app_db: str) -> None:
    _run(capsys, "users", "add", "root", "--role", "admin", "--app-db", app_db)
    cases = {
        ("delete", "root"): "keskinube: Can't delete root: they are the last active admin. "
        "Make another user an admin first.\n",
        ("set-role", "root", "analyst"): "keskinube: Can't change the role of root",
        ("disable", "ghost"): "keskinube: There is no user 'ghost'.\n",
        ("set-role", "root", "boss"): "keskinube: Unknown role 'boss'",
    }
    for argv, expected in cases.items():
        status, _, err = _run(capsys, "users", *argv, "--app-db", app_db)
        assert status == 2 and err.startswith(expected) and err.count("\n") == 1


def test_unlock_ends_a_lockout(
    capsys: pytest.CaptureFixture[str], app_db: str, opened: AuthServices
) -> None:
    for _ in range(5):
        opened.login.attempt("nobody", "wrong-password-1")
    assert opened.lockout.locked_until("nobody") is not None
    assert _run(capsys, "users", "unlock", "nobody", "--app-db", app_db)[0] == 0
    assert opened.lockout.locked_until("nobody") is None


def test_the_app_database_comes_from_settings_by_default(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("APP_DATABASE_URL", f"sqlite:///{tmp_path / 'configured.sqlite'}")
    get_settings.cache_clear()
    assert _run(capsys, "users", "add", "ann", "--role", "analyst")[0] == 0
    assert (tmp_path / "configured.sqlite").exists()


def test_the_cli_speaks_spanish_when_the_terminal_or_the_setting_does(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], app_db: str
) -> None:
    monkeypatch.setenv("LANG", "es_ES.UTF-8")
    get_settings.cache_clear()  # the locale is a setting: read once per process
    assert _run(capsys, "users", "add", "ana", "--role", "analyst", "--app-db", app_db)[1]
    assert _run(capsys, "users", "set-role", "ana", "manager", "--app-db", app_db)[1] == (
        "ana tiene ahora el rol manager.\n"
    )
    assert _run(capsys, "users", "list", "--app-db", app_db)[1].splitlines() == [
        "USUARIO  NOMBRE  ROL      ESTADO  ÚLTIMO ACCESO (UTC)",
        "ana      ana     manager  activo  nunca",
    ]
    listed = json.loads(_run(capsys, "users", "list", "--json", "--app-db", app_db)[1])
    assert listed[0]["disabled"] is False  # --json is for machines: unchanged
    monkeypatch.setenv("LC_ALL", "C")  # LC_ALL beats LANG: English again
    get_settings.cache_clear()
    assert _run(capsys, "users", "delete", "ana", "--app-db", app_db)[1] == "Deleted ana.\n"
    monkeypatch.setenv("KESKINUBE_LANGUAGE", "es")  # the app's setting beats the terminal
    get_settings.cache_clear()
    _typed(monkeypatch, PASSWORD, PASSWORD + "x")
    status, _, err = _run(capsys, "users", "create-admin", "root", "--app-db", app_db)
    assert (status, err) == (
        2,
        "keskinube: Las dos contraseñas no coinciden; no se ha cambiado nada.\n",
    )
