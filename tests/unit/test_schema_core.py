"""Which tables make a role's core, and which questions are about it."""

from __future__ import annotations

import pytest

from backend.schema_core import about_core, core_tables

SIZES = {"orders": 300, "lines": 200, "clients": 250, "regions": 80, "rota": 100, "ships": 90}
REFS = {"orders": ["clients"], "lines": ["orders"], "clients": ["regions"]}
GRAPH = {
    "orders": ["clients", "lines"],
    "lines": ["orders"],
    "clients": ["orders", "regions"],
    "regions": ["clients"],
    "rota": [],
    "ships": [],
}


def test_the_most_read_tables_come_in_whole_groups_while_they_fit() -> None:
    counts = {"orders": 5, "lines": 3, "clients": 3, "rota": 1}
    assert core_tables(counts, SIZES, budget_tokens=500) == ("orders",)
    assert core_tables(counts, SIZES, budget_tokens=750) == ("clients", "lines", "orders")
    assert core_tables(counts, SIZES, budget_tokens=2000) == ("clients", "lines", "orders", "rota")


def test_a_group_that_does_not_fit_ends_the_core_even_if_a_later_one_would_fit() -> None:
    # lines and clients tie: taking one of them would choose among equals by name.
    counts = {"orders": 5, "lines": 3, "clients": 3, "ships": 1}
    assert core_tables(counts, SIZES, budget_tokens=600) == ("orders",)


def test_examples_spread_evenly_over_a_schema_make_no_core() -> None:
    counts = dict.fromkeys(SIZES, 2)
    assert core_tables(counts, SIZES, budget_tokens=900) == ()


@pytest.mark.parametrize("budget", [0, 50])
def test_nothing_fits_a_tiny_budget(budget: int) -> None:
    assert core_tables({"orders": 4}, SIZES, budget_tokens=budget) == ()


def test_unread_and_unreadable_tables_are_never_in_the_core() -> None:
    counts = {"orders": 2, "secret_payroll": 9, "rota": 0}
    assert core_tables(counts, SIZES, budget_tokens=5000) == ("orders",)


def test_the_tables_the_core_refers_to_join_it_together_when_they_all_fit() -> None:
    counts = {"orders": 4, "lines": 4}
    # orders → clients; lines → orders (already in): clients joins, not clients' regions.
    assert core_tables(counts, SIZES, budget_tokens=800, references=REFS) == (
        "clients",
        "lines",
        "orders",
    )
    assert core_tables(counts, SIZES, budget_tokens=700, references=REFS) == ("lines", "orders")


def test_a_referred_table_the_role_may_not_read_stays_out() -> None:
    sizes = {name: size for name, size in SIZES.items() if name != "clients"}
    assert core_tables({"orders": 1}, sizes, budget_tokens=5000, references=REFS) == ("orders",)


CORE = ("clients", "orders", "regions")


@pytest.mark.parametrize(
    ("ranked", "shown", "expected"),
    [
        (["orders", "shop__orders"], ["orders", "shop__orders"], True),  # a look-alike elsewhere
        (["ORDERS"], ["ORDERS"], True),
        (["shop__orders", "orders"], ["orders", "shop__orders"], False),  # best match outside
        (["orders"], ["orders", "lines"], False),  # reaches lines, a neighbour outside the core
        (["clients"], ["clients", "rota"], True),  # rota links to nothing of the core
        ([], [], False),
    ],
)
def test_a_question_is_about_the_core_when_its_best_match_is_in_it_and_reaches_no_further(
    ranked: list[str], shown: list[str], expected: bool
) -> None:
    assert about_core(ranked, shown, CORE, GRAPH) is expected


def test_without_a_core_no_question_is_about_it() -> None:
    assert about_core(["orders"], ["orders"], (), GRAPH) is False
