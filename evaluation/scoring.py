"""Execution accuracy: is the predicted result the gold result?

The rule (printed with every score, see `SCORING_RULE`):

- Rows are compared as multisets: duplicates count, order is ignored — unless the gold
  SQL has a top-level ORDER BY. Then rows must come in the gold order, except that rows
  tied on the ORDER BY keys may come in any order among themselves, and when a LIMIT
  cuts through a group of ties, the predicted rows in that last group may be any of the
  tied rows (the Spider "ORDER BY … LIMIT ties" case).
- Columns are matched by their values, not their names or positions: every gold column
  must be matched by a distinct predicted column so that the rows agree. Extra predicted
  columns are ignored; gold columns that repeat another gold column's values count once.
- Cells compare as described in `evaluation.values`: numbers with a tolerance
  (and rounding to 1–4 decimals accepted unless `rounding=False`), dates as ISO text,
  text case-sensitive but trailing-space tolerant, NULL equal to NULL.
- Two empty results are equal whatever their columns.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from evaluation.multisets import column, multiset_equal, submultiset
from evaluation.values import Row, frame_rows

MAX_ASSIGNMENTS = 2000

SCORING_RULE = (
    "execution accuracy: rows compared as multisets (order checked only when the gold SQL "
    "has a top-level ORDER BY; ties on its keys may come in any order, and any tied rows "
    "may fill a LIMIT); columns matched by values, extra predicted columns allowed; numbers "
    "equal within 1e-6 relative or 1e-4 absolute{rounding}; Decimal/int/float equal "
    "numerically; dates equal their 'YYYY-MM-DD' text; text case-sensitive, trailing "
    "spaces ignored; NULL equals NULL"
)


def scoring_rule(*, rounding: bool = True) -> str:
    """The one-line description of the rule, printed with every score."""
    extra = " (or one rounded to 1-4 decimals within 1% of the other)" if rounding else ""
    return SCORING_RULE.format(rounding=extra)


@dataclass(frozen=True)
class ResultTable:
    """A query result reduced to column names and canonical rows."""

    columns: tuple[str, ...]
    rows: tuple[Row, ...]

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> ResultTable:
        return cls(tuple(str(c) for c in frame.columns), frame_rows(frame))


@dataclass(frozen=True)
class OrderSpec:
    """How the gold rows are ordered.

    `row_keys`: the ORDER BY key of each gold row (None: every row is its own group).
    `tail_pool`: when a LIMIT cut through ties, every row tied with the last gold row
    (also those the LIMIT dropped), in gold columns.
    """

    ordered: bool = False
    row_keys: tuple[Row, ...] | None = None
    tail_pool: tuple[Row, ...] | None = None


UNORDERED = OrderSpec()


@dataclass(frozen=True)
class Verdict:
    correct: bool
    reason: str


def compare_results(
    gold: ResultTable,
    predicted: ResultTable,
    order: OrderSpec = UNORDERED,
    *,
    rounding: bool = True,
) -> Verdict:
    """Score `predicted` against `gold` by the rule in the module docstring."""
    if len(gold.rows) != len(predicted.rows):
        return Verdict(False, f"{len(predicted.rows)} rows, expected {len(gold.rows)}")
    if not gold.rows:
        return Verdict(True, "both empty")
    kept = _distinct_columns(gold.rows, len(gold.columns))
    if len(predicted.columns) < len(kept):
        return Verdict(False, f"{len(predicted.columns)} columns, expected at least {len(kept)}")
    return _Matcher(gold, predicted, order, kept, rounding).run()


def tie_groups(count: int, row_keys: Sequence[Row] | None) -> list[tuple[int, int]]:
    """[start, end) ranges of consecutive rows with equal ORDER BY keys."""
    if row_keys is None:
        return [(index, index + 1) for index in range(count)]
    groups: list[tuple[int, int]] = []
    start = 0
    for index in range(1, count + 1):
        if index == count or row_keys[index] != row_keys[start]:
            groups.append((start, index))
            start = index
    return groups


def _distinct_columns(rows: Sequence[Row], width: int) -> list[int]:
    """Gold columns to match: a column repeating an earlier one's values counts once."""
    kept: list[int] = []
    for index in range(width):
        if not any(all(row[index] == row[k] for row in rows) for k in kept):
            kept.append(index)
    return kept


class _Matcher:
    """Searches assignments of predicted columns to gold columns that make the rows agree."""

    def __init__(
        self,
        gold: ResultTable,
        predicted: ResultTable,
        order: OrderSpec,
        kept: list[int],
        rounding: bool,
    ) -> None:
        self.rounding = rounding
        self.gold_names = [gold.columns[i] for i in kept]
        self.gold = [tuple(row[i] for i in kept) for row in gold.rows]
        self.pool = (
            [tuple(row[i] for i in kept) for row in order.tail_pool]
            if order.ordered and order.tail_pool is not None
            else None
        )
        self.predicted = list(predicted.rows)
        self.ordered = order.ordered
        self.groups = tie_groups(len(self.gold), order.row_keys) if order.ordered else []
        self.tail = self.groups[-1][0] if self.pool is not None else len(self.gold)
        self.tried = 0
        self.order_only = False

    def run(self) -> Verdict:
        candidates = [self._candidates(j) for j in range(len(self.gold_names))]
        for j, found in enumerate(candidates):
            if not found:
                name = self.gold_names[j]
                return Verdict(False, f"no predicted column has the values of gold column {name!r}")
        by_fewest = sorted(range(len(candidates)), key=lambda j: len(candidates[j]))
        if self._search(by_fewest, candidates, {}):
            return Verdict(True, "match")
        if self.tried >= MAX_ASSIGNMENTS:
            return Verdict(False, f"no match within {MAX_ASSIGNMENTS} column assignments")
        return Verdict(False, "order differs" if self.order_only else "rows differ")

    def _candidates(self, j: int) -> list[int]:
        found = []
        gold_head = column(self.gold[: self.tail], j)
        pool = column(self.pool, j) if self.pool is not None else []
        for i in range(len(self.predicted[0])):
            head = column(self.predicted[: self.tail], i)
            if not multiset_equal(gold_head, head, rounding=self.rounding):
                continue
            tail = column(self.predicted[self.tail :], i)
            if tail and not submultiset(tail, pool, rounding=self.rounding):
                continue
            found.append(i)
        return found

    def _search(self, todo: list[int], candidates: list[list[int]], chosen: dict[int, int]) -> bool:
        if self.tried >= MAX_ASSIGNMENTS:
            return False
        if len(chosen) == len(todo):
            self.tried += 1
            return self._rows_agree([chosen[j] for j in range(len(todo))])
        j = todo[len(chosen)]
        used = set(chosen.values())
        for i in candidates[j]:
            if i in used:
                continue
            chosen[j] = i
            if self._search(todo, candidates, chosen):
                return True
            del chosen[j]
        return False

    def _rows_agree(self, assignment: list[int]) -> bool:
        projected = [tuple(row[i] for i in assignment) for row in self.predicted]
        if not self.ordered:
            return multiset_equal(self.gold, projected, rounding=self.rounding)
        for start, end in self.groups:
            if start >= self.tail:
                break
            group = projected[start:end]
            if not multiset_equal(self.gold[start:end], group, rounding=self.rounding):
                self.order_only = self.order_only or multiset_equal(
                    self.gold, projected, rounding=self.rounding
                )
                return False
        if self.pool is None:
            return True
        return submultiset(projected[self.tail :], self.pool, rounding=self.rounding)


# Words by which a question asks for its rows in an order (then the order is scored).
_ORDER_WORDS = re.compile(
    r"\b(?:order(?:ed|s)?|sort(?:ed|s)?|descending|ascending|alphabetical(?:ly)?|rank(?:ed)?"
    r"|from (?:the )?(?:highest|lowest|largest|smallest|most|least|oldest|youngest|newest"
    r"|earliest|latest|best|worst)\b.{0,30}\bto\b)",
    re.IGNORECASE,
)

FAIR_RULE = (
    "fair reading: as above, or the rows agree as sets (duplicates and order ignored) when "
    "the question does not ask for an order"
)


def asks_for_order(question: str) -> bool:
    """True when the question's own words ask for its rows in an order."""
    return _ORDER_WORDS.search(question) is not None


def compare_fair(
    gold: ResultTable,
    predicted: ResultTable,
    order: OrderSpec,
    question: str,
    *,
    rounding: bool = True,
) -> Verdict:
    """The fair reading of a question (see `FAIR_RULE`): never stricter than the rule.

    A user asking "which countries have airports?" is answered right by each country once,
    in any order, whatever the gold SQL's DISTINCT or ORDER BY; a user asking for a list
    "from the oldest to the youngest" is not.
    """
    strict = compare_results(gold, predicted, order, rounding=rounding)
    if strict.correct or asks_for_order(question):
        return strict
    as_sets = compare_results(_distinct(gold), _distinct(predicted), UNORDERED, rounding=rounding)
    return as_sets if as_sets.correct else strict


def _distinct(table: ResultTable) -> ResultTable:
    return ResultTable(table.columns, tuple(dict.fromkeys(table.rows)))
