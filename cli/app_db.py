"""The auth services on the app database, opened for one command and closed after it.

`--app-db URL` (when given) wins over `APP_DATABASE_URL`; the database is migrated to
head and seeded on opening, like the app does (`auth.services.open_auth`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auth.services import AuthServices


@contextmanager
def opened_auth(app_db: str | None) -> Iterator[AuthServices]:
    """The auth services on `app_db`, else on the settings' app database."""
    from auth.services import open_auth
    from backend.config import get_settings

    services = open_auth(app_db or get_settings().app_db_url)
    try:
        yield services
    finally:
        services.close()


def app_db_command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    help_text: str,
    handler: Callable[[argparse.Namespace], int],
) -> argparse.ArgumentParser:
    """A subcommand that works on the app database: `--app-db URL`, and its handler."""
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text)
    parser.add_argument("--app-db", metavar="URL", help="app database (default: APP_DATABASE_URL)")
    parser.set_defaults(handler=handler)
    return parser
