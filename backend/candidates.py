"""When to doubt an answer, and which of several candidate answers the data agrees on.

A small model's first query is often right, and when it is wrong it is often wrong in a
way the result shows: nothing came back, a lone NULL came back, or a join multiplied the
rows beyond any table it read; or in a way the query shows: it filters on a value the
question never named. Then a few more queries sampled from the same prompt (a
small temperature, the cached prompt kept) are run, and the answer most of them agree on
wins (self-consistency by execution). Pure functions: the engine runs the queries.
"""

from __future__ import annotations

import math
import numbers
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, SupportsFloat, cast

import pandas as pd

from backend.domain import QueryResult

Doubt = Literal["failed", "empty", "null", "explosion", "unasked"]


@dataclass(frozen=True)
class Candidate:
    """One query's outcome: its result when it ran, None when it failed."""

    sql: str
    result: QueryResult | None


@dataclass(frozen=True)
class Vote:
    """The chosen candidate and how many of those that ran agree with it."""

    index: int
    agreeing: int
    ran: int


def doubt(
    result: QueryResult | None,
    *,
    tables_read: Sequence[str] = (),
    row_estimates: Mapping[str, int | None] | None = None,
    unasked: Sequence[str] = (),
) -> Doubt | None:
    """Why `result` looks wrong, or None when nothing in it does.

    Empty and all-NULL results are what a filter on a misspelt value or a wrong column
    gives; more rows than the largest table read (by the index's row estimates, which
    InnoDB keeps only roughly, hence the margin) is a join that multiplied rows; a filter
    on values nobody asked for (`unasked`, see `backend.unasked_values`) is a condition
    the model made up.
    """
    if result is None:
        return "failed"
    frame = result.frame
    if frame.empty:
        return "empty"
    if len(frame) == 1 and all(_is_null(value) for value in frame.iloc[0].tolist()):
        return "null"
    estimates = [(row_estimates or {}).get(name) for name in tables_read]
    known = [n for n in estimates if n is not None and n > 0]
    if known and not result.truncated and len(frame) > 2 * max(known) + 10:
        return "explosion"
    if unasked:
        return "unasked"
    return None


def result_key(result: QueryResult) -> tuple[tuple[str, ...], ...]:
    """A result as an order- and column-order-free value that equal answers share.

    Rows become sorted tuples of normalised cells (numbers at 6 significant digits, so
    AVG computed two ways agree; text folded to lower case and trimmed) and the rows
    are sorted: two queries that return the same rows in another order, or with their
    columns swapped, agree. Column names do not count (aliases differ freely).
    """
    rows = (
        tuple(sorted(_cell(value) for value in row))
        for row in result.frame.itertuples(index=False, name=None)
    )
    return tuple(sorted(rows))


def vote(candidates: Sequence[Candidate], doubts: Sequence[Doubt | None]) -> Vote | None:
    """The candidate whose result most others share; None when none ran.

    Among results with as many votes, one not in doubt wins over one in doubt, then the
    earlier one (the first query is written without sampling).
    """
    keys: list[tuple[tuple[str, ...], ...] | None] = [
        None if c.result is None else result_key(c.result) for c in candidates
    ]
    counts = Counter(key for key in keys if key is not None)
    if not counts:
        return None

    def rank(index: int) -> tuple[int, int, int]:
        key = keys[index]
        assert key is not None
        return (counts[key], doubts[index] is None, -index)

    ran = [i for i, key in enumerate(keys) if key is not None]
    best = max(ran, key=rank)
    key = keys[best]
    assert key is not None
    return Vote(index=best, agreeing=counts[key], ran=len(ran))


def canonical_sql(sql: str) -> str:
    """`sql` with case, spacing and a final semicolon squashed: a query drawn again."""
    return " ".join(sql.lower().rstrip("; \n").split())


def _is_null(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str | bytes):
        return False
    try:
        # cast: pandas-stubs lists only the types isna knows; it takes any object.
        return bool(pd.isna(cast(Any, value)))
    except (TypeError, ValueError):  # a list or array cell: not a NULL
        return False


def _cell(value: object) -> str:
    if _is_null(value):
        return "∅"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, numbers.Number | Decimal) and not isinstance(value, complex):
        # cast: typeshed's Number has no __float__, but every non-complex number here has.
        number = float(cast(SupportsFloat, value))
        if math.isfinite(number) and number == int(number) and abs(number) < 1e15:
            return str(int(number))
        return f"{number:.6g}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value).strip().casefold()
