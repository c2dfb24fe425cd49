"""A table joined only to filter, which multiplies the rows: read as EXISTS.

A small model often joins a table the question does not need — `stores JOIN sales ON
stores.id = sales.store_id` to ask for one store's floor area — and reads nothing from
it. An inner join on a column that is not the joined table's whole primary key repeats
each row once per match: the store comes back once per sale, and a SUM over stores counts
each one per sale. Nothing of the joined table is shown, so the only thing the join can
mean beyond that repetition is "that has a matching row", which `EXISTS (SELECT 1 FROM
sales WHERE <the same ON>)` says without it: the same rows, each once.

Left as written: a SELECT that counts (`COUNT`, or `SUM` of a constant, in it or in a
query that reads it: "how many sales of the stores in the north" counts the joined rows
on purpose), that is DISTINCT (already once), that reads `*`, or that has a RIGHT or
FULL join (it keeps rows the EXISTS would drop); a join that is outer, USING, NATURAL or
without ON; a joined WITH query or subquery; a table joined to itself (rows paired on
purpose); a join on the joined table's whole primary key (nothing is repeated); an ON
with an unqualified column (inside EXISTS it could read the joined table's column of
that name); and any SELECT with a column the schema cannot place, a schema-qualified
column (`db.t.c`), two aliases spelt alike but for case, or an ON reading a column the
role may not: for the database, the facts or the guard to judge.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from backend.sql_validate.catalog import Catalog
from backend.sql_validate.scopes import Scopes, Source


def repair_filter_joins(tree: exp.Expr, catalog: Catalog, *, quoted_strings: bool = False) -> bool:
    """Turn inner joins that only filter and repeat rows into EXISTS; True when changed."""
    if not _readable(tree):
        return False
    counted = _counting_selects(tree)
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
        if _counted_outside(select, counted):
            continue
        for join in list(select.args.get("joins") or []):
            source = _filtering_source(scope, join, scopes, uses)
            if source is None or _on_whole_key(join, source, catalog):
                continue
            if not _on_allowed(join, source, catalog):
                continue
            exists = exp.select("1").from_(join.this.copy()).where(join.args["on"].copy())
            join.pop()
            select.where(exp.Exists(this=exists), copy=False)
            changed = True
    return changed


def _readable(tree: exp.Expr) -> bool:
    """Whether every column's table can be told for sure: no schema-qualified column
    (`db.t.c`, which the scopes do not place), and no two aliases spelt alike but for case
    (the databases that compare them case-insensitively bind the innermost)."""
    if any(column.args.get("db") for column in tree.find_all(exp.Column)):
        return False
    names: dict[str, set[str]] = {}
    for node in tree.find_all(exp.Table, exp.TableAlias):
        name = node.alias_or_name if isinstance(node, exp.Table) else node.name
        names.setdefault(name.lower(), set()).add(name)
    return all(len(spellings) == 1 for spellings in names.values())


def _counting_selects(tree: exp.Expr) -> list[exp.Select]:
    """The SELECTs that count rows: COUNT, or a SUM of a constant (a count in disguise)."""
    found: list[exp.Select] = []
    for node in tree.find_all(exp.Count, exp.Sum):
        if isinstance(node, exp.Sum) and node.this.find(exp.Column) is not None:
            continue
        select = node.find_ancestor(exp.Select)
        if select is not None:
            found.append(select)
    return found


def _counted_outside(select: exp.Select, counted: list[exp.Select]) -> bool:
    """Whether a SELECT that counts reads `select`'s rows: itself, or one around it (a
    derived table or WITH query counted one level out counts the joined rows too)."""
    for counting in counted:
        if counting is select or _within(select, counting):
            return True
        if _reads_cte_of(counting, select):
            return True
    return False


def _reads_cte_of(counting: exp.Select, select: exp.Select) -> bool:
    cte = select.parent
    if not isinstance(cte, exp.CTE):
        return False
    name = cte.alias.lower()
    return any(t.name.lower() == name for t in counting.find_all(exp.Table))


def _on_allowed(join: exp.Join, source: Source, catalog: Catalog) -> bool:
    """Whether the ON reads only columns of the joined table the role may read (a query
    touching a denied one is left to the guard, untouched)."""
    allowed = {c.lower() for c in catalog.tables.get(source.table or "", ())}
    alias = source.alias.lower()
    return all(
        column.name.lower() in allowed
        for column in join.args["on"].find_all(exp.Column)
        if column.table.lower() == alias
    )


def _may_change(select: exp.Select) -> bool:
    joins = select.args.get("joins") or []
    if select.args.get("distinct") or not joins:
        return False
    # A RIGHT or FULL join keeps rows the EXISTS in WHERE would then drop.
    if any(join.side in ("RIGHT", "FULL") for join in joins):
        return False
    return not any(p.is_star for p in select.expressions)


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
