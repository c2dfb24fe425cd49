"""Columns taken from the wrong table, put right by the schema's foreign keys.

A small model's commonest unknown column is a real column of another table: it qualifies
it with the wrong alias, joins two tables on a column one of them lacks, or reads a
neighbour's column without joining the neighbour. Told so, it mostly repeats the mistake;
the foreign keys say what it meant whenever there is exactly one way to read it:

- `JOIN b ON a.x = b.y` where `a.x` or `b.y` does not exist, and exactly one single-column
  foreign key links the two tables: the ON becomes that key (`a.id = b.a_id`).
- `s.col` where the table `s` stands for has no `col` but exactly one other table of the
  same SELECT has it: `col` is read from that table's alias.
- `col` (or `s.col`) that no table of the SELECT has, where exactly one table linked to
  one of them (to `s`, when qualified) by a single-column foreign key has it: that table
  is joined on the key and `col` read from it.

Anything less certain — a column spelt like one of the table's own (`c.name` for
`customer_name`, `CUST_NM` beside `CUST_NO`: maybe a misspelling), two candidate tables, a
key of several columns, a path of two keys, a SELECT with comma joins, a name already
used as an alias — is left for the schema check's facts. Only tables and columns the
policy allows are ever joined or named: the catalogue holds nothing else.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from backend.schema_render import identifier_words
from backend.sql_validate.catalog import Catalog, Edge, word_key
from backend.sql_validate.scopes import Scopes, Source

# How alike two names must be for one to be a typo of the other (`maker` and `make`: 0.89).
_TYPO_RATIO = 0.8


def repair_join_columns(tree: exp.Expr, catalog: Catalog, *, quoted_strings: bool = False) -> bool:
    """Apply the three repairs of the module; True when the query changed."""
    changed = _repair_join_conditions(Scopes(tree, catalog, quoted_strings=quoted_strings))
    # The ON repair changed the tree: resolve the scopes afresh for the columns.
    scopes = Scopes(tree, catalog, quoted_strings=quoted_strings)
    return _repair_columns(scopes) or changed


def _repair_join_conditions(scopes: Scopes) -> bool:
    catalog = scopes.catalog
    changed = False
    for scope in scopes.scopes:
        select = scope.expression
        if not isinstance(select, exp.Select):
            continue
        for join in select.args.get("joins") or []:
            on = join.args.get("on")
            if not isinstance(on, exp.EQ):
                continue
            left = _table_side(scopes, scope, on.this)
            right = _table_side(scopes, scope, on.expression)
            if left is None or right is None or left[0].table == right[0].table:
                continue
            if all(catalog.has_any_column(s.table or "", c.name) for s, c in (left, right)):
                continue  # both columns exist: a join on other columns is the author's call
            edge = _only_edge(catalog, left[0].table or "", right[0].table or "")
            if edge is None:
                continue
            here, there = _key_columns(edge, left[0].table or "")
            on.replace(
                exp.EQ(
                    this=exp.column(here, table=left[0].alias),
                    expression=exp.column(there, table=right[0].alias),
                )
            )
            changed = True
    return changed


def _table_side(scopes: Scopes, scope: Scope, node: exp.Expr) -> tuple[Source, exp.Column] | None:
    """The base table `node` (a qualified column of this SELECT) reads, with the column."""
    if not isinstance(node, exp.Column) or not node.table:
        return None
    source = scopes.sources(scope).get(node.table) or scopes.qualifier(scope, node.table)
    if source is None or source.table is None or source.hidden:
        return None
    return source, node


def _only_edge(catalog: Catalog, table: str, other: str) -> Edge | None:
    edges = [e for e in catalog.edges.get(table, ()) if e.other(table) == other]
    if len(edges) != 1 or len(edges[0].columns) != 1:
        return None
    return edges[0]


def _key_columns(edge: Edge, table: str) -> tuple[str, str]:
    """The key's column on `table`'s side, then on the other side."""
    if edge.table == table:
        return edge.columns[0], edge.ref_columns[0]
    return edge.ref_columns[0], edge.columns[0]


@dataclass(frozen=True)
class _Join:
    """A table to join to a SELECT: `table` on `edge`, from the source aliased `base`."""

    table: str
    edge: Edge
    base: Source


def _repair_columns(scopes: Scopes) -> bool:
    in_conditions = _condition_columns(scopes)
    joins: dict[int, dict[str, _Join]] = {}
    targets: dict[int, list[tuple[exp.Column, str, str]]] = {}  # column, qualifier, spelling
    unsettled: set[int] = set()  # SELECTs with an unknown column no key settles
    for column, scope in list(scopes.columns()):
        if id(column) in in_conditions:
            continue
        resolved = scopes.resolve(column, scope)
        if resolved.outcome != "unknown_column":
            continue
        planned = joins.setdefault(id(scope), {})
        settled = _settle(scopes, scope, column, resolved.source, resolved.candidates, planned)
        if settled is None:
            unsettled.add(id(scope))
            continue
        qualifier, spelling, join = settled
        if join is not None:
            planned[join.table] = join
        targets.setdefault(id(scope), []).append((column, qualifier, spelling))
    # A SELECT is repaired whole or not at all: a join added for one column could settle
    # another, left unclear, without anyone having chosen it.
    chosen = [scope for scope in scopes.scopes if targets.get(id(scope))]
    chosen = [scope for scope in chosen if id(scope) not in unsettled]
    if not chosen:
        return False
    joined = [scope for scope in chosen if joins.get(id(scope))]
    moving = [target for scope in chosen for target in targets[id(scope)]]
    moving += _pinned(scopes, joined, {id(column) for column, _, _ in moving})
    for scope in joined:
        select = scope.expression
        assert isinstance(select, exp.Select)  # `_plain_select` let only SELECTs through
        for join in joins[id(scope)].values():
            here, there = _key_columns(join.edge, join.base.table or "")
            condition = exp.EQ(
                this=exp.column(here, table=join.base.alias),
                expression=exp.column(there, table=join.table),
            )
            select.join(exp.Table(this=exp.to_identifier(join.table)), on=condition, copy=False)
    for column, qualifier, spelling in moving:
        column.set("table", exp.to_identifier(qualifier))
        column.this.set("this", spelling)
    return True


def _settle(
    scopes: Scopes,
    scope: Scope,
    column: exp.Column,
    source: Source | None,
    candidates: tuple[Source, ...],
    planned: dict[str, _Join],
) -> tuple[str, str, _Join | None] | None:
    """Where the unknown `column` is read from: (qualifier, spelling, the join it needs);
    None when the keys do not settle it."""
    catalog = scopes.catalog
    sources = scopes.sources(scope)
    if not _plain_select(scope) or any(s.columns is None or s.hidden for s in sources.values()):
        return None
    if _misspelt_here(catalog, column, candidates):
        return None
    bases = [s for s in sources.values() if s.table is not None]
    if column.table:
        if source is None or source.table is None:
            return None
        if catalog.has_any_column(source.table, column.name):
            return None  # a denied column: the guard says so
        holders = [
            (s, spelling)
            for s in sources.values()
            if s.alias != source.alias and (spelling := _has(s, column.name)) is not None
        ]
        if len(holders) == 1:
            return holders[0][0].alias, holders[0][1], None
        if holders:
            return None
        bases = [source]
    found = _neighbour(catalog, column.name, bases, sources, planned)
    if found is None:
        return None
    join, spelling = found
    return join.table, spelling, join


def _pinned(
    scopes: Scopes, joined: list[Scope], moving: set[int]
) -> list[tuple[exp.Column, str, str]]:
    """The unqualified columns that read a source of a SELECT about to gain a join, each
    with its source's alias: the joined table may have a column of the same name, which
    would make the unqualified name ambiguous."""
    if not joined:
        return []
    owners = {id(source): scope for scope in joined for source in scopes.sources(scope).values()}
    pinned = []
    for column, scope in scopes.columns():
        if column.table or id(column) in moving:
            continue
        resolved = scopes.resolve(column, scope)
        source = resolved.source
        if resolved.outcome == "ok" and source is not None and id(source) in owners:
            pinned.append((column, source.alias, resolved.column or column.name))
    return pinned


def _misspelt_here(catalog: Catalog, column: exp.Column, candidates: tuple[Source, ...]) -> bool:
    """Whether a table `column` may come from has a column it may be a misspelling of: one
    whose name holds all its words (`name` for `customer_name`), one a letter or two away
    (`maker` for `make`), or one the knowledge calls so. Then the facts ask the model
    which it meant, rather than a neighbour's column being read."""
    asked = column.name.lower()
    words = set(identifier_words(column.name))
    for source in candidates:
        if source.table is None:
            continue
        said = catalog.column_words.get(source.table, {})
        for name in catalog.tables[source.table]:
            if words and words <= set(identifier_words(name)):
                return True
            if difflib.SequenceMatcher(None, asked, name.lower()).ratio() >= _TYPO_RATIO:
                return True
            if word_key(column.name) in said.get(name, ()):
                return True
    return False


def _plain_select(scope: Scope) -> bool:
    """A SELECT with a FROM whose joins all have a condition: MySQL binds `a, b JOIN c ON`
    as `a, (b JOIN c ON …)`, so a join added after a comma could not see `a`."""
    select = scope.expression
    if not isinstance(select, exp.Select) or select.args.get("from_") is None:
        return False
    joins = select.args.get("joins") or []
    return all(j.args.get("on") is not None or j.args.get("using") for j in joins)


def _condition_columns(scopes: Scopes) -> set[int]:
    """The columns inside JOIN … ON: repointing one of them could compare a column with
    itself; `_repair_join_conditions` had its say on them."""
    found: set[int] = set()
    for scope in scopes.scopes:
        for join in scope.expression.args.get("joins") or []:
            on = join.args.get("on")
            if on is not None:
                found |= {id(c) for c in on.find_all(exp.Column)}
    return found


def _has(source: Source, name: str) -> str | None:
    """`source`'s spelling of column `name`, case-insensitively; None when it lacks it."""
    lowered = name.lower()
    return next((c for c in source.columns or () if c.lower() == lowered), None)


def _neighbour(
    catalog: Catalog,
    name: str,
    bases: list[Source],
    sources: dict[str, Source],
    planned: dict[str, _Join],
) -> tuple[_Join, str] | None:
    """The one table linked by a single-column key to one of `bases` that has `name`."""
    read = {s.table for s in sources.values() if s.table is not None}
    aliases = {alias.lower() for alias in sources}
    options: dict[str, tuple[_Join, str]] = {}
    for base in bases:
        for edge in catalog.edges.get(base.table or "", ()):
            other = edge.other(base.table or "")
            spelling = catalog.column(other, name)
            if spelling is None or other in read or len(edge.columns) != 1:
                continue
            if other.lower() in aliases:
                return None  # its name already stands for another table here
            if other in options:
                return None  # two keys lead there: which one is meant is unclear
            options[other] = (planned.get(other) or _Join(other, edge, base), spelling)
    return next(iter(options.values())) if len(options) == 1 else None
