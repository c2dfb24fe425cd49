"""`keskinube tokens ...`: personal API tokens from the terminal.

Every command uses the app database of `APP_DATABASE_URL` (or `--app-db URL`). `create`
prints the new token alone on standard output, once (`TOKEN=$(keskinube tokens create
...)` works), and what it did on standard error. Creating is recorded in the audit log as
an action of "cli", like `keskinube users`; revoking as one of the `--by` account, whose
right to revoke is the page's: the token's owner, or any admin (anyone else is told the
token does not exist).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING

from cli.app_db import app_db_command, opened_auth
from cli.columns import print_columns
from cli.language import cli_translator
from cli.users import CLI_ACTOR

if TYPE_CHECKING:
    from auth.tokens import ApiToken


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tokens = subparsers.add_parser("tokens", help="manage personal API tokens")
    sub = tokens.add_subparsers(dest="tokens_command", required=True, metavar="COMMAND")

    create = app_db_command(sub, "create", "create a token (prints it once)", _create)
    create.add_argument("--user", required=True, help="the account the token acts as")
    create.add_argument("--name", required=True, help="what the token is for")
    create.add_argument("--days", type=int, help="days until it expires (default: never)")

    listing = app_db_command(sub, "list", "list tokens (never their secrets)", _list)
    listing.add_argument("--user", help="only this account's tokens")
    listing.add_argument("--json", action="store_true", help="print a JSON array")

    revoke = app_db_command(sub, "revoke", "revoke a token at once", _revoke)
    revoke.add_argument("id", type=int, help="the token's ID (see `tokens list`)")
    revoke.add_argument("--by", required=True, help="who revokes: an admin or the owner")


def _create(args: argparse.Namespace) -> int:
    from auth.token_actions import create_token

    with opened_auth(args.app_db) as services:
        created = create_token(services, args.user, args.name, days=args.days, by=CLI_ACTOR)
    token = created.token
    tr = cli_translator()
    expires = _when(token.expires_at)
    line = tr(
        "cli.tokens.created",
        name=token.name,
        prefix=token.prefix,
        username=token.username,
        expires=expires,
    )
    print(line, file=sys.stderr)
    print(tr("cli.tokens.shown_once"), file=sys.stderr)
    print(created.secret)
    return 0


def _list(args: argparse.Namespace) -> int:
    with opened_auth(args.app_db) as services:
        if args.user:
            tokens = services.tokens.list_for(services.users.get_user(args.user).username)
        else:
            tokens = services.tokens.list_all()
        now = services.tokens.clock()
    if args.json:
        print(json.dumps([_as_json(token, now) for token in tokens], indent=2))
        return 0
    tr = cli_translator()
    headers = ("id", "username", "name", "prefix", "created", "expires", "last_used", "status")
    rows = [tuple(tr(f"cli.tokens.list.{header}") for header in headers)]
    rows += [
        (
            str(t.id),
            t.username,
            t.name,
            f"{t.prefix}…",
            _when(t.created_at),
            _when(t.expires_at),
            _when(t.last_used_at),
            tr(f"cli.tokens.status.{t.status(now)}"),
        )
        for t in tokens
    ]
    print_columns(rows)
    return 0


def _revoke(args: argparse.Namespace) -> int:
    from auth.token_actions import revoke_token

    with opened_auth(args.app_db) as services:
        by = services.users.get_user(args.by)
        token = revoke_token(services, args.id, by=by)
    tr = cli_translator()
    print(tr("cli.tokens.revoked", name=token.name, prefix=token.prefix, username=token.username))
    return 0


def _when(moment: datetime | None) -> str:
    return cli_translator()("cli.tokens.never") if moment is None else f"{moment:%Y-%m-%d %H:%M}"


def _as_json(token: ApiToken, now: datetime) -> dict[str, object]:
    def iso(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "id": token.id,
        "username": token.username,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": iso(token.created_at),
        "expires_at": iso(token.expires_at),
        "last_used_at": iso(token.last_used_at),
        "revoked_at": iso(token.revoked_at),
        "revoked_by": token.revoked_by,
        "status": token.status(now),
    }
