"""Reciprocal-rank fusion of the per-thing searches (`backend.table_retrieval.fused`)."""

from __future__ import annotations

from backend.domain import ScoredTable
from backend.table_retrieval import RRF_K, fused


def _ranking(*names: str) -> list[ScoredTable]:
    return [ScoredTable(name, 1.0 - i / 10) for i, name in enumerate(names)]


def _names(tables: tuple[ScoredTable, ...]) -> list[str]:
    return [t.name for t in tables]


def test_a_table_found_by_several_searches_beats_one_found_once_a_little_higher() -> None:
    whole = _ranking("look_alike", "customers", "other")
    customers = _ranking("customers", "look_alike")
    bookings = _ranking("bookings", "customers")
    assert _names(fused([whole, customers, bookings])) == [
        "customers",
        "look_alike",
        "bookings",
        "other",
    ]


def test_scores_are_the_sums_of_reciprocal_ranks() -> None:
    (first, second) = fused([_ranking("a", "b"), _ranking("b")])
    assert first.name == "b" and first.score == 1 / (RRF_K + 2) + 1 / (RRF_K + 1)
    assert second.name == "a" and second.score == 1 / (RRF_K + 1)


def test_ties_keep_the_order_of_the_earlier_rankings() -> None:
    assert _names(fused([_ranking("a", "b"), _ranking("c", "d")])) == ["a", "c", "b", "d"]


def test_one_ranking_is_kept_as_it_is_and_none_gives_nothing() -> None:
    assert _names(fused([_ranking("x", "y", "z")])) == ["x", "y", "z"]
    assert fused([]) == ()


def test_a_weighted_ranking_outvotes_a_single_other_one() -> None:
    whole = _ranking("a", "b")
    thing = _ranking("b", "c")
    assert _names(fused([whole, thing], weights=[2.0]))[0] == "b"
    assert _names(fused([whole, _ranking("c")], weights=[2.0])) == ["a", "b", "c"]
    assert _names(fused([whole, _ranking("c")])) == ["a", "c", "b"]
