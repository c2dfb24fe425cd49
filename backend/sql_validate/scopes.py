"""Where each column of a query comes from, by sqlglot's scopes and the policy's catalogue.

Names are compared case-insensitively, as the database compares column names, but the
query's own spellings are kept, so the repair can see which spelling differs from the
schema's. A source whose columns cannot be known (a table function, an unknown table, a
star over one) makes every unqualified column of its scope unknowable: such columns are
skipped, never reported — the database still has the last word on them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, ScopeType, traverse_scope, walk_in_scope

from backend.sql_validate.catalog import Catalog

Outcome = Literal["ok", "skip", "unknown_qualifier", "unknown_column", "ambiguous"]


@dataclass(frozen=True)
class Source:
    """A table or subquery a scope selects from, as the query names it (`alias`)."""

    alias: str
    table: str | None = None  # the visible table's schema spelling
    columns: tuple[str, ...] | None = None  # every name it offers; None when unknowable
    scope: Scope | None = None  # a WITH query or derived table
    hidden: bool = False

    @property
    def kind(self) -> str:
        if self.scope is not None and self.scope.scope_type == ScopeType.CTE:
            return "WITH query"
        return "subquery"

    def label(self) -> str:
        if self.table is None:
            return self.alias
        return self.table if self.alias == self.table else f"{self.table} (as {self.alias})"


@dataclass(frozen=True)
class Resolved:
    outcome: Outcome
    source: Source | None = None
    column: str | None = None  # the source's spelling when found
    candidates: tuple[Source, ...] = ()


class Scopes:
    """The scopes of one parsed query, with each scope's sources resolved once."""

    def __init__(self, tree: exp.Expr, catalog: Catalog, *, quoted_strings: bool = False) -> None:
        self.catalog = catalog
        # SQLite reads a double-quoted name that is no column as a string: never report it.
        self.quoted_strings = quoted_strings
        self.scopes = traverse_scope(tree)
        self.ctes = {cte.alias.lower() for cte in tree.find_all(exp.CTE)}
        self._sources: dict[int, dict[str, Source]] = {}

    def columns(self) -> Iterator[tuple[exp.Column, Scope]]:
        """Every plain column reference with its innermost scope (inner scopes first)."""
        seen: set[int] = set()
        for scope in self.scopes:
            for node in walk_in_scope(scope.expression):
                if not isinstance(node, exp.Column) or id(node) in seen:
                    continue
                seen.add(id(node))
                plain = isinstance(node.this, exp.Identifier) and not node.args.get("db")
                if plain and node.find_ancestor(exp.Lambda) is None:
                    yield node, scope

    def sources(self, scope: Scope) -> dict[str, Source]:
        """What `scope` selects from (FROM and JOIN), by the name the query uses."""
        found = self._sources.get(id(scope))
        if found is None:
            found = {
                name: self._source(name, source)
                for name, (_node, source) in scope.selected_sources.items()
            }
            self._sources[id(scope)] = found
        return found

    def chain(self, scope: Scope) -> list[Scope]:
        """`scope`, then the outer scopes a correlated subquery may reach."""
        levels = [scope]
        while levels[-1].can_be_correlated and levels[-1].parent is not None:
            levels.append(levels[-1].parent)
        return levels

    def qualifier(self, scope: Scope, name: str) -> Source | None:
        """The source `name.column` refers to: exact spelling, else one case-insensitive match."""
        levels = [self.sources(level) for level in self.chain(scope)]
        for sources in levels:
            if name in sources:
                return sources[name]
        for sources in levels:
            found = [s for alias, s in sources.items() if alias.lower() == name.lower()]
            if found:
                return found[0] if len(found) == 1 else None
        return None

    def resolve(self, column: exp.Column, scope: Scope) -> Resolved:
        name = column.name
        if column.table:
            source = self.qualifier(scope, column.table)
            if source is None:
                return Resolved("unknown_qualifier")
            if source.columns is None or source.hidden:
                return Resolved("skip")
            match = _ci(source.columns, name)
            if match is not None:
                return Resolved("ok", source, match)
            return Resolved("unknown_column", source, candidates=(source,))
        if _names_output_alias(column):
            return Resolved("skip")
        for level in self.chain(scope):
            sources = self.sources(level)
            if any(s.columns is None or s.hidden for s in sources.values()):
                return Resolved("skip")
            having = [s for s in sources.values() if _ci(s.columns or (), name) is not None]
            if len(having) == 1:
                return Resolved("ok", having[0], _ci(having[0].columns or (), name))
            if len(having) > 1:
                if _joins_by_name(level):
                    return Resolved("skip")
                return Resolved("ambiguous", candidates=tuple(having))
        if self.quoted_strings and column.this.quoted:
            return Resolved("skip")
        return Resolved("unknown_column", candidates=tuple(self.sources(scope).values()))

    def outputs(self, scope: Scope) -> tuple[str, ...] | None:
        """The column names a WITH query or derived table offers; None when unknowable."""
        expression = scope.expression
        listed = _alias_columns(expression)
        if listed:
            return listed
        if isinstance(expression, exp.SetOperation):
            left = scope.set_operation_scopes[0] if scope.set_operation_scopes else None
            return self.outputs(left) if left is not None else None
        if not isinstance(expression, exp.Select):
            return None
        names: list[str] = []
        for projection in expression.expressions:
            if isinstance(projection, exp.Star):
                parts = [s.columns for s in self.sources(scope).values()]
            elif isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
                found = self.qualifier(scope, projection.table)
                parts = [found.columns if found is not None else None]
            else:
                names.append(projection.alias_or_name)
                continue
            if any(part is None for part in parts):
                return None
            names.extend(name for part in parts for name in part or ())
        return tuple(names)

    def _source(self, name: str, source: exp.Table | Scope) -> Source:
        if isinstance(source, Scope):
            return Source(name, columns=self.outputs(source), scope=source)
        if not isinstance(source.this, exp.Identifier) or source.args.get("db"):
            return Source(name)
        if self.catalog.is_hidden(source.name):
            return Source(name, hidden=True)
        table = self.catalog.table(source.name)
        if table is None:
            return Source(name)
        return Source(name, table, self.catalog.all_columns[table])


def _ci(names: tuple[str, ...], name: str) -> str | None:
    if name in names:
        return name
    lowered = name.lower()
    return next((n for n in names if n.lower() == lowered), None)


def _alias_columns(expression: exp.Expr) -> tuple[str, ...]:
    parent = expression.parent
    alias = parent.args.get("alias") if isinstance(parent, (exp.Subquery, exp.CTE)) else None
    if isinstance(alias, exp.TableAlias) and alias.columns:
        return tuple(column.name for column in alias.columns)
    return ()


def _names_output_alias(column: exp.Column) -> bool:
    """Whether `column`, outside its SELECT list, may name one of that SELECT's aliases
    (MySQL and SQLite accept them in GROUP BY, HAVING and ORDER BY)."""
    child: exp.Expr = column
    parent = column.parent
    while parent is not None and not isinstance(parent, exp.Select):
        child, parent = parent, parent.parent
    if parent is None or child.arg_key == "expressions":
        return False
    aliases = {p.alias.lower() for p in parent.expressions if isinstance(p, exp.Alias)}
    return column.name.lower() in aliases


def _joins_by_name(scope: Scope) -> bool:
    """USING and NATURAL joins merge same-named columns: not ambiguous there."""
    select = scope.expression
    joins = select.args.get("joins") or [] if isinstance(select, exp.Select) else []
    return any(join.args.get("using") or join.args.get("method") for join in joins)
