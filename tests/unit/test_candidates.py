"""When an answer is in doubt, and which candidate result wins the vote."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from backend.candidates import Candidate, doubt, result_key, vote
from backend.domain import QueryResult


def result(
    rows: list[list[object]], columns: list[str] | None = None, *, truncated: bool = False
) -> QueryResult:
    names = columns or [f"c{i}" for i in range(len(rows[0]) if rows else 1)]
    return QueryResult(frame=pd.DataFrame(rows, columns=names), truncated=truncated, elapsed_s=0.0)


def test_a_failed_query_is_in_doubt() -> None:
    assert doubt(None) == "failed"


def test_an_empty_result_is_in_doubt() -> None:
    assert doubt(result([], ["n"])) == "empty"


@pytest.mark.parametrize("cell", [None, float("nan"), pd.NaT, np.nan])
def test_a_single_row_of_nulls_is_in_doubt(cell: object) -> None:
    assert doubt(result([[cell, None]])) == "null"


@pytest.mark.parametrize(
    "rows",
    [[[0]], [[None, 3]], [["a"], [None]], [[""]]],
    ids=["zero", "one-null-of-two", "two-rows", "empty-text"],
)
def test_results_with_a_value_are_not_in_doubt(rows: list[list[object]]) -> None:
    assert doubt(result(rows)) is None


def test_more_rows_than_any_table_read_is_a_join_that_multiplied_them() -> None:
    estimates = {"orders": 20, "customers": 5}
    many = result([[i] for i in range(60)])
    assert doubt(many, tables_read=["orders", "customers"], row_estimates=estimates) == "explosion"
    # Within the margin kept for InnoDB's rough estimates, not in doubt.
    some = result([[i] for i in range(45)])
    assert doubt(some, tables_read=["orders", "customers"], row_estimates=estimates) is None


def test_row_counts_are_not_judged_without_estimates_or_when_capped() -> None:
    many = result([[i] for i in range(60)])
    assert doubt(many, tables_read=["orders"], row_estimates={"orders": None}) is None
    assert doubt(many, tables_read=["orders"], row_estimates={}) is None
    capped = result([[i] for i in range(60)], truncated=True)
    assert doubt(capped, tables_read=["orders"], row_estimates={"orders": 5}) is None


def test_the_same_rows_in_another_order_or_column_order_share_a_key() -> None:
    one = result([["Oslo", 3], ["Lima", 5]], ["city", "n"])
    other = result([[5, "lima"], [3, " Oslo "]], ["total", "place"])
    assert result_key(one) == result_key(other)


def test_numbers_agree_at_six_significant_digits_across_types() -> None:
    values = [[Decimal("2.5000")], [np.float64(2.5)], [2.5000000001]]
    keys = {result_key(result([row])) for row in values}
    assert len(keys) == 1
    assert result_key(result([[np.int64(7)]])) == result_key(result([[7.0]]))
    assert result_key(result([[2.5]])) != result_key(result([[2.6]]))


def test_dates_and_nulls_have_stable_keys() -> None:
    assert result_key(result([[date(2024, 1, 31)]])) == (("2024-01-31",),)
    assert result_key(result([[None]])) == result_key(result([[float("nan")]]))


def test_different_rows_do_not_agree() -> None:
    assert result_key(result([[1], [2]])) != result_key(result([[1]]))
    assert result_key(result([[1], [1]])) != result_key(result([[1]]))  # a bag, not a set


def test_the_majority_result_wins() -> None:
    a, b = result([[1]]), result([[2]])
    chosen = vote([Candidate("q0", a), Candidate("q1", b), Candidate("q2", b)], [None, None, None])
    assert chosen is not None and (chosen.index, chosen.agreeing, chosen.ran) == (1, 2, 3)


def test_failed_candidates_get_no_vote() -> None:
    b = result([[2]])
    chosen = vote(
        [Candidate("q0", None), Candidate("q1", None), Candidate("q2", b)],
        ["failed", "failed", None],
    )
    assert chosen is not None and (chosen.index, chosen.agreeing, chosen.ran) == (2, 1, 1)


def test_nothing_ran_means_no_winner() -> None:
    assert vote([Candidate("q0", None), Candidate("q1", None)], ["failed", "failed"]) is None


def test_on_a_tie_a_result_not_in_doubt_beats_one_in_doubt() -> None:
    empty, full = result([], ["n"]), result([[4]])
    chosen = vote([Candidate("q0", empty), Candidate("q1", full)], ["empty", None])
    assert chosen is not None and chosen.index == 1


def test_on_a_full_tie_the_earlier_candidate_wins() -> None:
    chosen = vote([Candidate("q0", result([[1]])), Candidate("q1", result([[2]]))], [None, None])
    assert chosen is not None and chosen.index == 0


def test_agreeing_in_doubt_still_beats_a_lone_answer() -> None:
    # Three queries that all find nothing outvote one that finds something: when most ways
    # of asking agree there is nothing, nothing is the answer.
    empty = result([], ["n"])
    pool = [
        Candidate("q0", empty),
        Candidate("q1", result([[9]])),
        Candidate("q2", empty),
        Candidate("q3", empty),
    ]
    chosen = vote(pool, ["empty", None, "empty", "empty"])
    assert chosen is not None and chosen.index == 0 and chosen.agreeing == 3
