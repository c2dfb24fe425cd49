"""The dashboard store on SQLite and MariaDB: pin, unpin, reorder; owned by their creator."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.charts import ChartSpec
from backend.dashboards import DashboardError, DashboardStore, access_key
from backend.domain import AccessPolicy, Actor, RowFilter
from tests.support.auth_fixtures import ManualClock

BAR = ChartSpec("bar", x="country", y="revenue", title="Revenue by country", reason="r")


@pytest.fixture
def store(app_engine: sa.Engine, clock: ManualClock) -> DashboardStore:
    return DashboardStore(app_engine, clock=clock)


def pin(store: DashboardStore, dashboard_id: int, n: int, owner: str = "meg") -> int:
    tile = store.pin(
        owner,
        dashboard_id,
        question=f"question {n}",
        sql=f"SELECT {n} AS n",
        chart=BAR,
        title=f"Chart {n}",
    )
    return tile.id


def test_pin_keeps_sql_chart_and_order(store: DashboardStore) -> None:
    board = store.create("meg", "Sales")
    first = store.pin("meg", board.id, question="Revenue by country?", sql=" SELECT 1 ", chart=BAR)
    pin(store, board.id, 2)
    tiles = store.tiles("meg", board.id)
    assert tiles[0].id == first.id
    assert [t.position for t in tiles] == [1, 2]
    assert tiles[0].sql == "SELECT 1" and tiles[0].chart == BAR
    assert tiles[0].title == "Revenue by country" and tiles[0].question == "Revenue by country?"


def test_unpin_removes_only_that_chart(store: DashboardStore) -> None:
    board = store.create("meg", "Sales")
    ids = [pin(store, board.id, n) for n in range(3)]
    store.unpin("meg", ids[1])
    assert [t.id for t in store.tiles("meg", board.id)] == [ids[0], ids[2]]
    with pytest.raises(DashboardError):
        store.unpin("meg", ids[1])


def test_move_swaps_neighbours_and_stops_at_the_ends(store: DashboardStore) -> None:
    board = store.create("meg", "Sales")
    a, b, c = (pin(store, board.id, n) for n in range(3))
    store.move("meg", c, -1)
    assert [t.id for t in store.tiles("meg", board.id)] == [a, c, b]
    store.move("meg", a, -1)  # already first
    store.move("meg", b, +1)  # already last
    assert [t.id for t in store.tiles("meg", board.id)] == [a, c, b]
    store.move("meg", a, +1)
    assert [t.id for t in store.tiles("meg", board.id)] == [c, a, b]
    store.unpin("meg", a)
    store.move("meg", b, -1)
    assert [t.id for t in store.tiles("meg", board.id)] == [b, c]


def test_names_are_unique_per_owner(store: DashboardStore) -> None:
    board = store.create("meg", " Sales  overview ")
    assert board.name == "Sales overview"
    with pytest.raises(DashboardError, match="already have"):
        store.create("meg", "Sales overview")
    assert store.get_or_create("meg", "Sales overview").id == board.id
    assert store.create("max", "Sales overview").id != board.id
    with pytest.raises(DashboardError):
        store.create("meg", "  ")
    assert [d.name for d in store.list_for("meg")] == ["Sales overview"]


def test_dashboards_belong_to_their_creator(store: DashboardStore) -> None:
    board = store.create("meg", "Sales")
    tile = pin(store, board.id, 1)
    assert store.list_for("max") == []
    for attempt in (
        lambda: store.get("max", board.id),
        lambda: store.tiles("max", board.id),
        lambda: pin(store, board.id, 2, owner="max"),
        lambda: store.unpin("max", tile),
        lambda: store.move("max", tile, 1),
        lambda: store.delete("max", board.id),
    ):
        with pytest.raises(DashboardError):
            attempt()
    assert len(store.tiles("meg", board.id)) == 1


def test_delete_removes_the_dashboard_and_its_tiles(
    store: DashboardStore, app_engine: sa.Engine
) -> None:
    board = store.create("meg", "Sales")
    pin(store, board.id, 1)
    store.delete("meg", board.id)
    assert store.list_for("meg") == []
    with app_engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM dashboard_tiles").scalar() == 0


def test_pin_needs_sql(store: DashboardStore) -> None:
    board = store.create("meg", "Sales")
    with pytest.raises(DashboardError, match="SQL"):
        store.pin("meg", board.id, question="q", sql="  ", chart=BAR)


def test_access_key_separates_anything_that_changes_the_rows() -> None:
    manager = Actor("meg", "manager")
    assert access_key(manager) == access_key(Actor("max", "manager"))  # same role, same rows
    others = [
        Actor("meg", "analyst"),
        Actor("meg", "manager", AccessPolicy(allowed_tables=frozenset({"orders"}))),
        Actor("meg", "manager", AccessPolicy(denied_columns=frozenset({("e", "salary")}))),
        Actor("meg", "manager", AccessPolicy(row_filters=(RowFilter("orders", "region = 1"),))),
        Actor("meg", "manager", attributes=(("region_id", "3"),)),
    ]
    keys = {access_key(actor) for actor in [manager, *others]}
    assert len(keys) == len(others) + 1


def test_dashboard_errors_read_in_the_readers_language(store: DashboardStore) -> None:
    store.create("meg", "Ventas")
    with pytest.raises(DashboardError) as duplicate:
        store.create("meg", "Ventas")
    assert str(duplicate.value) == "You already have a dashboard called “Ventas”."
    assert duplicate.value.render("es") == "Ya tienes un panel llamado «Ventas»."
    with pytest.raises(DashboardError) as long_name:
        store.create("meg", "x" * 100)
    assert long_name.value.render("es") == "El nombre del panel debe tener menos de 80 caracteres."
    with pytest.raises(DashboardError) as gone:
        store.tiles("meg", 999)
    assert (str(gone.value), gone.value.render("es")) == (
        "That dashboard no longer exists.",
        "Ese panel ya no existe.",
    )
