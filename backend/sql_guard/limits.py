"""The row cap: the outermost query never returns more than `row_limit` rows."""

from __future__ import annotations

from sqlglot import exp


def apply_row_limit(query: exp.Query, row_limit: int) -> int | None:
    """Add LIMIT `row_limit`, or lower a larger one; return the limit set, or None if kept.

    A LIMIT that is not a plain non-negative number (SQLite's `LIMIT -1` means "no limit")
    is replaced too. FETCH FIRST becomes LIMIT. The offset, if any, is kept.
    """
    existing = query.args.get("limit")
    if isinstance(existing, exp.Limit):
        current = _plain_count(existing.expression)
        if current is not None and current <= row_limit:
            return None
        existing.set("expression", exp.Literal.number(row_limit))
        return row_limit
    if isinstance(existing, exp.Fetch):
        current = _plain_count(existing.args.get("count"))
        keep = current is not None and current <= row_limit and not _fancy(existing)
        query.set("limit", exp.Limit(expression=exp.Literal.number(current if keep else row_limit)))
        return None if keep else row_limit
    query.set("limit", exp.Limit(expression=exp.Literal.number(row_limit)))
    return row_limit


def _plain_count(node: exp.Expr | None) -> int | None:
    if isinstance(node, exp.Literal) and not node.is_string and node.this.isdigit():
        return int(node.this)
    return None


def _fancy(fetch: exp.Fetch) -> bool:
    options = fetch.args.get("limit_options")
    return bool(options and (options.args.get("percent") or options.args.get("with_ties")))
