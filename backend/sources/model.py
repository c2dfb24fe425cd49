"""A data source: one business database Keskinube answers questions about.

`main` is the source DATABASE_URL defines (the embedded demo when unset); admins add more
in the app (`backend.sources.store`). A source's `name` is what rules, conversations and
tiles refer to; its `index_key` names its index, knowledge and cache, so that sources
never share them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal, get_args

import sqlalchemy as sa

from appdb.tables import MAIN_SOURCE
from backend.errors import KeskinubeError
from backend.i18n.message import Message

MAIN = MAIN_SOURCE  # the one spelling, shared with the app tables
Kind = Literal["mysql", "postgresql", "sqlite"]
KINDS: tuple[Kind, ...] = get_args(Kind)
# The SQLAlchemy driver of each kind (the ones requirements.txt installs).
DRIVERS: dict[Kind, str] = {
    "mysql": "mysql+pymysql",
    "postgresql": "postgresql+psycopg",
    "sqlite": "sqlite",
}
DEFAULT_PORTS: dict[Kind, int] = {"mysql": 3306, "postgresql": 5432}
NAME_LENGTH = 40
# Lower-case, starts with a letter: it is part of collection names and URLs of the API.
_NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}")
DESCRIPTION_LIMIT = 300


class InvalidSource(KeskinubeError):
    """A data source's settings are incomplete or malformed; the message says which."""


class UnknownSource(KeskinubeError):
    """No data source has that name (or the caller may not use it: the same answer)."""


@dataclass(frozen=True)
class DataSource:
    """Where one business database is and how to reach it, without its password."""

    name: str
    kind: Kind
    database: str  # the database's name, or the SQLite file
    host: str = ""
    port: int | None = None
    username: str = ""
    description: str = ""
    # PostgreSQL: `schema`, the schema questions are asked of (default: the search path).
    options: tuple[tuple[str, str], ...] = ()
    has_password: bool = False
    # True for `main`: defined by DATABASE_URL, not editable in the app.
    from_settings: bool = False
    updated_at: datetime | None = field(default=None, compare=False)
    # `main` only: the URL DATABASE_URL gave (its password stays inside it).
    settings_url: str | None = field(default=None, repr=False, compare=False)

    @property
    def index_key(self) -> str:
        """The name its index, knowledge, examples and answer cache are kept under."""
        if self.from_settings and self.settings_url is not None:
            return database_key(self.settings_url)
        return f"src_{self.name.replace('-', '_')}"

    def option(self, key: str) -> str | None:
        return dict(self.options).get(key)

    def url(self, password: str | None = None) -> sa.URL:
        """The SQLAlchemy URL, with `password` when given (never logged: URL hides it)."""
        if self.settings_url is not None:
            return sa.make_url(self.settings_url)
        if self.kind == "sqlite":
            return sa.URL.create(DRIVERS["sqlite"], database=self.database)
        query = {}
        schema = self.option("schema")
        if self.kind == "postgresql" and schema:
            query["options"] = f"-csearch_path={schema}"
        return sa.URL.create(
            DRIVERS[self.kind],
            username=self.username or None,
            password=password or None,
            host=self.host or None,
            port=self.port,
            database=self.database or None,
            query=query,
        )

    def where(self) -> str:
        """Where it is, for people: `host:port/db`, or the file (no user, no password)."""
        if self.kind == "sqlite":
            return self.database
        port = f":{self.port}" if self.port else ""
        return f"{self.host or 'localhost'}{port}/{self.database}"


def main_source(url: str, *, description: str = "") -> DataSource:
    """The source DATABASE_URL defines."""
    parsed = sa.make_url(url)
    backend = parsed.get_backend_name()
    kind: Kind = backend if backend in KINDS else "mysql"
    return DataSource(
        name=MAIN,
        kind=kind,
        database=parsed.database or "",
        host=parsed.host or "",
        port=parsed.port,
        username=parsed.username or "",
        description=description,
        has_password=bool(parsed.password),
        from_settings=True,
        settings_url=url,
    )


def database_key(url: str | sa.URL) -> str:
    """A stable, readable identity of a business database, used to name collections."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        name = Path(parsed.database or "memory").stem
    else:
        name = f"{parsed.host or 'localhost'}_{parsed.port or ''}_{parsed.database or ''}"
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "default"


def valid_name(name: str) -> str:
    """A new source's name: lower-case letters, digits, `-` and `_`; not `main`."""
    cleaned = name.strip().lower()
    if not _NAME.fullmatch(cleaned):
        raise InvalidSource(Message.of("sources.bad_name", name=name))
    if cleaned == MAIN:
        raise InvalidSource(Message.of("sources.reserved_name", name=MAIN))
    return cleaned


def validated(source: DataSource) -> DataSource:
    """`source` with its fields trimmed, or InvalidSource naming what is wrong."""
    if source.kind not in KINDS:
        raise InvalidSource(
            Message.of("sources.bad_kind", kind=source.kind, kinds=", ".join(KINDS))
        )
    database = source.database.strip()
    if not database:
        raise InvalidSource(Message.of("sources.no_database"))
    host = source.host.strip()
    port = source.port
    if source.kind != "sqlite":
        if not host:
            raise InvalidSource(Message.of("sources.no_host"))
        if port is not None and not 0 < port < 65536:
            raise InvalidSource(Message.of("sources.bad_port", port=port))
        port = port or DEFAULT_PORTS[source.kind]
    else:
        host, port = "", None
    description = " ".join(source.description.split())
    if len(description) > DESCRIPTION_LIMIT:
        raise InvalidSource(Message.of("sources.description_too_long", limit=DESCRIPTION_LIMIT))
    options = tuple(sorted((k, v.strip()) for k, v in source.options if v.strip()))
    for key, value in options:
        if key != "schema" or source.kind != "postgresql":
            raise InvalidSource(Message.of("sources.bad_option", option=key))
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]{0,62}", value):
            raise InvalidSource(Message.of("sources.bad_schema", schema=value))
    return DataSource(
        name=valid_name(source.name),
        kind=source.kind,
        database=database,
        host=host,
        port=port,
        username=source.username.strip(),
        description=description,
        options=options,
        has_password=source.has_password,
    )
