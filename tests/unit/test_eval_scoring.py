"""Execution-accuracy scoring: order, duplicates, NULLs, numbers, types, columns, emptiness."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from evaluation.scoring import (
    UNORDERED,
    OrderSpec,
    ResultTable,
    asks_for_order,
    compare_fair,
    compare_results,
    scoring_rule,
    tie_groups,
)
from evaluation.values import canonical, numbers_equal


def table(columns: str, *rows: tuple[Any, ...]) -> ResultTable:
    names = columns.split()
    return ResultTable.from_frame(pd.DataFrame.from_records(list(rows), columns=names))


def ordered(
    gold: ResultTable, *key_columns: int, pool: list[tuple[Any, ...]] | None = None
) -> OrderSpec:
    keys = tuple(tuple(row[i] for i in key_columns) for row in gold.rows) if key_columns else None
    tail = None if pool is None else tuple(tuple(canonical(v) for v in row) for row in pool)
    return OrderSpec(ordered=True, row_keys=keys, tail_pool=tail)


def correct(
    gold: ResultTable, predicted: ResultTable, order: OrderSpec = UNORDERED, **kw: Any
) -> bool:
    return compare_results(gold, predicted, order, **kw).correct


GOLD = table("name n", ("a", 1), ("b", 2), ("c", 3))


# -- rows ---------------------------------------------------------------------------------


def test_rows_in_any_order_match_when_gold_does_not_order() -> None:
    assert correct(GOLD, table("name n", ("c", 3), ("a", 1), ("b", 2)))


def test_rows_out_of_order_fail_when_gold_orders() -> None:
    shuffled = table("name n", ("c", 3), ("a", 1), ("b", 2))
    verdict = compare_results(GOLD, shuffled, ordered(GOLD, 1))
    assert not verdict.correct and verdict.reason == "order differs"
    assert correct(GOLD, GOLD, ordered(GOLD, 1))


def test_ties_on_the_order_key_may_come_in_any_order() -> None:
    gold = table("name age", ("ann", 40), ("bob", 30), ("cid", 30), ("dan", 20))
    swapped = table("name age", ("ann", 40), ("cid", 30), ("bob", 30), ("dan", 20))
    assert correct(gold, swapped, ordered(gold, 1))
    assert not correct(gold, swapped, ordered(gold))  # no keys known: strict order


def test_a_limit_cutting_through_ties_accepts_any_tied_row() -> None:
    # ORDER BY age DESC LIMIT 2 where bob, cid and eve all are 30
    gold = table("name age", ("ann", 40), ("bob", 30))
    pool = [("bob", 30), ("cid", 30), ("eve", 30)]
    order = ordered(gold, 1, pool=pool)
    assert correct(gold, table("name age", ("ann", 40), ("eve", 30)), order)
    assert not correct(gold, table("name age", ("ann", 40), ("zed", 30)), order)
    assert not correct(gold, table("name age", ("eve", 30), ("ann", 40)), order)


def test_duplicates_count() -> None:
    gold = table("x", (1,), (1,), (2,))
    assert not correct(gold, table("x", (1,), (2,), (2,)))
    assert not correct(gold, table("x", (1,), (2,)))
    assert correct(gold, table("x", (2,), (1,), (1,)))


def test_row_count_mismatch_is_reported() -> None:
    verdict = compare_results(GOLD, table("name n", ("a", 1)))
    assert not verdict.correct and verdict.reason == "1 rows, expected 3"


def test_two_empty_results_match_whatever_their_columns() -> None:
    assert correct(table("a b"), table("x"))
    assert not correct(table("a"), table("a", (1,)))
    assert not correct(table("a", (1,)), table("a"))


# -- columns ------------------------------------------------------------------------------


def test_column_order_and_names_are_ignored() -> None:
    assert correct(GOLD, table("total label", (1, "a"), (2, "b"), (3, "c")))


def test_extra_predicted_columns_are_allowed() -> None:
    extra = table("id name n note", (7, "a", 1, "x"), (8, "b", 2, "y"), (9, "c", 3, "z"))
    assert correct(GOLD, extra)


def test_missing_gold_column_fails() -> None:
    verdict = compare_results(GOLD, table("name", ("a",), ("b",), ("c",)))
    assert not verdict.correct and "columns, expected at least 2" in verdict.reason


def test_columns_must_agree_row_by_row_not_only_as_sets() -> None:
    scrambled = table("name n", ("a", 2), ("b", 1), ("c", 3))
    verdict = compare_results(GOLD, scrambled)
    assert not verdict.correct and verdict.reason == "rows differ"


def test_columns_with_identical_values_are_assigned_consistently() -> None:
    gold = table("a b", (1, 1), (2, 3))
    assert correct(gold, table("b a", (1, 1), (3, 2)))
    assert not correct(gold, table("a b", (1, 1), (2, 2)))


def test_a_gold_column_repeated_needs_one_predicted_copy() -> None:
    gold = table("x x_again", (1, 1), (2, 2))
    assert correct(gold, table("x", (1,), (2,)))


# -- values -------------------------------------------------------------------------------


def test_nulls_equal_nulls_only() -> None:
    gold = table("name email", ("a", None), ("b", "b@x"))
    assert correct(gold, table("name email", ("a", None), ("b", "b@x")))
    assert not correct(gold, table("name email", ("a", ""), ("b", "b@x")))
    assert not correct(table("x", (None,)), table("x", (0,)))


def test_nan_nat_and_na_are_null() -> None:
    assert canonical(float("nan")) is None
    assert canonical(pd.NaT) is None
    assert canonical(pd.NA) is None
    assert correct(table("v", (None,), (1.5,)), table("v", (float("nan"),), (1.5,)))


def test_floats_match_within_tolerance() -> None:
    assert numbers_equal(1234567.891, 1234567.8910001)
    assert numbers_equal(0.00001, 0.00005)  # absolute 1e-4
    assert not numbers_equal(0.5, 0.5002, rounding=False)
    assert not numbers_equal(100.0, 100.5, rounding=False)


def test_numbers_rounded_to_a_few_decimals_match_unless_disabled() -> None:
    assert numbers_equal(456.79, 456.789123)
    assert numbers_equal(12.3, 12.3456)
    assert not numbers_equal(456.79, 456.789123, rounding=False)
    assert not numbers_equal(5.0, 5.4)  # an integer is not a rounding of 5.4
    assert not numbers_equal(0.1, 0.1234)  # rounding that changes the value by > 1%
    assert not numbers_equal(456.79, 456.70)


def test_decimal_int_float_and_numpy_numbers_compare_numerically() -> None:
    gold = table("n", (Decimal("10.50"),), (3,))
    assert correct(gold, table("n", (10.5,), (np.int64(3),)))
    assert canonical(True) == 1.0 and canonical(np.float32(2.5)) == 2.5


def test_numeric_text_equals_the_number() -> None:
    assert correct(table("year", ("2025",)), table("year", (2025,)))
    assert correct(table("month", ("07",)), table("month", (7,)))


def test_dates_equal_their_iso_text() -> None:
    gold = table("d", (dt.date(2025, 3, 1),), (dt.datetime(2025, 3, 2, 14, 5, 0),))
    predicted = table("d", ("2025-03-01",), ("2025-03-02 14:05:00.000000",))
    assert correct(gold, predicted)
    assert canonical(pd.Timestamp("2025-03-01")) == "2025-03-01"
    assert canonical("2025-03-02T14:05") == "2025-03-02 14:05:00"
    assert not correct(table("d", (dt.date(2025, 3, 1),)), table("d", ("2025-03-02",)))


def test_text_is_case_sensitive_but_ignores_trailing_spaces() -> None:
    assert correct(table("s", ("Spain",)), table("s", ("Spain  ",)))
    assert not correct(table("s", ("Spain",)), table("s", ("spain",)))
    assert not correct(table("s", ("Spain",)), table("s", (" Spain",)))


def test_bytes_are_compared_as_text() -> None:
    assert correct(table("s", ("abc",)), table("s", (b"abc",)))


# -- helpers ------------------------------------------------------------------------------


def test_tie_groups_split_on_key_changes() -> None:
    keys = ((1.0,), (2.0,), (2.0,), (3.0,))
    assert tie_groups(4, keys) == [(0, 1), (1, 3), (3, 4)]
    assert tie_groups(2, None) == [(0, 1), (1, 2)]


@pytest.mark.parametrize("rounding", [True, False])
def test_the_printed_rule_names_the_rules(rounding: bool) -> None:
    rule = scoring_rule(rounding=rounding)
    assert "multisets" in rule and "ORDER BY" in rule and "extra predicted columns" in rule
    assert ("rounded" in rule) is rounding


# -- the fair reading -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "List the names ordered by age.",
        "Show them sorted by price, descending",
        "names in alphabetical order",
        "Rank the teams by wins",
        "from the oldest to the youngest",
        "list in ascending order of weight",
    ],
)
def test_questions_that_ask_for_an_order(question: str) -> None:
    assert asks_for_order(question)


@pytest.mark.parametrize(
    "question",
    ["Which teams have won a match?", "How many players are there?", "the most common colour"],
)
def test_questions_that_do_not_ask_for_an_order(question: str) -> None:
    assert not asks_for_order(question)


def test_fair_reading_compares_sets_when_the_question_asks_no_order() -> None:
    shuffled_with_repeats = table("name n", ("c", 3), ("a", 1), ("b", 2), ("a", 1))
    order = ordered(GOLD, 1)
    assert not correct(GOLD, shuffled_with_repeats, order)
    assert compare_fair(GOLD, shuffled_with_repeats, order, "Which names are there?").correct
    asked = compare_fair(GOLD, shuffled_with_repeats, order, "Names ordered by n")
    assert not asked.correct


def test_fair_reading_is_never_stricter_and_still_needs_the_same_rows() -> None:
    order = ordered(GOLD, 1)
    assert compare_fair(GOLD, GOLD, order, "names sorted by n").correct
    missing = table("name n", ("a", 1), ("b", 2))
    assert not compare_fair(GOLD, missing, UNORDERED, "Which names?").correct
    other = table("name n", ("a", 1), ("b", 2), ("d", 4))
    assert not compare_fair(GOLD, other, UNORDERED, "Which names?").correct
