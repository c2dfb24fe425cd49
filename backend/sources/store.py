"""The data sources admins added, kept in the app database (`appdb.tables.data_sources`).

Passwords go in encrypted (`SecretBox`) and come out only through `password`, for the one
place that connects (`wiring.sources`); listing never decrypts anything.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from appdb.clock import Clock, utc_now
from appdb.tables import data_sources, role_policies, row_filters
from backend.i18n.message import Message
from backend.sources.model import MAIN, DataSource, InvalidSource, UnknownSource, validated
from backend.sources.secrets import SecretBox


class SourceStore:
    """Adds, edits, lists and removes the stored data sources."""

    def __init__(self, engine: sa.Engine, box: SecretBox, *, clock: Clock = utc_now) -> None:
        self.engine = engine
        self.box = box
        self.clock = clock

    def list(self) -> list[DataSource]:
        query = sa.select(data_sources).order_by(data_sources.c.name)
        with self.engine.connect() as conn:
            return [_to_source(row) for row in conn.execute(query).mappings()]

    def get(self, name: str) -> DataSource:
        row = self._row(name)
        if row is None:
            raise UnknownSource(Message.of("sources.unknown", name=name))
        return _to_source(row)

    def password(self, name: str) -> str | None:
        """The decrypted password of `name`; None when it has none."""
        row = self._row(name)
        if row is None:
            raise UnknownSource(Message.of("sources.unknown", name=name))
        token = row["password_encrypted"]
        return None if token is None else self.box.decrypt(token, source=name)

    def add(self, source: DataSource, password: str | None, *, by: str | None = None) -> DataSource:
        clean = validated(source)
        now = self.clock()
        values = {
            **_columns(clean),
            "password_encrypted": self._encrypted(password),
            "created_at": now,
            "created_by": by,
            "updated_at": now,
            "updated_by": by,
        }
        with self.engine.begin() as conn:
            if conn.execute(sa.select(data_sources.c.name).where(_named(clean.name))).first():
                raise InvalidSource(Message.of("sources.exists", name=clean.name))
            conn.execute(sa.insert(data_sources).values(**values))
        return self.get(clean.name)

    def update(
        self,
        source: DataSource,
        *,
        password: str | None = None,
        clear_password: bool = False,
        by: str | None = None,
    ) -> DataSource:
        """Save `source`'s settings; the password changes only when one is given (an
        edit form never shows it) or `clear_password` removes it."""
        clean = validated(source)
        values: dict[str, Any] = {**_columns(clean), "updated_at": self.clock(), "updated_by": by}
        if password or clear_password:
            values["password_encrypted"] = self._encrypted(password)
        with self.engine.begin() as conn:
            changed = conn.execute(
                sa.update(data_sources).where(_named(clean.name)).values(**values)
            )
        if not changed.rowcount:
            raise UnknownSource(Message.of("sources.unknown", name=source.name))
        return self.get(clean.name)

    def remove(self, name: str) -> None:
        """Delete `name` and its access rules; its conversations and tiles stay, unusable."""
        if name == MAIN:
            raise InvalidSource(Message.of("sources.main_not_stored"))
        with self.engine.begin() as conn:
            deleted = conn.execute(sa.delete(data_sources).where(_named(name)))
            if not deleted.rowcount:
                raise UnknownSource(Message.of("sources.unknown", name=name))
            conn.execute(sa.delete(role_policies).where(role_policies.c.source == name))
            conn.execute(sa.delete(row_filters).where(row_filters.c.source == name))

    def _encrypted(self, password: str | None) -> str | None:
        return self.box.encrypt(password) if password else None

    def _row(self, name: str) -> sa.RowMapping | None:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(data_sources).where(_named(name))).mappings().first()


def _named(name: str) -> sa.ColumnElement[bool]:
    return data_sources.c.name == name.strip().lower()


def _columns(source: DataSource) -> dict[str, Any]:
    return {
        "name": source.name,
        "kind": source.kind,
        "host": source.host,
        "port": source.port,
        "database_name": source.database,
        "username": source.username,
        "options": dict(source.options) or None,
        "description": source.description or None,
    }


def _to_source(row: sa.RowMapping) -> DataSource:
    source = DataSource(
        name=row["name"],
        kind=row["kind"],
        database=row["database_name"],
        host=row["host"],
        port=row["port"],
        username=row["username"],
        description=row["description"] or "",
        options=tuple(sorted((row["options"] or {}).items())),
        has_password=row["password_encrypted"] is not None,
    )
    return replace(source, updated_at=row["updated_at"])
