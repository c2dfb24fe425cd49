"""Running a gold query: its rows, and how they are ordered (see `ordering`).

Ordered gold queries run once, rewritten to also return their ORDER BY keys and without
a plain LIMIT, so scoring knows the ties and the rows a LIMIT cut from a group of ties.
When the rewrite cannot run, the original query runs and the keys are read from its
output columns, or the order is taken strictly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from backend.errors import QueryFailed
from backend.ports import SqlRunner
from evaluation.ordering import KeyedQuery, key_columns, keyed_query, read_order
from evaluation.scoring import UNORDERED, OrderSpec, ResultTable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GoldResult:
    """The gold rows, their order, and whether the row cap cut them short."""

    table: ResultTable
    order: OrderSpec
    truncated: bool


def run_gold(runner: SqlRunner, sql: str, *, dialect: str, row_limit: int) -> GoldResult:
    """Run `sql` (trusted gold SQL, no guard); raises QueryFailed when it fails."""
    info = read_order(sql, dialect)
    if info.ordered:
        keyed = keyed_query(info, dialect)
        if keyed is not None:
            try:
                return _run_keyed(runner, keyed, row_limit)
            except QueryFailed as exc:
                log.debug("keyed gold query failed, running the original: %s", exc)
    result = runner.run(sql, row_limit=row_limit)
    table = ResultTable.from_frame(result.frame)
    if not info.ordered:
        return GoldResult(table, UNORDERED, result.truncated)
    columns = key_columns(info, table.columns)
    keys = None if columns is None else tuple(tuple(r[i] for i in columns) for r in table.rows)
    return GoldResult(table, OrderSpec(ordered=True, row_keys=keys), result.truncated)


def _run_keyed(runner: SqlRunner, keyed: KeyedQuery, row_limit: int) -> GoldResult:
    result = runner.run(keyed.sql, row_limit=row_limit)
    table = ResultTable.from_frame(result.frame)
    width = len(table.columns) - keyed.key_count
    rows = [row[:width] for row in table.rows]
    keys = [row[width:] for row in table.rows]
    pool = None
    truncated = result.truncated
    if keyed.limit is not None:
        count = min(keyed.limit, len(rows))
        if count:
            pool = tuple(row for row, key in zip(rows, keys, strict=True) if key == keys[count - 1])
        rows, keys = rows[:count], keys[:count]
        truncated = result.truncated and keyed.limit > len(rows)
    order = OrderSpec(ordered=True, row_keys=tuple(keys), tail_pool=pool)
    return GoldResult(ResultTable(table.columns[:width], tuple(rows)), order, truncated)
