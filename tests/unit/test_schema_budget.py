"""Fitting the retrieved schema into its token budget: shorten, then drop, lowest first."""

from __future__ import annotations

from collections.abc import Sequence

from backend.schema_budget import Block, SchemaFit, fit_schema

# Full and compact sizes of each table's DDL (estimated tokens).
SIZES = {
    "orders": (300, 200),
    "customers": (300, 200),
    "products": (300, 200),
    "order_items": (200, 100),  # the join path between orders and products
    "regions": (100, 60),
    "events": (2000, 1500),  # a very wide table
}


def _render(name: str, compact: bool) -> Block:
    full, short = SIZES[name]
    return Block(f"{name}:{'compact' if compact else 'full'}", short if compact else full)


def _capped(name: str, columns: int) -> Block:
    return Block(f"{name}:{columns} columns", 20 * columns)


def _joins(kept: Sequence[str]) -> list[str]:
    return ["order_items"] if {"orders", "products"} <= set(kept) else []


def _fit(ranked: list[str], budget: int) -> SchemaFit:
    return fit_schema(
        ranked, budget_tokens=budget, joins_for=_joins, render=_render, render_capped=_capped
    )


RANKED = ["orders", "products", "customers", "regions"]


def test_everything_in_full_when_it_fits() -> None:
    fit = _fit(RANKED, 1300)
    assert fit.tables == tuple(RANKED) and fit.joins == ("order_items",)
    assert fit.blocks[-1] == "order_items:full" and fit.tokens == 1200
    assert fit.compacted == () and fit.dropped == ()


def test_join_tables_then_the_lowest_ranked_are_shortened_first() -> None:
    fit = _fit(RANKED, 1060)
    assert fit.compacted == ("order_items", "regions")
    assert fit.tokens == 1060 and fit.dropped == ()
    assert "orders:full" in fit.blocks and "regions:compact" in fit.blocks


def test_the_lowest_ranked_table_is_dropped_when_shortening_is_not_enough() -> None:
    fit = _fit(RANKED, 700)  # all four shortened: 760
    assert fit.tables == ("orders", "products", "customers")
    assert fit.joins == ("order_items",)  # kept: the top tables need it
    assert fit.dropped == ("regions",) and fit.tokens == 700


def test_a_join_table_goes_with_the_table_that_needed_it() -> None:
    fit = _fit(["orders", "customers", "products"], 450)
    assert fit.tables == ("orders", "customers") and fit.joins == ()
    assert fit.dropped == ("products",)


def test_a_single_table_too_wide_for_the_budget_gets_fewer_full_columns() -> None:
    fit = _fit(["events", "orders"], 500)
    assert fit.tables == ("events",) and fit.dropped == ("orders",)
    assert fit.blocks == ("events:20 columns",) and fit.tokens == 400


def test_nothing_retrieved_gives_an_empty_schema() -> None:
    assert _fit([], 500).blocks == ()
