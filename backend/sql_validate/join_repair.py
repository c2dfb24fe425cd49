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
  is joined on the key (a LEFT JOIN where an outer join may leave `s` out) and `col` read
  from it. The join changes nothing else: the SELECT's other unqualified columns, and
  those of its subqueries that read it or an outer query, are pinned to their table.

Anything less certain — a column spelt like one of the table's own (`c.name` for
`customer_name`, `CUST_NM` beside `CUST_NO`: maybe a misspelling), two candidate tables,
a key of several columns, a path of two keys, a SELECT with comma joins, a name already
used as an alias or WITH query here or in an outer query — is left for the schema check's
facts, and so is a join that would change what else the SELECT reads: one under
`SELECT *` (more columns), next to a USING join (a merged column made ambiguous) or where
another unknown column would come from it. Only tables and columns the policy allows are
ever joined or named: the catalogue holds nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from backend.sql_validate.catalog import Catalog, Edge
from backend.sql_validate.join_safety import (
    can_join,
    condition_columns,
    misspelt_here,
    null_extended,
    plain_select,
    taken_names,
)
from backend.sql_validate.scopes import Scopes, Source


def repair_join_columns(
    tree: exp.Expr, catalog: Catalog, *, quoted_strings: bool = False, fold_case: bool = False
) -> bool:
    """Apply the three repairs of the module; True when the query changed. With
    `fold_case` (PostgreSQL, which reads an unquoted `Visits` as `visits`), a schema name
    written anew is quoted unless it is in lower case."""
    scopes = Scopes(tree, catalog, quoted_strings=quoted_strings)
    changed = _repair_join_conditions(scopes, fold_case)
    if changed:  # the ON repair changed the tree: resolve the scopes afresh for the columns
        scopes = Scopes(tree, catalog, quoted_strings=quoted_strings)
    return _repair_columns(scopes, fold_case) or changed


def _repair_join_conditions(scopes: Scopes, fold_case: bool) -> bool:
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
                    this=exp.column(_name(here, fold_case), _alias(scopes, scope, left[0])),
                    expression=exp.column(_name(there, fold_case), _alias(scopes, scope, right[0])),
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


# A column to read from elsewhere: the column, its new qualifier, its spelling there.
_Target = tuple[exp.Column, exp.Identifier, str]


@dataclass(frozen=True)
class _Join:
    """A table to join to a SELECT: `table` on `edge`, from the source aliased `base`."""

    table: str
    edge: Edge
    base: Source


def _repair_columns(scopes: Scopes, fold_case: bool) -> bool:
    catalog = scopes.catalog
    in_conditions = condition_columns(scopes)
    joins: dict[int, dict[str, _Join]] = {}
    targets: list[_Target] = []
    joined_reads: dict[int, list[_Target]] = {}  # read from a join
    unsettled: dict[int, tuple[exp.Column, Scope]] = {}  # by id: unknown, unqualified
    for column, scope in list(scopes.columns()):
        resolved = scopes.resolve(column, scope)
        if resolved.outcome != "unknown_column":
            continue
        if not column.table:
            unsettled[id(column)] = (column, scope)  # until a join below settles it
        if id(column) in in_conditions or not plain_select(scope):
            continue
        sources = scopes.sources(scope)
        if any(s.columns is None or s.hidden for s in sources.values()):
            continue
        if misspelt_here(catalog, column, resolved.candidates):
            continue
        bases = _bases(scopes, scope, column, resolved.source)
        if isinstance(bases, tuple):
            targets.append(bases)
            continue
        if not bases or not can_join(scope):
            continue
        planned = joins.setdefault(id(scope), {})
        taken = taken_names(scopes, scope)
        found = _neighbour(catalog, column.name, bases, sources, taken, planned)
        if found is None:
            continue
        join, spelling = found
        planned[join.table] = join
        read = (column, _name(join.table, fold_case), spelling)
        joined_reads.setdefault(id(scope), []).append(read)
        unsettled.pop(id(column), None)
    _drop_capturing(scopes, joins, unsettled.values())
    joined = [scope for scope in scopes.scopes if joins.get(id(scope))]
    targets += [target for scope in joined for target in joined_reads[id(scope)]]
    if not targets:
        return False
    targets += _pinned(scopes, joined, {id(column) for column, _, _ in targets})
    for scope in joined:
        _add_joins(scopes, scope, joins[id(scope)].values(), fold_case)
    for column, qualifier, spelling in targets:
        column.set("table", qualifier)
        column.this.set("this", spelling)
        if fold_case and spelling != spelling.lower():
            column.this.set("quoted", True)
    return True


def _bases(
    scopes: Scopes, scope: Scope, column: exp.Column, source: Source | None
) -> _Target | list[Source]:
    """Where unknown `column` of `scope` is to be read: the one other source of the SELECT
    that has it (`s.col`), else the tables whose neighbours may have it (none: leave it)."""
    catalog = scopes.catalog
    sources = scopes.sources(scope)
    if not column.table:
        return [s for s in sources.values() if s.table is not None]
    if source is None or source.table is None:
        return []
    if catalog.has_any_column(source.table, column.name):
        return []  # a denied column: the guard says so
    holders = [
        (s, spelling)
        for s in sources.values()
        if s.alias != source.alias and (spelling := _has(s, column.name)) is not None
    ]
    if len(holders) != 1:
        return [] if holders else [source]
    holder, spelling = holders[0]
    if holder.table is not None and spelling not in catalog.tables[holder.table]:
        return []  # a denied column is not named: the guard's refusal says why
    return column, _alias(scopes, scope, holder), spelling


def _add_joins(scopes: Scopes, scope: Scope, joins: Iterable[_Join], fold_case: bool) -> None:
    """Join each table on its key: a LEFT JOIN where an outer join may leave its base out
    (an inner join would drop the rows the outer join keeps), else an inner join."""
    select = scope.expression
    assert isinstance(select, exp.Select)  # `_plain_select` let only SELECTs through
    optional = null_extended(scope)
    for join in joins:
        here, there = _key_columns(join.edge, join.base.table or "")
        condition = exp.EQ(
            this=exp.column(_name(here, fold_case), _alias(scopes, scope, join.base)),
            expression=exp.column(_name(there, fold_case), _name(join.table, fold_case)),
        )
        select.join(
            exp.Table(this=_name(join.table, fold_case)),
            on=condition,
            join_type="LEFT" if join.base.alias in optional else None,
            copy=False,
        )


def _pinned(scopes: Scopes, joined: list[Scope], moving: set[int]) -> list[_Target]:
    """The unqualified columns that read a source of a SELECT about to gain a join, each
    with its source's alias: the joined table may have a column of the same name, which
    would make the unqualified name ambiguous."""
    if not joined:
        return []
    gaining = {id(scope) for scope in joined}
    pinned = []
    for column, scope in scopes.columns():
        if column.table or id(column) in moving:
            continue
        resolved = scopes.resolve(column, scope)
        source = resolved.source
        if resolved.outcome != "ok" or source is None:
            continue
        # From the column's SELECT out to the one it reads: a join on the way may shadow it.
        for level in scopes.chain(scope):
            if id(level) in gaining:
                qualifier = _alias(scopes, scope, source)
                pinned.append((column, qualifier, resolved.column or column.name))
                break
            if scopes.sources(level).get(source.alias) is source:
                break
    return pinned


def _drop_capturing(
    scopes: Scopes,
    joins: dict[int, dict[str, _Join]],
    unsettled: Iterable[tuple[exp.Column, Scope]],
) -> None:
    """Give up the joins of a SELECT where a column no source has, left as written, would
    be read from a joined table: `full_name` of doctors or of patients is not for a join
    made for `speciality` to decide."""
    catalog = scopes.catalog
    for column, scope in unsettled:
        for level in scopes.chain(scope):
            planned = joins.get(id(level), {})
            if any(catalog.has_any_column(table, column.name) for table in planned):
                planned.clear()


def _alias(scopes: Scopes, scope: Scope, source: Source) -> exp.Identifier:
    """The name `source` (of `scope` or an outer query) has in the query, quoted as the
    query quotes it: PostgreSQL reads an unquoted alias `V` as `v`, a quoted "Visits" as is."""
    for level in scopes.chain(scope):
        if scopes.sources(level).get(source.alias) is not source:
            continue
        node = level.selected_sources[source.alias][0]
        alias = node.args.get("alias")
        name = alias.this if isinstance(alias, exp.TableAlias) and alias.this else node.this
        if isinstance(name, exp.Identifier):
            return name.copy()
    return exp.to_identifier(source.alias)


def _name(name: str, fold_case: bool) -> exp.Identifier:
    """A schema name written anew: quoted where unquoted names fold to lower case."""
    if fold_case and name != name.lower():
        return exp.to_identifier(name, quoted=True)
    return exp.to_identifier(name)


def _has(source: Source, name: str) -> str | None:
    """`source`'s spelling of column `name`, case-insensitively; None when it lacks it."""
    lowered = name.lower()
    return next((c for c in source.columns or () if c.lower() == lowered), None)


def _neighbour(
    catalog: Catalog,
    name: str,
    bases: list[Source],
    sources: dict[str, Source],
    taken: set[str],
    planned: dict[str, _Join],
) -> tuple[_Join, str] | None:
    """The one table linked by a single-column key to one of `bases` that has `name`, when
    no name in `taken` (lower-cased) stands for something else."""
    read = {s.table for s in sources.values() if s.table is not None}
    options: dict[str, tuple[_Join, str]] = {}
    for base in bases:
        for edge in catalog.edges.get(base.table or "", ()):
            other = edge.other(base.table or "")
            spelling = catalog.column(other, name)
            if spelling is None or other in read or len(edge.columns) != 1:
                continue
            if other.lower() in taken:
                return None  # its name already stands for another table here
            if other in options:
                return None  # two keys lead there: which one is meant is unclear
            options[other] = (planned.get(other) or _Join(other, edge, base), spelling)
    return next(iter(options.values())) if len(options) == 1 else None
