"""The app database's record of schema drift checks: `SchemaCheckStore`.

A check compares the business database's structure with what is indexed
(`backend.schema_drift`). Rows are *states*, not checks: a check that sees the same pair
of fingerprints as the last row only moves that row's `checked_at` on, so a check every
few minutes adds a row only when something changed (the database, or the index). Several
app processes may check the same database: the one that finds the last check recent
enough (`due`) skips its own. Times are naive UTC (`appdb.clock`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from appdb.clock import Clock, utc_now
from appdb.schema import USERNAME_LENGTH
from appdb.tables import schema_checks
from backend.schema_drift import SchemaChange

checks = schema_checks.c


@dataclass(frozen=True)
class SchemaCheck:
    """One state of the schema against its index: since `at`, last seen at `checked_at`."""

    id: int
    database: str
    at: datetime
    checked_at: datetime
    live_fingerprint: str
    indexed_fingerprint: str
    changes: tuple[SchemaChange, ...]
    reindexed_by: str | None = None

    @property
    def in_sync(self) -> bool:
        return not self.changes


class SchemaCheckStore:
    """Records what each drift check saw, and reads it back for the page and the CLI."""

    def __init__(self, engine: sa.Engine, *, clock: Clock = utc_now) -> None:
        self.engine = engine
        self.clock = clock

    def record(
        self,
        database: str,
        *,
        live: str,
        indexed: str,
        changes: list[SchemaChange],
        reindexed_by: str | None = None,
    ) -> SchemaCheck:
        """Keep what a check saw; a new row only when a fingerprint changed (or a re-index
        by `reindexed_by` is to be told), else the last row is seen again."""
        now = self.clock()
        with self.engine.begin() as conn:
            last = _latest(conn, database)
            same = last is not None and (last.live_fingerprint, last.indexed_fingerprint) == (
                live,
                indexed,
            )
            if last is not None and same and reindexed_by is None:
                conn.execute(
                    sa.update(schema_checks).where(checks.id == last.id).values(checked_at=now)
                )
                return _latest(conn, database) or last
            values = {
                "database": database,
                "at": now,
                "checked_at": now,
                "live_fingerprint": live,
                "indexed_fingerprint": indexed,
                "change_count": len(changes),
                "changes": json.dumps([c.to_json() for c in changes], ensure_ascii=False),
                "reindexed_by": reindexed_by[:USERNAME_LENGTH] if reindexed_by else None,
            }
            conn.execute(sa.insert(schema_checks).values(**values))
            found = _latest(conn, database)
        assert found is not None
        return found

    def latest(self, database: str | None = None) -> SchemaCheck | None:
        """The last state seen (of `database`, or of any database); None before any check."""
        with self.engine.connect() as conn:
            return _latest(conn, database)

    def history(self, database: str | None = None, *, limit: int = 20) -> list[SchemaCheck]:
        """The last `limit` states, newest first."""
        query = sa.select(schema_checks).order_by(checks.at.desc(), checks.id.desc()).limit(limit)
        if database is not None:
            query = query.where(checks.database == database)
        with self.engine.connect() as conn:
            return [_check(row) for row in conn.execute(query).mappings()]

    def due(self, database: str, every: timedelta) -> bool:
        """Whether no check of `database` was made in the last `every` (by any process)."""
        last = self.latest(database)
        return last is None or self.clock() - last.checked_at >= every


def _latest(conn: sa.Connection, database: str | None) -> SchemaCheck | None:
    query = sa.select(schema_checks).order_by(checks.at.desc(), checks.id.desc()).limit(1)
    if database is not None:
        query = query.where(checks.database == database)
    row = conn.execute(query).mappings().first()
    return None if row is None else _check(row)


def _check(row: sa.RowMapping) -> SchemaCheck:
    stored = json.loads(row["changes"] or "[]")
    return SchemaCheck(
        id=int(row["id"]),
        database=str(row["database"]),
        at=row["at"],
        checked_at=row["checked_at"],
        live_fingerprint=str(row["live_fingerprint"]),
        indexed_fingerprint=str(row["indexed_fingerprint"]),
        changes=tuple(SchemaChange.from_json(c) for c in stored),
        reindexed_by=row["reindexed_by"],
    )
