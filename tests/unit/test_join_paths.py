"""Join-path closure over the foreign-key graph."""

from __future__ import annotations

from backend.domain import ColumnDoc, ForeignKey, TableDoc
from backend.join_paths import expand_join_paths, fk_graph, restrict


def _table(name: str, *refs: str) -> TableDoc:
    key = ColumnDoc("id", "INT", False, None, True)
    columns = (key, *(ColumnDoc(f"{ref}_id", "INT") for ref in refs))
    fks = tuple(ForeignKey((f"{ref}_id",), ref, ("id",)) for ref in refs)
    return TableDoc(name, columns, foreign_keys=fks)


SALES = {
    t.name: t
    for t in [
        _table("regions"),
        _table("customers", "regions"),
        _table("orders", "customers"),
        _table("order_items", "orders", "products"),
        _table("products", "categories", "suppliers"),
        _table("categories"),
        _table("suppliers"),
        _table("shipments", "orders"),
        _table("audit_log"),
    ]
}


def test_customers_and_products_are_joined_through_orders_and_order_items() -> None:
    assert expand_join_paths(["customers", "products"], SALES) == ("orders", "order_items")


def test_already_connected_tables_need_nothing() -> None:
    assert expand_join_paths(["orders", "customers"], SALES) == ()
    assert expand_join_paths(["orders"], SALES) == ()
    assert expand_join_paths([], SALES) == ()


def test_bound_on_added_tables_is_respected() -> None:
    # regions → customers → orders → order_items → products: 3 tables in between
    assert expand_join_paths(["regions", "products"], SALES, max_added=3) == (
        "customers",
        "orders",
        "order_items",
    )
    assert expand_join_paths(["regions", "products"], SALES, max_added=2) == ()


def test_nearest_table_is_connected_first_and_paths_are_shared() -> None:
    added = expand_join_paths(["customers", "categories", "order_items"], SALES)
    # order_items is 2 hops from customers (via orders), categories 1 more via products
    assert added == ("orders", "products")


def test_unconnected_and_unknown_tables_are_ignored() -> None:
    assert expand_join_paths(["audit_log", "customers", "nope"], SALES) == ()
    assert expand_join_paths(["audit_log", "customers", "products"], SALES) == (
        "orders",
        "order_items",
    )


def test_result_is_deterministic_and_case_insensitive() -> None:
    reordered = dict(reversed(list(SALES.items())))
    assert expand_join_paths(["Customers", "PRODUCTS"], reordered) == ("orders", "order_items")


def test_paths_never_go_through_tables_missing_from_the_mapping() -> None:
    visible = {name: t for name, t in SALES.items() if name != "orders"}
    assert expand_join_paths(["customers", "products"], visible) == ()


def test_graph_is_undirected_and_ignores_foreign_keys_to_unknown_tables() -> None:
    graph = fk_graph({"a": _table("a", "b", "zzz"), "b": _table("b")})
    assert graph == {"a": ["b"], "b": ["a"]}


def test_promote_fk_neighbours_fills_the_tail_with_tables_joined_to_the_best_hits() -> None:
    from backend.domain import ColumnDoc, ForeignKey, TableDoc
    from backend.join_paths import promote_fk_neighbours

    def table(name: str, *refs: str) -> TableDoc:
        fks = tuple(ForeignKey((f"{r}_id",), r, ("id",)) for r in refs)
        return TableDoc(name, (ColumnDoc("id", "INT", primary_key=True),), foreign_keys=fks)

    tables = {
        t.name: t
        for t in [
            table("orders", "customers"),
            table("customers"),
            table("a"),
            table("b"),
            table("c"),
            table("d"),
        ]
    }
    ranked = ["orders", "a", "b", "c", "d", "customers"]
    assert promote_fk_neighbours(ranked, tables, k=5) == ["orders", "a", "b", "customers", "c"]
    assert promote_fk_neighbours(ranked, tables, k=2) == ["orders", "a"]
    assert promote_fk_neighbours(["x", "y"], {}, k=5) == ["x", "y"]


def test_restricting_the_graph_equals_building_it_from_the_visible_tables() -> None:
    graph = fk_graph(SALES)
    for hidden in ({"orders"}, {"order_items", "regions"}, set()):
        visible = {name: t for name, t in SALES.items() if name not in hidden}
        assert restrict(graph, visible) == fk_graph(visible)


def test_a_cached_graph_gives_the_same_paths() -> None:
    graph = fk_graph(SALES)
    selected = ["customers", "categories", "order_items"]
    assert expand_join_paths(selected, SALES, graph=graph) == expand_join_paths(selected, SALES)
