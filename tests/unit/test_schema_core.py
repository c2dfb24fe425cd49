"""The core: the tables the approved examples read most, in every retrieved prompt.

An invented library schema (`tests/support/invented_schemas.py`); the examples are made
up for it. What the examples read is what the guard parses, under the role's policy.
"""

from __future__ import annotations

import pytest

from backend.domain import AccessPolicy, Example
from backend.schema_core import core_tables, tables_read
from tests.support.invented_schemas import LIBRARY

EVERYONE = AccessPolicy()
LOANS_BY_MEMBER = Example(
    "Loans per member",
    "SELECT m.FullName, COUNT(*) FROM Loans l JOIN Members m ON m.MemberId = l.MemberId "
    "GROUP BY m.FullName",
)
OPEN_LOANS = Example("Open loans", "SELECT COUNT(*) FROM Loans WHERE ReturnedAt IS NULL")
GENRES = Example(
    "Loans by genre",
    "WITH per_title AS (SELECT c.TitleId, COUNT(*) AS n FROM Loans l "
    "JOIN Copies c ON c.CopyId = l.CopyId GROUP BY c.TitleId) "
    "SELECT t.Genre, SUM(p.n) FROM per_title p JOIN Titles t ON t.TitleId = p.TitleId "
    "GROUP BY t.Genre",
)
EXAMPLES = [LOANS_BY_MEMBER, OPEN_LOANS, GENRES]


def _read(examples: list[Example], policy: AccessPolicy = EVERYONE) -> dict[str, int]:
    return dict(tables_read(examples, policy, known=LIBRARY.known, dialect="mysql"))


def test_each_example_counts_once_for_each_table_it_reads_and_a_cte_is_no_table() -> None:
    assert _read(EXAMPLES) == {"Loans": 3, "Members": 1, "Copies": 1, "Titles": 1}


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM Loans",
        "SELECT * FROM Borrowers",
        "SELECT 1; DROP TABLE Members",
        "not sql at all",
        "SELECT Nope FROM Loans JOIN",
    ],
)
def test_an_example_the_guard_refuses_counts_for_nothing(sql: str) -> None:
    assert _read([Example("bad", sql), OPEN_LOANS]) == {"Loans": 1}


def test_under_a_policy_an_example_reading_a_hidden_table_counts_for_nothing() -> None:
    policy = AccessPolicy(allowed_tables=frozenset({"loans", "copies", "titles", "branches"}))
    assert _read(EXAMPLES, policy) == {"Loans": 2, "Copies": 1, "Titles": 1}
    denied = AccessPolicy(denied_columns=frozenset({("members", "fullname")}))
    assert "Members" not in _read(EXAMPLES, denied)


def test_the_core_takes_the_most_read_tables_that_fit_in_name_order() -> None:
    counts = {"orders": 9, "customers": 6, "products": 3, "regions": 1}
    sizes = {"orders": 400, "customers": 400, "products": 300, "regions": 100}
    assert core_tables(counts, sizes, budget_tokens=800) == ("customers", "orders")
    # A table too big for what is left is passed over for the smaller ones after it.
    assert core_tables(counts, sizes, budget_tokens=900) == ("customers", "orders", "regions")
    assert core_tables(counts, sizes, budget_tokens=1100) == ("customers", "orders", "products")
    assert core_tables(counts, sizes, budget_tokens=99) == ()


def test_ties_go_by_name_and_unreadable_or_unread_tables_never_enter() -> None:
    counts = {"b": 2, "a": 2, "hidden": 5, "never": 0}
    sizes = {"a": 100, "b": 100, "never": 10}
    assert core_tables(counts, sizes, budget_tokens=100) == ("a",)
    assert core_tables(counts, sizes, budget_tokens=1000) == ("a", "b")


def test_the_view_works_the_core_out_once_per_policy_and_hides_what_the_policy_hides() -> None:
    everything = LIBRARY.core(EXAMPLES, EVERYONE, "mysql", 10_000)
    assert everything == ("Copies", "Loans", "Members", "Titles")
    assert LIBRARY.core(EXAMPLES, EVERYONE, "mysql", 10_000) is everything
    only_loans = LIBRARY.block("Loans", EVERYONE).tokens
    assert LIBRARY.core(EXAMPLES, EVERYONE, "mysql", only_loans) == ("Loans",)
    policy = AccessPolicy(allowed_tables=frozenset({"copies", "titles", "members"}))
    assert LIBRARY.core(EXAMPLES, policy, "mysql", 10_000) == ()
    assert LIBRARY.core([], EVERYONE, "mysql", 10_000) == ()


def test_fitting_the_retrieved_tables_leaves_out_those_already_in_the_core() -> None:
    fit = LIBRARY.fit(
        ["Loans", "Titles", "Members"],
        EVERYONE,
        question="loans by genre",
        budget_tokens=10_000,
        present=("Loans", "Members"),
    )
    assert fit.tables == ("Titles",)
    assert all("CREATE TABLE Loans" not in block for block in fit.blocks)
    # Titles alone needs no join table; none of the core is added back for a join.
    assert "Loans" not in fit.joins and "Members" not in fit.joins
