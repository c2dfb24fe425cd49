"""A table joined only to filter, which multiplies the rows: read as EXISTS.

A small model often joins a table the question does not need — `stores JOIN sales ON
stores.id = sales.store_id` to ask for one store's floor area — and reads nothing from
it. An inner join on a column that is not the joined table's whole primary key repeats
each row once per match: the store comes back once per sale, and a SUM over stores counts
each one per sale. Nothing of the joined table is shown, so the only thing the join can
mean beyond that repetition is "that has a matching row", which `EXISTS (SELECT 1 FROM
sales WHERE <the same ON>)` says without it: the same rows, each once.

Left as written: a SELECT that counts (`COUNT` anywhere in it: "how many sales of the
stores in the north" counts the joined rows on purpose), that is DISTINCT (already once),
that reads `*`, or that has a RIGHT or FULL join (it keeps rows the EXISTS would drop); a
join that is outer, USING, NATURAL or without ON; a joined WITH query or subquery; a table
joined to itself (rows paired on purpose); a join on the joined table's whole primary key
(nothing is repeated); an ON with an unqualified column (inside EXISTS it could read the
joined table's column of that name); and any SELECT with a column the schema cannot
place, for the database to judge.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from backend.sql_validate.catalog import Catalog
from backend.sql_validate.scopes import Scopes, Source


def repair_filter_joins(tree: exp.Expr, catalog: Catalog, *, quoted_strings: bool = False) -> bool:
    """Turn inner joins that only filter and repeat rows into EXISTS; True when changed."""
    scopes = Scopes(tree, catalog, quoted_strings=quoted_strings)
    uses: dict[int, list[exp.Column]] = {}
    unsure: set[int] = set()
    for column, scope in scopes.columns():
        resolved = scopes.resolve(column, scope)
        if resolved.outcome != "ok" or resolved.source is None:
            unsure.update(id(level.expression) for level in scopes.chain(scope))
            continue
        uses.setdefault(id(resolved.source), []).append(column)
    changed = False
    for scope in scopes.scopes:
        select = scope.expression
        if not isinstance(select, exp.Select) or id(select) in unsure or not _may_change(select):
            continue
        for join in list(select.args.get("joins") or []):
            source = _filtering_source(scope, join, scopes, uses)
            if source is None or _on_whole_key(join, source, catalog):
                continue
            exists = exp.select("1").from_(join.this.copy()).where(join.args["on"].copy())
            join.pop()
            select.where(exp.Exists(this=exists), copy=False)
            changed = True
    return changed


def _may_change(select: exp.Select) -> bool:
    joins = select.args.get("joins") or []
    if select.args.get("distinct") or not joins:
        return False
    # A RIGHT or FULL join keeps rows the EXISTS in WHERE would then drop.
    if any(join.side in ("RIGHT", "FULL") for join in joins):
        return False
    if any(_is_star(p) for p in select.expressions):
        return False
    return not any(_in_own_scope(count, select) for count in select.find_all(exp.Count))


def _is_star(projection: exp.Expr) -> bool:
    return isinstance(projection, exp.Star) or (
        isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)
    )


def _in_own_scope(node: exp.Expr, select: exp.Select) -> bool:
    """Whether `node` belongs to `select` itself, not to a subquery inside it."""
    parent = node.parent
    while parent is not None and parent is not select:
        if isinstance(parent, exp.Query):
            return False
        parent = parent.parent
    return parent is select


def _filtering_source(
    scope: Scope, join: exp.Join, scopes: Scopes, uses: dict[int, list[exp.Column]]
) -> Source | None:
    """The joined table's source when the join is inner, on ON only, and nothing outside
    its ON reads it; else None."""
    table = join.this
    on = join.args.get("on")
    if not isinstance(table, exp.Table) or on is None or join.args.get("using"):
        return None
    if join.args.get("side") or join.args.get("method") or join.kind not in ("", "INNER"):
        return None
    sources = scopes.sources(scope)
    source = sources.get(table.alias_or_name)
    if source is None or source.table is None or source.hidden or source.scope is not None:
        return None
    if any(other.table == source.table for other in sources.values() if other is not source):
        return None  # a self-join pairs rows on purpose
    if any(not column.table for column in on.find_all(exp.Column)):
        return None
    if any(not _within(column, on) for column in uses.get(id(source), [])):
        return None
    return source


def _within(node: exp.Expr, ancestor: exp.Expr) -> bool:
    parent: exp.Expr | None = node
    while parent is not None:
        if parent is ancestor:
            return True
        parent = parent.parent
    return False


def _on_whole_key(join: exp.Join, source: Source, catalog: Catalog) -> bool:
    """Whether the ON equates the joined table's whole primary key with values from
    elsewhere: then each row has at most one match and nothing is repeated."""
    key = {c.lower() for c in catalog.primary_keys.get(source.table or "", ())}
    if not key:
        return False
    alias = source.alias.lower()
    on = join.args["on"]
    equated: set[str] = set()
    for condition in on.flatten() if isinstance(on, exp.And) else [on]:
        if not isinstance(condition, exp.EQ):
            continue
        sides = (condition.this, condition.expression)
        for here, there in (sides, sides[::-1]):
            if not isinstance(here, exp.Column) or here.table.lower() != alias:
                continue
            if all(c.table.lower() != alias for c in there.find_all(exp.Column)):
                equated.add(here.name.lower())
    return key <= equated
