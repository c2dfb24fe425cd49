"""Each thing a question is about gets its own table, when that table joins the best ones."""

from __future__ import annotations

from backend.domain import ColumnDoc, ForeignKey, TableDoc
from backend.join_paths import fk_graph, restrict
from backend.thing_tables import near, things_first


def _table(name: str, *refs: str) -> TableDoc:
    columns = (ColumnDoc("id", "INTEGER"), *(ColumnDoc(f"{r}_id", "INTEGER") for r in refs))
    keys = tuple(ForeignKey((f"{r}_id",), r, ("id",)) for r in refs)
    return TableDoc(name, columns, foreign_keys=keys)


# A harbour: berths are booked by vessels of owners; an unrelated app's tables beside it.
TABLES = {
    t.name: t
    for t in (
        _table("owners"),
        _table("vessels", "owners"),
        _table("bookings", "vessels", "berths"),
        _table("berths", "quays"),
        _table("quays"),
        _table("invoice_lines", "bookings"),
        _table("app_companies"),
        _table("app_users", "app_companies"),
    )
}
GRAPH = fk_graph(TABLES)


def test_near_counts_joins_from_every_source() -> None:
    assert near(GRAPH, ["owners"], 0) == {"owners"}
    assert near(GRAPH, ["owners"], 1) == {"owners", "vessels"}
    assert near(GRAPH, ["owners"], 2) == {"owners", "vessels", "bookings"}
    assert near(GRAPH, ["owners", "quays"], 1) == {"owners", "vessels", "quays", "berths"}
    assert near(GRAPH, ["no_such_table"], 2) == set()


def test_a_thing_named_once_gets_its_table_after_the_best_one() -> None:
    # "Which vessels of ours use quay 3?": the whole question ranks vessels' look-alikes
    # and neighbours; "quay" alone finds quays, two joins from the best table (bookings).
    ranked = ["bookings", "vessels", "owners", "app_users", "invoice_lines", "quays"]
    hits = [["vessels", "owners"], ["app_companies", "quays", "berths"]]
    order = things_first(ranked, hits, GRAPH, TABLES)
    assert order[:4] == ["bookings", "vessels", "quays", "berths"], "then the join to quays"
    assert order[4:] == ["owners", "app_users", "invoice_lines"]


def test_a_look_alike_from_another_corner_of_the_schema_is_passed_over() -> None:
    ranked = ["vessels", "owners", "bookings"]
    hits = [["app_companies", "app_users"]]
    assert things_first(ranked, hits, GRAPH, TABLES) == ranked


def test_a_table_too_many_joins_away_is_passed_over() -> None:
    ranked = ["owners", "app_users", "vessels"]
    # quays is four joins from owners and none from app_users: not near.
    assert things_first(ranked, [["quays"]], GRAPH, TABLES) == ranked
    # invoice_lines is three from owners (vessels, bookings between).
    assert things_first(ranked, [["invoice_lines"]], GRAPH, TABLES) == ranked


def test_the_second_best_table_is_an_anchor_too() -> None:
    ranked = ["app_users", "berths", "owners"]
    order = things_first(ranked, [["quays"]], GRAPH, TABLES)
    assert order[:2] == ["app_users", "quays"]


def test_each_table_once_and_nothing_changes_without_things() -> None:
    ranked = ["vessels", "owners", "bookings"]
    assert things_first(ranked, [], GRAPH, TABLES) == ranked
    assert things_first(ranked, [[]], GRAPH, TABLES) == ranked
    assert things_first(ranked, [["vessels"], ["owners"], ["owners"]], GRAPH, TABLES) == ranked
    assert things_first([], [["vessels"]], GRAPH, TABLES) == []


def test_at_most_one_table_is_added_to_join_the_chosen_ones() -> None:
    ranked = ["owners", "vessels", "app_users"]
    # berths is two joins from vessels; joining it to owners needs vessels and bookings,
    # more than one bridge: the path is not added.
    order = things_first(ranked, [["berths"]], GRAPH, TABLES)
    assert order == ["owners", "berths", "vessels", "app_users"]


def test_a_path_never_goes_through_a_table_the_asker_may_not_read() -> None:
    readable = {n: t for n, t in TABLES.items() if n != "bookings"}
    graph = restrict(GRAPH, readable)
    ranked = ["vessels", "owners"]
    # berths is two joins from vessels, through bookings: near for a reader of bookings...
    assert things_first(ranked, [["berths"]], GRAPH, TABLES) == [
        "vessels",
        "berths",
        "bookings",
        "owners",
    ]
    # ...and out of reach without it, as is bookings itself.
    assert things_first(ranked, [["berths"]], graph, readable) == ranked
    assert things_first(ranked, [["bookings"]], graph, readable) == ranked


def test_names_that_differ_from_the_schema_only_in_case_are_one_table() -> None:
    tables = {t.name: t for t in (_table("Orders", "clients"), _table("clients"))}
    graph = fk_graph(tables)
    assert things_first(["orders", "app"], [["Clients"]], graph, tables) == [
        "Orders",
        "clients",
        "app",
    ]
    assert things_first(["orders", "clients"], [["ORDERS"], ["clients"]], graph, tables) == [
        "Orders",
        "clients",
    ]
