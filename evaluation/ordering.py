"""How a gold query orders its rows, read with sqlglot.

Order matters in scoring only when the gold SQL has a top-level ORDER BY. Even then, rows
whose ORDER BY keys are equal (ties) may come back in any order — SQLite and MariaDB
break ties differently — so scoring needs the key of every gold row: either the keys are
output columns (`ORDER BY revenue DESC`, `ORDER BY 2`), or `keyed_query` rewrites the gold
query to also return them (`SELECT name FROM t ORDER BY age` → `..., age AS _kk_order_0`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from backend.dialects import sqlglot_dialect

KEY_PREFIX = "_kk_order_"
_TRAILING_ORDER = re.compile(r"\border\s+by\b[^()]*$", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class OrderInfo:
    """What the top level of a query says about order: keys and whether it has a LIMIT."""

    ordered: bool
    limited: bool
    keys: tuple[exp.Expr, ...] = ()
    outputs: tuple[exp.Expr, ...] = ()
    parsed: exp.Expr | None = None


def read_order(sql: str, dialect: str) -> OrderInfo:
    """Parse `sql`; when sqlglot cannot, a trailing ORDER BY still marks it ordered."""
    try:
        parsed = sqlglot.parse_one(sql, dialect=sqlglot_dialect(dialect))
    except SqlglotError:
        return OrderInfo(ordered=bool(_TRAILING_ORDER.search(sql)), limited=False)
    order = parsed.args.get("order")
    limited = bool(parsed.args.get("limit") or parsed.args.get("fetch"))
    if not isinstance(order, exp.Order) or not order.expressions:
        return OrderInfo(ordered=False, limited=limited, parsed=parsed)
    keys = tuple(o.this if isinstance(o, exp.Ordered) else o for o in order.expressions)
    return OrderInfo(True, limited, keys, tuple(_first_select(parsed).expressions), parsed)


def key_columns(info: OrderInfo, columns: Sequence[str]) -> tuple[int, ...] | None:
    """Indices of the output columns holding the ORDER BY keys; None if some key isn't one."""
    found = []
    for key in info.keys:
        index = _output_index(key, info.outputs, columns)
        if index is None:
            return None
        found.append(index)
    return tuple(found)


@dataclass(frozen=True)
class KeyedQuery:
    """The gold query returning its ORDER BY keys too, and the LIMIT it no longer applies."""

    sql: str
    key_count: int
    limit: int | None


def keyed_query(info: OrderInfo, dialect: str) -> KeyedQuery | None:
    """The query with its ORDER BY keys appended as output columns `_kk_order_<i>`.

    A plain `LIMIT n` is removed (and returned as `limit`), so the caller also sees the
    rows tied with the last one that the LIMIT dropped. None for queries where appending
    columns would change the rows (DISTINCT, set operations).
    """
    parsed = info.parsed
    if not isinstance(parsed, exp.Select) or parsed.args.get("distinct"):
        return None
    keyed = parsed.copy()
    for position, key in enumerate(info.keys):
        expression = _output_expression(key, info.outputs) or key
        keyed.select(exp.alias_(expression.copy(), f"{KEY_PREFIX}{position}"), copy=False)
    limit = _plain_limit(keyed)
    if limit is not None:
        keyed.set("limit", None)
    return KeyedQuery(keyed.sql(dialect=sqlglot_dialect(dialect)), len(info.keys), limit)


def _plain_limit(select: exp.Select) -> int | None:
    limit = select.args.get("limit")
    if not isinstance(limit, exp.Limit) or select.args.get("offset") or limit.args.get("offset"):
        return None
    value = limit.expression
    if isinstance(value, exp.Literal) and not value.is_string and value.name.isdigit():
        return int(value.name)
    return None


def _output_expression(key: exp.Expr, outputs: Sequence[exp.Expr]) -> exp.Expr | None:
    """The select-list expression an ORDER BY ordinal or alias refers to."""
    if isinstance(key, exp.Literal) and not key.is_string and key.name.isdigit():
        position = int(key.name) - 1
        if 0 <= position < len(outputs) and not outputs[position].is_star:
            return outputs[position].unalias()
        return None
    if isinstance(key, exp.Column) and not key.table:
        for output in outputs:
            if isinstance(output, exp.Alias) and output.alias.lower() == key.name.lower():
                return output.unalias()
    return None


def _first_select(node: exp.Expr) -> exp.Select:
    while isinstance(node, exp.SetOperation):
        node = node.this
    while isinstance(node, exp.Subquery | exp.Paren):
        node = node.this
    return node if isinstance(node, exp.Select) else exp.Select()


def _output_index(key: exp.Expr, outputs: Sequence[exp.Expr], columns: Sequence[str]) -> int | None:
    if isinstance(key, exp.Literal) and not key.is_string:
        position = int(key.name) - 1 if key.name.isdigit() else -1
        return position if 0 <= position < len(columns) else None
    lowered = [column.lower() for column in columns]
    has_star = any(isinstance(o, exp.Star) or o.is_star for o in outputs)
    if not has_star and len(outputs) == len(columns):
        for index, output in enumerate(outputs):
            if _same(key, output):
                return index
    if isinstance(key, exp.Column) and key.name.lower() in lowered:
        return lowered.index(key.name.lower())
    return None


def _same(key: exp.Expr, output: exp.Expr) -> bool:
    """Does ORDER BY `key` name the select-list item `output` (by alias or expression)?"""
    if isinstance(key, exp.Column) and not key.table and isinstance(output, exp.Alias):
        return key.name.lower() == output.alias.lower()
    target = output.unalias()
    if isinstance(key, exp.Column) and isinstance(target, exp.Column):
        tables_agree = not key.table or not target.table or key.table == target.table
        return key.name.lower() == target.name.lower() and tables_agree
    return _normalised(key) == _normalised(target)


def _normalised(node: exp.Expr) -> str:
    return node.sql(normalize=True, identify=False).lower()
