"""A one-row WITH query used as a value without being read: read as a scalar subquery.

A small model often computes a figure in a WITH query (`WITH lowest AS (SELECT
MIN(price) AS low FROM …)`) and then compares with it as if it were in scope — `WHERE
price > lowest.low`, or just `WHERE price > low` — without putting `lowest` in the FROM.
The database refuses the unknown column, and told so the model rarely mends it. When the
WITH query is certain to return one row — its SELECT has only aggregates, no GROUP BY,
HAVING, window or set operation — the column can only mean that one value, so it is read
as `(SELECT low FROM lowest)`.

A column that names a table or alias of its own SELECT, a WITH query that may return
several rows, and a bare name that two such WITH queries offer are left as written, for
the schema check's facts.
"""

from __future__ import annotations

from sqlglot import exp

from backend.sql_validate.catalog import Catalog
from backend.sql_validate.scopes import Scopes


def repair_scalar_ctes(tree: exp.Expr, catalog: Catalog, *, quoted_strings: bool = False) -> bool:
    """Read one-row WITH queries' columns used outside their FROM as scalar subqueries;
    True when the query changed."""
    single = _one_row_ctes(tree)
    if not single:
        return False
    scopes = Scopes(tree, catalog, quoted_strings=quoted_strings)
    changes: list[tuple[exp.Column, exp.Expr]] = []
    for column, scope in list(scopes.columns()):
        resolved = scopes.resolve(column, scope)
        if resolved.outcome not in ("unknown_qualifier", "unknown_column"):
            continue
        offering = [
            (cte, name)
            for cte, names in single.items()
            if (name := _offered(names, column.name)) is not None
            and _visible(cte, column)
            and (not column.table or column.table.lower() == cte.alias.lower())
        ]
        if len(offering) != 1:
            continue
        cte, name = offering[0]
        query = exp.select(exp.column(name)).from_(exp.to_table(cte.alias))
        changes.append((column, query.subquery()))
    for column, scalar in changes:
        column.replace(scalar)
    return bool(changes)


def _one_row_ctes(tree: exp.Expr) -> dict[exp.CTE, tuple[str, ...]]:
    """The WITH queries that return exactly one row, with the names of their columns."""
    found: dict[exp.CTE, tuple[str, ...]] = {}
    for cte in tree.find_all(exp.CTE):
        select = cte.this
        if not isinstance(select, exp.Select) or not select.args.get("from_"):
            continue
        if any(select.args.get(k) for k in ("group", "having", "qualify", "limit", "offset")):
            continue
        projections = select.expressions
        if not projections or not all(_aggregate_only(p) for p in projections):
            continue
        found[cte] = tuple(p.alias_or_name for p in projections)
    return found


def _aggregate_only(projection: exp.Expr) -> bool:
    """An aggregate (or an expression of aggregates and constants), never a bare column."""
    node = projection.this if isinstance(projection, exp.Alias) else projection
    if node.find(exp.Window) is not None or node.find(exp.AggFunc) is None:
        return False
    for column in node.find_all(exp.Column):
        if column.find_ancestor(exp.AggFunc) is None:
            return False
    return True


def _offered(names: tuple[str, ...], name: str) -> str | None:
    lowered = name.lower()
    return next((n for n in names if n and n.lower() == lowered), None)


def _visible(cte: exp.CTE, column: exp.Column) -> bool:
    """Whether `cte` may be read where `column` stands: under the query of its WITH, not
    in its own body or an earlier WITH query's."""
    clause = cte.parent
    if not isinstance(clause, exp.With) or clause.parent is None:
        return False
    owner = clause.parent
    node: exp.Expr | None = column
    while node is not None and node is not owner:
        parent = node.parent
        if parent is clause:
            ctes = list(clause.expressions)
            return isinstance(node, exp.CTE) and ctes.index(node) > ctes.index(cte)
        node = parent
    return node is owner
