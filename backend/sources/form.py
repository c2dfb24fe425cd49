"""A data source's add/edit form as plain values: what an admin typed, turned into a
checked `DataSource`, and a stored source turned back into the values that fill the form.

The form shows only the fields of the chosen kind (no host, port or user for SQLite; a
schema for PostgreSQL only); what a hidden field still holds is dropped here, so that a
source switched from MySQL to SQLite keeps no stale host.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.sources.model import DEFAULT_PORTS, DataSource, Kind, validated


@dataclass(frozen=True)
class SourceForm:
    """The form's fields; `port=None` means the kind's default port."""

    name: str = ""
    kind: Kind = "postgresql"
    host: str = ""
    port: int | None = None
    database: str = ""
    username: str = ""
    schema: str = ""
    description: str = ""

    @classmethod
    def of(cls, source: DataSource) -> SourceForm:
        """The values that fill the edit form of `source`."""
        return cls(
            name=source.name,
            kind=source.kind,
            host=source.host,
            port=source.port,
            database=source.database,
            username=source.username,
            schema=source.option("schema") or "",
            description=source.description,
        )

    def default_port(self) -> int | None:
        """The port to show: the typed one, else the kind's default (None for SQLite)."""
        if self.kind == "sqlite":
            return None
        return self.port or DEFAULT_PORTS[self.kind]

    def to_source(self) -> DataSource:
        """The source these values describe, trimmed and checked (`InvalidSource` says
        which field is wrong)."""
        networked = self.kind != "sqlite"
        schema = self.schema.strip() if self.kind == "postgresql" else ""
        return validated(
            DataSource(
                name=self.name,
                kind=self.kind,
                database=self.database,
                host=self.host if networked else "",
                port=self.port if networked else None,
                username=self.username if networked else "",
                description=self.description,
                options=(("schema", schema),) if schema else (),
            )
        )
