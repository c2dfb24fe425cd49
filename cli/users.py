"""`keskinube users ...`: create the first admin and manage accounts from the terminal.

Every command uses the app database of `APP_DATABASE_URL` (or `--app-db URL`), creating
its tables when missing. `add` and `reset-password` print a generated password once
unless `--password-stdin` reads one from standard input; `create-admin` prompts twice.
Changes are written to the audit log as actions of "cli" (in English, like the rest of
the audit log); what the command prints for people is in the CLI's language.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from backend.errors import KeskinubeError
from backend.i18n.message import Message
from cli.app_db import app_db_command, opened_auth
from cli.columns import print_columns
from cli.language import cli_translator

if TYPE_CHECKING:
    from auth.admin import AdminActions
    from auth.services import AuthServices
    from auth.users import User

CLI_ACTOR = "cli"


class PasswordsDiffer(KeskinubeError):
    """The two typed passwords are not the same."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    users = subparsers.add_parser("users", help="manage user accounts in the app database")
    sub = users.add_subparsers(dest="users_command", required=True, metavar="COMMAND")

    admin = app_db_command(
        sub, "create-admin", "create an admin, prompting for the password", _admin
    )
    admin.add_argument("username", nargs="?", help="asked for when left out")
    _add_profile(admin)

    app_db_command(sub, "list", "list accounts", _list).add_argument(
        "--json", action="store_true", help="print a JSON array"
    )

    add = app_db_command(sub, "add", "add an account (prints a generated password once)", _add)
    add.add_argument("username")
    add.add_argument("--role", required=True, help="admin, manager or analyst")
    _add_profile(add)
    _add_password_stdin(add)

    set_role = app_db_command(sub, "set-role", "change an account's role", _set_role)
    set_role.add_argument("username")
    set_role.add_argument("role", help="admin, manager or analyst")

    for name, help_text, handler in (
        ("disable", "refuse an account's logins", _disable),
        ("enable", "allow an account's logins again", _enable),
        ("delete", "delete an account", _delete),
        ("unlock", "end a login lockout now", _unlock),
    ):
        app_db_command(sub, name, help_text, handler).add_argument("username")

    reset = app_db_command(
        sub, "reset-password", "set a new password (generated unless given)", _reset
    )
    reset.add_argument("username")
    _add_password_stdin(reset)


def _add_profile(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", default="", help="display name (default: the username)")
    parser.add_argument("--email", default="", help="e-mail address")


def _add_password_stdin(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )


def _actions(services: AuthServices) -> AdminActions:
    """Changes go through the admin pages' own actions: audited the same way."""
    from auth.admin import AdminActions

    return AdminActions(services, by=CLI_ACTOR)


def _services(args: argparse.Namespace) -> AbstractContextManager[AuthServices]:
    return opened_auth(args.app_db)


def _admin(args: argparse.Namespace) -> int:
    tr = cli_translator()
    username = args.username or input(tr("cli.users.prompt.username") + " ").strip()
    password = getpass.getpass(tr("cli.users.prompt.password") + " ")
    if getpass.getpass(tr("cli.users.prompt.password_again") + " ") != password:
        raise PasswordsDiffer(Message.of("cli.users.passwords_differ"))
    with _services(args) as services:
        created = _actions(services).create_user(
            username, role="admin", name=args.name, email=args.email, password=password
        )
    print(tr("cli.users.created_admin", username=created.user.username))
    return 0


def _list(args: argparse.Namespace) -> int:
    with _services(args) as services:
        users = services.users.list_users()
    if args.json:
        print(json.dumps([_as_json(user) for user in users], indent=2))
        return 0
    tr = cli_translator()
    headers = ("username", "name", "role", "status", "last_login")
    rows = [tuple(tr(f"cli.users.list.{header}") for header in headers)]
    rows += [
        (
            u.username,
            u.name,
            u.role,
            tr("cli.users.list.disabled") if u.disabled else tr("cli.users.list.active"),
            f"{u.last_login_at:%Y-%m-%d %H:%M}" if u.last_login_at else tr("cli.users.list.never"),
        )
        for u in users
    ]
    print_columns(rows)
    return 0


def _add(args: argparse.Namespace) -> int:
    password = _stdin_password() if args.password_stdin else None
    with _services(args) as services:
        created = _actions(services).create_user(
            args.username, role=args.role, name=args.name, email=args.email, password=password
        )
        user = created.user
    tr = cli_translator()
    print(tr("cli.users.created", role=user.role, username=user.username))
    _show_once(created.generated_password)
    return 0


def _set_role(args: argparse.Namespace) -> int:
    with _services(args) as services:
        _actions(services).set_role(args.username, args.role)
        user = services.users.get_user(args.username)
    tr = cli_translator()
    print(tr("cli.users.role_set", username=user.username, role=user.role))
    return 0


def _disable(args: argparse.Namespace) -> int:
    with _services(args) as services:
        _actions(services).disable(args.username)
        user = services.users.get_user(args.username)
    tr = cli_translator()
    print(tr("cli.users.disabled", username=user.username))
    return 0


def _enable(args: argparse.Namespace) -> int:
    with _services(args) as services:
        _actions(services).enable(args.username)
        user = services.users.get_user(args.username)
    tr = cli_translator()
    print(tr("cli.users.enabled", username=user.username))
    return 0


def _delete(args: argparse.Namespace) -> int:
    with _services(args) as services:
        username = services.users.get_user(args.username).username
        _actions(services).delete(username)
    tr = cli_translator()
    print(tr("cli.users.deleted", username=username))
    return 0


def _unlock(args: argparse.Namespace) -> int:
    with _services(args) as services:
        _actions(services).unlock(args.username)
    tr = cli_translator()
    print(tr("cli.users.unlocked", username=args.username.lower()))
    return 0


def _reset(args: argparse.Namespace) -> int:
    password = _stdin_password() if args.password_stdin else None
    with _services(args) as services:
        username = services.users.get_user(args.username).username
        generated = _actions(services).reset_password(username, password)
    tr = cli_translator()
    print(tr("cli.users.password_changed", username=username))
    _show_once(generated)
    return 0


def _stdin_password() -> str:
    line = sys.stdin.readline()
    return line.removesuffix("\n").removesuffix("\r")


def _show_once(password: str | None) -> None:
    if password is not None:
        tr = cli_translator()
        print(tr("cli.users.generated_password", password=password))


def _as_json(user: User) -> dict[str, object]:
    return {
        "username": user.username,
        "name": user.name,
        "email": user.email,
        "role": user.role,
        "disabled": user.disabled,
        "created_at": user.created_at.isoformat(),
        "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
        "language": user.language,
        "attributes": dict(user.attributes),
    }
