"""`same_query`: whether the SQL that ran is the SQL that was written, access rules aside.

The guard always regenerates the statement (sqlglot's spacing, quoting and keyword case)
and caps the rows with a LIMIT; neither changes what the query means, and the page says
when the cap cut a result. So the answer shows "the SQL that ran" beside the written SQL
only when something else changed it: a row filter, a lowered LIMIT, a dropped hint.
"""

from __future__ import annotations

import re

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError

from backend.dialects import sqlglot_dialect


def same_query(written: str, ran: str, dialect: str) -> bool:
    """True when `ran` is `written` regenerated, with at most a LIMIT added.

    Both are parsed and written back by sqlglot in `dialect` (comments dropped), so
    spacing, case and quoting do not count; SQL that does not parse is compared as text
    with its spacing and case squashed.
    """
    target = sqlglot_dialect(dialect)
    mine, theirs = _tree(written, target), _tree(ran, target)
    if mine is None or theirs is None:
        return _squash(written) == _squash(ran)
    if mine.args.get("limit") is None and theirs.args.get("limit") is not None:
        theirs.set("limit", None)  # the guard's row cap on a query that had none
    return _text(mine, target) == _text(theirs, target)


def _tree(sql: str, target: Dialect) -> exp.Expr | None:
    try:
        trees = [tree for tree in target.parse(sql) if tree is not None]
    except (SqlglotError, ValueError, RecursionError):
        return None
    return trees[0] if len(trees) == 1 else None


def _text(tree: exp.Expr, target: Dialect) -> str:
    try:
        return tree.sql(dialect=target, comments=False)
    except SqlglotError:
        return ""


def _squash(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip().rstrip(";").lower()
