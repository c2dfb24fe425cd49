"""Dashboards: named sets of pinned charts, each a saved SQL statement and a chart spec.

Dashboards belong to the user who created them: only their owner lists, opens, reorders
or changes them (every method takes the owner). A tile keeps the SQL as it was written,
never the guard's output: the dashboard page re-runs it through the guard with the
viewer's current role and policy, so a role change or a new access rule applies at once
and no tile ever carries another role's row filters.

Tables `dashboards` and `dashboard_tiles` are in `appdb.tables`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from appdb.clock import Clock, utc_now
from appdb.schema import TEXT_LIMIT
from appdb.tables import DASHBOARD_NAME_LENGTH, TILE_TITLE_LENGTH, dashboard_tiles, dashboards
from backend.charts import ChartSpec
from backend.charts.spec import spec_from_json, spec_to_json
from backend.domain import Actor
from backend.errors import KeskinubeError
from backend.i18n.message import Message
from backend.sources.model import MAIN

NAME_LENGTH = DASHBOARD_NAME_LENGTH
TITLE_LENGTH = TILE_TITLE_LENGTH


class DashboardError(KeskinubeError):
    """A dashboard or tile can't be found or changed; the message says why."""


@dataclass(frozen=True)
class Dashboard:
    id: int
    owner: str
    name: str
    created_at: datetime


@dataclass(frozen=True)
class Tile:
    """One pinned chart: re-run `sql`, draw `chart`."""

    id: int
    dashboard_id: int
    position: int
    title: str
    question: str
    sql: str
    chart: ChartSpec
    created_at: datetime
    # The data source its SQL runs on (`backend.sources`).
    source: str = MAIN


def access_key(actor: Actor) -> str:
    """What decides which rows `actor` may see: role, policy and attributes, hashed.

    Cache tile results under (SQL, this key): two viewers share a cached result only when
    the guard would give them exactly the same statement.
    """
    policy = actor.policy
    described = {
        "role": actor.role,
        "tables": sorted(policy.allowed_tables) if policy.allowed_tables is not None else None,
        "denied": sorted(list(pair) for pair in policy.denied_columns),
        "filters": sorted([f.table, f.predicate] for f in policy.row_filters),
        "attributes": sorted(list(pair) for pair in actor.attributes),
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:32]


class DashboardStore:
    """Create dashboards, pin, unpin and reorder tiles — always for one owner."""

    def __init__(self, engine: sa.Engine, *, clock: Clock = utc_now) -> None:
        self.engine = engine
        self.clock = clock

    def create(self, owner: str, name: str) -> Dashboard:
        name = _name(name)
        with self.engine.begin() as conn:
            if self._find(conn, owner, name) is not None:
                raise DashboardError(Message.of("engine.dashboards.exists", name=name))
            values = {"owner": owner, "name": name, "created_at": self.clock()}
            new_id = conn.execute(sa.insert(dashboards).values(**values))
            inserted = new_id.inserted_primary_key
            assert inserted is not None  # a single-row INSERT always reports its key
            return self._get(conn, owner, int(inserted[0]))

    def get_or_create(self, owner: str, name: str) -> Dashboard:
        with self.engine.connect() as conn:
            found = self._find(conn, owner, _name(name))
        return found if found is not None else self.create(owner, name)

    def list_for(self, owner: str) -> list[Dashboard]:
        query = sa.select(dashboards).where(dashboards.c.owner == owner).order_by(dashboards.c.name)
        with self.engine.connect() as conn:
            return [_to_dashboard(row) for row in conn.execute(query).mappings()]

    def get(self, owner: str, dashboard_id: int) -> Dashboard:
        with self.engine.connect() as conn:
            return self._get(conn, owner, dashboard_id)

    def delete(self, owner: str, dashboard_id: int) -> None:
        with self.engine.begin() as conn:
            self._get(conn, owner, dashboard_id)
            conn.execute(
                sa.delete(dashboard_tiles).where(dashboard_tiles.c.dashboard_id == dashboard_id)
            )
            conn.execute(sa.delete(dashboards).where(dashboards.c.id == dashboard_id))

    def pin(
        self,
        owner: str,
        dashboard_id: int,
        *,
        question: str,
        sql: str,
        chart: ChartSpec,
        title: str | None = None,
        source: str = MAIN,
    ) -> Tile:
        """Add a chart at the end of the dashboard; its SQL runs on data source `source`."""
        sql = sql.strip()
        if not sql or len(sql) > TEXT_LIMIT:
            raise DashboardError(Message.of("engine.dashboards.needs_sql"))
        shown = re.sub(r"\s+", " ", title or chart.title or question).strip() or "Chart"
        with self.engine.begin() as conn:
            self._get(conn, owner, dashboard_id)
            last = conn.execute(
                sa.select(sa.func.max(dashboard_tiles.c.position)).where(
                    dashboard_tiles.c.dashboard_id == dashboard_id
                )
            ).scalar()
            values = {
                "dashboard_id": dashboard_id,
                "position": (last or 0) + 1,
                "title": shown[:TITLE_LENGTH],
                "question": question[:TEXT_LIMIT],
                "sql": sql,
                "source": source,
                "chart": json.dumps(spec_to_json(chart)),
                "created_at": self.clock(),
            }
            new_id = conn.execute(sa.insert(dashboard_tiles).values(**values))
            inserted = new_id.inserted_primary_key
            assert inserted is not None  # a single-row INSERT always reports its key
            return self._tile(conn, owner, int(inserted[0]))

    def tiles(self, owner: str, dashboard_id: int) -> list[Tile]:
        """The dashboard's tiles in display order."""
        query = (
            sa.select(dashboard_tiles)
            .where(dashboard_tiles.c.dashboard_id == dashboard_id)
            .order_by(dashboard_tiles.c.position, dashboard_tiles.c.id)
        )
        with self.engine.connect() as conn:
            self._get(conn, owner, dashboard_id)
            return [_to_tile(row) for row in conn.execute(query).mappings()]

    def unpin(self, owner: str, tile_id: int) -> None:
        with self.engine.begin() as conn:
            self._tile(conn, owner, tile_id)
            conn.execute(sa.delete(dashboard_tiles).where(dashboard_tiles.c.id == tile_id))

    def move(self, owner: str, tile_id: int, offset: int) -> None:
        """Move a tile `offset` places (-1: up/left, +1: down/right); clamped at the ends."""
        with self.engine.begin() as conn:
            tile = self._tile(conn, owner, tile_id)
            ids = list(
                conn.execute(
                    sa.select(dashboard_tiles.c.id)
                    .where(dashboard_tiles.c.dashboard_id == tile.dashboard_id)
                    .order_by(dashboard_tiles.c.position, dashboard_tiles.c.id)
                ).scalars()
            )
            old = ids.index(tile_id)
            ids.insert(max(0, min(len(ids) - 1, old + offset)), ids.pop(old))
            for position, other in enumerate(ids, start=1):
                conn.execute(
                    sa.update(dashboard_tiles)
                    .where(dashboard_tiles.c.id == other)
                    .values(position=position)
                )

    # -- helpers -------------------------------------------------------------------------

    def _find(self, conn: sa.Connection, owner: str, name: str) -> Dashboard | None:
        query = sa.select(dashboards).where(dashboards.c.owner == owner, dashboards.c.name == name)
        row = conn.execute(query).mappings().first()
        return None if row is None else _to_dashboard(row)

    def _get(self, conn: sa.Connection, owner: str, dashboard_id: int) -> Dashboard:
        query = sa.select(dashboards).where(
            dashboards.c.id == dashboard_id, dashboards.c.owner == owner
        )
        row = conn.execute(query).mappings().first()
        if row is None:
            raise DashboardError(Message.of("engine.dashboards.gone"))
        return _to_dashboard(row)

    def _tile(self, conn: sa.Connection, owner: str, tile_id: int) -> Tile:
        query = (
            sa.select(dashboard_tiles)
            .join(dashboards, dashboards.c.id == dashboard_tiles.c.dashboard_id)
            .where(dashboard_tiles.c.id == tile_id, dashboards.c.owner == owner)
        )
        row = conn.execute(query).mappings().first()
        if row is None:
            raise DashboardError(Message.of("engine.dashboards.tile_gone"))
        return _to_tile(row)


def _name(name: str) -> str:
    cleaned = re.sub(r"\s+", " ", name).strip()
    if not cleaned:
        raise DashboardError(Message.of("engine.dashboards.name_required"))
    if len(cleaned) > NAME_LENGTH:
        raise DashboardError(Message.of("engine.dashboards.name_too_long", limit=NAME_LENGTH))
    return cleaned


def _to_dashboard(row: sa.RowMapping) -> Dashboard:
    return Dashboard(int(row["id"]), row["owner"], row["name"], row["created_at"])


def _to_tile(row: sa.RowMapping) -> Tile:
    chart = spec_from_json(json.loads(row["chart"])) or ChartSpec("table", title=row["title"])
    return Tile(
        id=int(row["id"]),
        dashboard_id=int(row["dashboard_id"]),
        position=int(row["position"]),
        title=row["title"],
        question=row["question"],
        sql=row["sql"],
        chart=chart,
        created_at=row["created_at"],
        source=row["source"],
    )
