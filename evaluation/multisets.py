"""Comparing bags of canonical rows with tolerant cell equality.

Rows are first bucketed by their exact (non-numeric) cells, so only rows that agree on
every text, date and NULL cell are compared number by number; within a bucket both sides
are sorted and compared pairwise, with a greedy matching as the fallback for the rare
case where near-equal numbers sort differently on the two sides.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from evaluation.values import Row, rows_equal, sort_key

_NUMBER = object()


def multiset_equal(a: Sequence[Row], b: Sequence[Row], *, rounding: bool = True) -> bool:
    """Do `a` and `b` hold the same rows the same number of times (in any order)?"""
    if len(a) != len(b):
        return False
    buckets_a, buckets_b = _buckets(a), _buckets(b)
    if buckets_a.keys() != buckets_b.keys():
        return False
    for key, rows_a in buckets_a.items():
        rows_b = buckets_b[key]
        if len(rows_a) != len(rows_b):
            return False
        if not _pairwise(rows_a, rows_b, rounding) and not _greedy(rows_a, rows_b, rounding):
            return False
    return True


def submultiset(part: Sequence[Row], pool: Sequence[Row], *, rounding: bool = True) -> bool:
    """Can every row of `part` be matched to a distinct, equal row of `pool`?"""
    unused = list(pool)
    for row in part:
        for index, candidate in enumerate(unused):
            if rows_equal(row, candidate, rounding=rounding):
                del unused[index]
                break
        else:
            return False
    return True


def column(rows: Sequence[Row], index: int) -> list[Row]:
    """One column of `rows`, each value as a one-cell row."""
    return [(row[index],) for row in rows]


def _buckets(rows: Sequence[Row]) -> dict[tuple[object, ...], list[Row]]:
    buckets: dict[tuple[object, ...], list[Row]] = defaultdict(list)
    for row in rows:
        buckets[tuple(_NUMBER if isinstance(cell, float) else cell for cell in row)].append(row)
    return buckets


def _pairwise(a: list[Row], b: list[Row], rounding: bool) -> bool:
    return all(
        rows_equal(x, y, rounding=rounding)
        for x, y in zip(sorted(a, key=sort_key), sorted(b, key=sort_key), strict=True)
    )


def _greedy(a: list[Row], b: list[Row], rounding: bool) -> bool:
    return submultiset(a, b, rounding=rounding)
