"""`--db URL` or `--source NAME`: which business database a command works on.

`--db` names a database by its URL (as DATABASE_URL does); `--source` one of the data
sources admins added in the app (`keskinube sources list`), reached with its stored,
decrypted password. Neither: `main`, DATABASE_URL's.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports the heavy parts only when a command runs
    from wiring.services import Services

MAIN = "main"  # `backend.sources.MAIN`, without importing it for `--help`


def add_database_options(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--db", metavar="URL", help="business database (default: DATABASE_URL)")
    which.add_argument(
        "--source", metavar="NAME", help="a data source added in the app (default: main)"
    )


@contextmanager
def opened_services(args: argparse.Namespace) -> Iterator[Services]:
    """The services on the database `args` names, closed afterwards."""
    from backend.config import get_settings
    from wiring.services import build_services
    from wiring.sources import SourceRegistry, source_store

    settings = get_settings()
    name = getattr(args, "source", None)
    if name is None or (name == MAIN and getattr(args, "db", None) is None):
        services = build_services(settings, database_url=getattr(args, "db", None))
        try:
            yield services
        finally:
            services.close()
        return
    registry = SourceRegistry(settings, source_store(settings))
    try:
        yield registry.services(name)
    finally:
        registry.close()


def index_key(args: argparse.Namespace) -> str:
    """The name `args`' database's index and knowledge are kept under, without
    connecting to it."""
    from backend.config import get_settings
    from backend.sources import database_key
    from wiring.sources import source_store

    settings = get_settings()
    name = getattr(args, "source", None)
    if name is None or name == MAIN:
        return database_key(getattr(args, "db", None) or settings.business_database_url)
    return source_store(settings).get(name).index_key
