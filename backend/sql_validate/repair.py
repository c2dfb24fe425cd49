"""Deterministic repairs of identifiers: the schema's own spelling, not a job for the model.

- A table spelled in another case (`orders` for `ORDERS`) is renamed to the schema's
  spelling when exactly one visible table matches: MariaDB and MySQL on Linux compare
  table names (and aliases) case-sensitively, so the model's spelling fails there.
- A qualifier in another case (`O.total` for alias `o`) takes the alias's spelling.
- A column that exists in another case takes the schema's spelling; one spelled with
  other separators (`customer_id` for `CustomerId`) is renamed when exactly one column of
  the tables it may come from matches once case and separators are ignored. A renamed
  column that is itself a select-list item keeps its old name as its alias, so an outer
  query, ORDER BY or the reader still finds the name the model gave it.

- `YEAR(col)` and `EXTRACT(YEAR FROM col)` of a column that holds a year as a plain
  number (`catalog.year_numbers`) become `col`: on MySQL and MariaDB the function gives
  NULL for 1998, so the query would silently find nothing.

- `ts BETWEEN '2025-03-01' AND '2025-03-31'` on a DATETIME or TIMESTAMP column
  (`catalog.timestamps`) becomes `ts >= '2025-03-01' AND ts < '2025-04-01'`, and
  `ts <= '2025-03-31'` becomes `ts < '2025-04-01'`: a bare date is its midnight, so the
  last day's rows after 00:00 were silently left out.

- A WITH query named like a table (`WITH orders AS (SELECT … FROM orders …)`) is renamed
  (`orders_cte`), and every later reference reads the new name under the old one as its
  alias: the guard refuses a WITH query that shadows a table, since which of the two a
  name reads would then depend on where it stands.

- On MySQL and MariaDB, a subquery with LIMIT under IN, ANY, ALL or SOME (which they
  refuse: "doesn't yet support 'LIMIT & IN/ALL/ANY/SOME subquery'") is read from a
  derived table, which they accept: `IN (SELECT * FROM (SELECT … LIMIT 3) AS limited)`.

Only tables the policy shows and columns it allows are ever renamed to; anything else is
left as written, for the guard to refuse.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from backend.sql_validate.catalog import Catalog, normalise
from backend.sql_validate.scopes import Scopes, Source


def repair_tables(tree: exp.Expr, catalog: Catalog) -> bool:
    """Rename tables to the schema's spelling; True when one was renamed."""
    ctes = {cte.alias.lower() for cte in tree.find_all(exp.CTE)}
    changed = False
    for table in tree.find_all(exp.Table):
        identifier = table.this
        if not isinstance(identifier, exp.Identifier) or table.args.get("db"):
            continue
        name = identifier.name
        if name.lower() in ctes or name in catalog.tables:
            continue
        real = catalog.table(name)
        if real is not None:
            identifier.set("this", real)
            changed = True
    return changed


def repair_columns(tree: exp.Expr, catalog: Catalog, *, quoted_strings: bool = False) -> bool:
    """Give qualifiers and columns the spelling of what they refer to; True on a change."""
    scopes = Scopes(tree, catalog, quoted_strings=quoted_strings)
    changed = False
    for column, scope in list(scopes.columns()):
        qualifier = column.args.get("table")
        if isinstance(qualifier, exp.Identifier):
            source = scopes.qualifier(scope, qualifier.name)
            if source is not None and source.alias != qualifier.name:
                qualifier.set("this", source.alias)
                changed = True
        resolved = scopes.resolve(column, scope)
        if resolved.outcome == "ok" and resolved.source is not None:
            changed |= _respell(column, resolved.source, resolved.column, catalog)
        elif resolved.outcome == "unknown_column":
            changed |= _rename(column, resolved.candidates, catalog)
    return changed


def _respell(column: exp.Column, source: Source, spelling: str | None, catalog: Catalog) -> bool:
    """The schema's case for a column that exists (cosmetic on MySQL and SQLite, but exact)."""
    if source.table is None or spelling is None or spelling == column.name:
        return False
    if spelling not in catalog.tables[source.table]:
        return False
    column.this.set("this", spelling)
    return True


def _rename(
    column: exp.Column,
    candidates: tuple[Source, ...],
    catalog: Catalog,
) -> bool:
    """`customer_id` → `CustomerId` when exactly one column it may mean is spelled like it."""
    name = column.name
    if not column.table and any(s.columns is None or s.hidden for s in candidates):
        return False
    wanted = normalise(name)
    matches: list[tuple[Source, str]] = []
    for source in candidates:
        names = source.columns or ()
        matches += [(source, c) for c in names if normalise(c) == wanted]
    if len(matches) != 1:
        return False
    source, spelling = matches[0]
    if source.table is None or spelling not in catalog.tables[source.table]:
        return False
    original = column.copy()
    column.this.set("this", spelling)
    if column.arg_key == "expressions" and isinstance(column.parent, exp.Select):
        column.replace(exp.alias_(column.copy(), original.this.copy()))
    return True


def repair_year_of_number(
    tree: exp.Expr, catalog: Catalog, *, quoted_strings: bool = False
) -> bool:
    """`YEAR(col)` → `col` where `col` already holds the year as a number; True on a change."""
    if tree.find(exp.Year, exp.Extract) is None:  # most queries: skip resolving scopes
        return False
    scopes = Scopes(tree, catalog, quoted_strings=quoted_strings)
    changed = False
    for column, scope in list(scopes.columns()):
        call = _year_call(column)
        if call is None:
            continue
        found = _table_column(scopes, column, scope)
        if found is not None and found[1] in catalog.year_numbers.get(found[0], ()):
            call.replace(column.copy())
            changed = True
    return changed


def _table_column(scopes: Scopes, column: exp.Column, scope: Scope) -> tuple[str, str] | None:
    """The (table, column) `column` reads, when it resolves to exactly one table's."""
    resolved = scopes.resolve(column, scope)
    source = resolved.source
    if resolved.outcome != "ok" or source is None or source.table is None:
        return None
    if resolved.column is None:
        return None
    return source.table, resolved.column


_BARE_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def repair_last_day(tree: exp.Expr, catalog: Catalog, *, quoted_strings: bool = False) -> bool:
    """A timestamp compared up to a bare date keeps that whole day; True on a change."""
    if tree.find(exp.Between, exp.LTE) is None:  # most queries: skip resolving scopes
        return False
    scopes = Scopes(tree, catalog, quoted_strings=quoted_strings)
    changed = False
    for column, scope in list(scopes.columns()):
        parent = column.parent
        if not isinstance(parent, exp.Between | exp.LTE) or parent.this is not column:
            continue
        high = parent.args.get("high") if isinstance(parent, exp.Between) else parent.expression
        day_after = _day_after(high)
        if day_after is None:
            continue
        found = _table_column(scopes, column, scope)
        if found is None or found[1] not in catalog.timestamps.get(found[0], ()):
            continue
        before = exp.LT(this=column.copy(), expression=exp.Literal.string(day_after))
        if isinstance(parent, exp.Between):
            low = exp.GTE(this=column.copy(), expression=parent.args["low"].copy())
            parent.replace(exp.paren(exp.and_(low, before), copy=False))
        else:
            parent.replace(before)
        changed = True
    return changed


def _day_after(node: exp.Expr | None) -> str | None:
    """The ISO day after a bare-date string literal ('2025-03-31' → '2025-04-01')."""
    if not isinstance(node, exp.Literal) or not node.is_string:
        return None
    text = node.this.strip()
    if not _BARE_DATE.fullmatch(text):
        return None
    try:
        return (dt.date.fromisoformat(text) + dt.timedelta(days=1)).isoformat()
    except ValueError:
        return None


def _year_call(column: exp.Column) -> exp.Expr | None:
    """The YEAR(...) or EXTRACT(YEAR FROM ...) whose whole argument is `column`, if any."""
    node: exp.Expr = column
    parent = node.parent
    if isinstance(parent, exp.TsOrDsToDate | exp.Cast | exp.TryCast) and parent.this is node:
        node, parent = parent, parent.parent  # sqlglot reads MySQL's YEAR(x) as YEAR(DATE(x))
    if isinstance(parent, exp.Year) and parent.this is node:
        return parent
    if (
        isinstance(parent, exp.Extract)
        and parent.expression is node
        and parent.name.upper() == "YEAR"
    ):
        return parent
    return None


def repair_limited_subqueries(tree: exp.Expr) -> bool:
    """Wrap LIMITed subqueries under IN/ANY/ALL/SOME in a derived table; True on a change."""
    changed = False
    taken: set[str] | None = None  # the query's aliases, read only when one is needed
    for node in list(tree.find_all(exp.In, exp.Any, exp.All)):
        inner = node.args.get("query") if isinstance(node, exp.In) else node.this
        query = inner.this if isinstance(inner, exp.Subquery) else inner
        if not isinstance(query, exp.Query) or not query.args.get("limit"):
            continue
        if taken is None:
            taken = {alias.lower() for alias in _aliases(tree)}
        alias = _free_alias("limited", taken)
        wrapped = exp.select("*").from_(query.copy().subquery(alias))
        query.replace(wrapped)
        changed = True
    return changed


def repair_count_division(tree: exp.Expr) -> bool:
    """On PostgreSQL, a division by or of a count divides exactly, as on MySQL; True on a
    change.

    PostgreSQL divides integers as integers: `COUNT(*) / (SELECT COUNT(*) …)` is 0 for
    every share under 100%, so "customers with at least 5% of orders" silently finds
    none. Nobody asking a business question means that; sqlglot writes MySQL's division
    for PostgreSQL (a cast to double precision, and NULL rather than an error on zero).
    """
    changed = False
    for division in tree.find_all(exp.Div):
        if not division.args.get("typed"):
            continue
        if _is_count(division.this) or _is_count(division.expression):
            division.set("typed", False)
            division.set("safe", True)
            changed = True
    return changed


def _is_count(node: exp.Expr | None) -> bool:
    """A COUNT, bracketed or not, or a subquery selecting one."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Subquery):
        query = node.this
        if isinstance(query, exp.Select) and len(query.expressions) == 1:
            node = query.expressions[0]
            node = node.this if isinstance(node, exp.Alias) else node
    return isinstance(node, exp.Count)


def _aliases(tree: exp.Expr) -> list[str]:
    names = [t.alias_or_name for t in tree.find_all(exp.Table)]
    return names + [node.alias for node in tree.find_all(exp.Subquery, exp.CTE) if node.alias]


def _free_alias(stem: str, taken: set[str]) -> str:
    """`stem`, `stem_2`, ... : the first not in `taken`, which it then joins."""
    alias, n = stem, 1
    while alias.lower() in taken:
        n += 1
        alias = f"{stem}_{n}"
    taken.add(alias.lower())
    return alias


def repair_cte_names(tree: exp.Expr, catalog: Catalog) -> bool:
    """Rename WITH queries that have a table's name; True on a change."""
    changed = False
    taken: set[str] | None = None
    for clause in list(tree.find_all(exp.With)):
        if clause.args.get("recursive") or clause.parent is None:
            continue  # in a recursive WITH the name inside the body means the WITH query
        ctes = list(clause.expressions)
        for position, cte in enumerate(ctes):
            name = cte.alias
            if catalog.table(name) is None and name.lower() not in catalog.hidden:
                continue
            if taken is None:
                taken = {alias.lower() for alias in _aliases(tree)}
            new = _free_alias(f"{name}_cte", taken)
            # In its own body and the earlier ones the name still means the table.
            before = {id(t) for c in ctes[: position + 1] for t in c.this.find_all(exp.Table)}
            for table in list(clause.parent.find_all(exp.Table)):
                if id(table) in before or table.args.get("db") or table.name != name:
                    continue
                if not table.alias:  # the old name, quoted as written, for its qualifiers
                    table.set("alias", exp.TableAlias(this=table.this.copy()))
                table.set("this", exp.to_identifier(new))
            cte.set("alias", exp.TableAlias(this=exp.to_identifier(new)))
            changed = True
    return changed
