"""`keskinube sources ...`: the data sources admins add, from the terminal.

Sources are kept in the app database of `APP_DATABASE_URL` (or `--app-db URL`), their
passwords encrypted with SOURCES_KEY, as the app keeps them. `add` reads the password
from standard input only (`--password-stdin`; an argument would stay in the shell's
history and the process list), tests the source first and saves nothing it cannot connect
to unless `--force`; an account that can do more than read is saved with a warning and
the statements that would make it read-only. `test` exits 1 when it cannot connect.
Nothing printed ever holds a password.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from backend.errors import KeskinubeError
from backend.i18n.message import Message
from backend.sources.model import KINDS
from cli.app_db import app_db_command
from cli.columns import print_columns
from cli.language import cli_translator
from cli.users import CLI_ACTOR

if TYPE_CHECKING:
    from auth.policies import PolicyStore
    from backend.config import Settings
    from backend.i18n import Translator
    from backend.sources import DataSource
    from backend.sources.check import SourceCheck
    from backend.sources.store import SourceStore

TIMEOUT_S = 5.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sources = subparsers.add_parser("sources", help="manage the data sources questions go to")
    sub = sources.add_subparsers(dest="sources_command", required=True, metavar="COMMAND")

    listing = app_db_command(sub, "list", "list data sources (never their passwords)", _list)
    listing.add_argument("--json", action="store_true", help="print a JSON array")

    add = app_db_command(sub, "add", "test a data source and save it", _add)
    add.add_argument("--name", required=True, help="lower-case name, e.g. sales")
    add.add_argument("--kind", required=True, choices=KINDS)
    add.add_argument("--host", default="", help="server host (not for sqlite)")
    add.add_argument("--port", type=int, help="server port (default: the kind's)")
    add.add_argument("--database", required=True, help="database name, or the SQLite file")
    add.add_argument("--user", default="", help="the account Keskinube connects as")
    add.add_argument("--schema", help="PostgreSQL: the schema to answer from")
    add.add_argument("--description", default="", help="one sentence for the users")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    add.add_argument(
        "--allow-role",
        action="append",
        default=[],
        metavar="ROLE",
        help="let this role use the source (repeatable; admins use every source)",
    )
    add.add_argument("--force", action="store_true", help="save even if it cannot connect")

    for name, help_text, handler in (
        ("test", "connect and show what the account may do", _test),
        ("remove", "remove a data source and its access rules", _remove),
    ):
        app_db_command(sub, name, help_text, handler).add_argument("name")

    reindex = app_db_command(sub, "reindex", "index a data source's schema", _reindex)
    reindex.add_argument("name")
    reindex.add_argument("--no-progress", action="store_true", help="no progress bar")


@contextmanager
def _opened(args: argparse.Namespace) -> Iterator[tuple[Settings, SourceStore, PolicyStore]]:
    """The settings (with `--app-db`), the stored sources and the access rules."""
    from appdb.engine import create_app_engine
    from auth.policies import PolicyStore
    from backend.config import get_settings
    from wiring.sources import source_store

    settings = get_settings()
    if args.app_db:
        settings = settings.model_copy(update={"app_database_url": args.app_db})
    engine = create_app_engine(settings.app_db_url)
    try:
        yield settings, source_store(settings, engine), PolicyStore(engine)
    finally:
        engine.dispose()


def _list(args: argparse.Namespace) -> int:
    from auth.roles import ROLES
    from backend.sources import main_source

    with _opened(args) as (settings, store, policies):
        sources = [main_source(settings.business_database_url), *store.list()]
        roles = {s.name: [r for r in ROLES if policies.may_use(r, s.name)] for s in sources}
    if args.json:
        print(json.dumps([_as_json(s, roles[s.name]) for s in sources], indent=2))
        return 0
    tr = cli_translator()
    headers = ("name", "kind", "where", "description", "roles")
    rows = [tuple(tr(f"cli.sources.list.{header}") for header in headers)]
    rows += [(s.name, s.kind, s.where(), s.description, ", ".join(roles[s.name])) for s in sources]
    print_columns(rows)
    return 0


def _add(args: argparse.Namespace) -> int:
    from auth.roles import is_role
    from backend.sources import DataSource
    from backend.sources.check import check_source
    from backend.sources.model import validated
    from wiring.sources import check_not_app_database

    for role in args.allow_role:
        if not is_role(role):
            raise KeskinubeError(Message.of("cli.unknown_role", role=role))
    password = _stdin_password() if args.password_stdin else None
    source = validated(
        DataSource(
            name=args.name,
            kind=args.kind,
            database=args.database,
            host=args.host,
            port=args.port,
            username=args.user,
            description=args.description,
            options=(("schema", args.schema),) if args.schema else (),
        )
    )
    tr = cli_translator()
    with _opened(args) as (settings, store, policies):
        check_not_app_database(settings, source)
        check = check_source(source, password, timeout_s=TIMEOUT_S)
        if check.error is not None and not args.force:
            print(tr("cli.sources.cannot_connect", error=_text(check.error)), file=sys.stderr)
            print(tr("cli.sources.not_saved"), file=sys.stderr)
            return 1
        saved = store.add(source, password, by=CLI_ACTOR)
        for role in args.allow_role:
            policies.set_source_allowed(role, saved.name, True, by=CLI_ACTOR)
    _print_check(tr, check)
    print(tr("cli.sources.added", name=saved.name, kind=saved.kind, where=saved.where()))
    for role in args.allow_role:
        print(tr("cli.sources.role_allowed", role=role, name=saved.name))
    return 0


def _test(args: argparse.Namespace) -> int:
    from backend.sources import MAIN, main_source
    from backend.sources.check import check_source

    with _opened(args) as (settings, store, _):
        if args.name == MAIN:
            source, password = main_source(settings.business_database_url), None
        else:
            source, password = store.get(args.name), store.password(args.name)
    check = check_source(source, password, timeout_s=TIMEOUT_S)
    tr = cli_translator()
    _print_check(tr, check)
    return 0 if check.connected else 1


def _remove(args: argparse.Namespace) -> int:
    from backend.errors import KeskinubeError
    from wiring.sources import SourceRegistry

    tr = cli_translator()
    with _opened(args) as (settings, store, _policies):
        source = store.get(args.name)
        store.remove(source.name)
        print(tr("cli.sources.removed", name=source.name))
        try:  # its index too, when Qdrant is free (the app may hold an embedded one)
            registry = SourceRegistry(settings, store)
        except KeskinubeError:
            print(tr("cli.sources.index_kept", name=source.name), file=sys.stderr)
            return 0
        try:
            registry.drop_index(source)
        finally:
            registry.close()
    return 0


def _reindex(args: argparse.Namespace) -> int:
    from cli.engine_cmds import index_with_bar
    from wiring.sources import SourceRegistry

    with _opened(args) as (settings, store, _):
        registry = SourceRegistry(settings, store)
        try:
            stats = index_with_bar(registry.services(args.name), no_progress=args.no_progress)
        finally:
            registry.close()
    tr = cli_translator()
    print(tr("cli.index.done", database=args.name, **stats.counts()))
    return 0


def _print_check(tr: Translator, check: SourceCheck) -> None:
    """What a test found: the error (stderr), the tables, and any write privileges with the
    advice (stderr: a warning)."""
    if check.error is not None:
        print(tr("cli.sources.cannot_connect", error=_text(check.error)), file=sys.stderr)
        return
    print(tr.count("cli.sources.tables", check.tables))
    if check.read_only:
        print(tr("cli.sources.read_only"))
        return
    print(tr("cli.sources.can_write"), file=sys.stderr)
    for privilege in check.write_privileges:
        print(f"  - {privilege}", file=sys.stderr)
    if check.advice:
        print(tr("cli.sources.advice"), file=sys.stderr)
        print(check.advice, file=sys.stderr)


def _stdin_password() -> str | None:
    line = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    return line or None


def _text(message: Message) -> str:
    return message.render(cli_translator().language)


def _as_json(source: DataSource, roles: list[str]) -> dict[str, object]:
    return {
        "name": source.name,
        "kind": source.kind,
        "where": source.where(),
        "username": source.username,
        "description": source.description,
        "options": dict(source.options),
        "has_password": source.has_password,
        "from_settings": source.from_settings,
        "roles": roles,
    }
