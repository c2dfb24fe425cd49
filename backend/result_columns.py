"""`column_hints`: what the SQL behind a result says about its columns, for charts and tables.

A result's columns come in the order of the outer SELECT's expressions, so each column is
followed back from its expression, through derived tables and WITH queries, to the
schema's columns:

- *money*: the value is computed from a money column (`AVG(o.shipping_cost)`,
  `SUM(quantity * unit_price)`), not from a count, a condition or a ratio of two amounts.
  A schema column is money when its name says so (`backend.charts.names.is_money`: amount,
  price, cost, total that is not an integer type ...), the rule the charts already use.
- *averages*: an `AVG(...)`, also under `ROUND` or a cast.
- *labels*: outside English, a plain column (`p.method AS payment_method`) takes the first
  synonym that the schema's knowledge gives it in the reader's language ('método de pago'),
  and a count named after the table it counts (`COUNT(*) AS payments`) the table's. English
  keeps the humanised column name: the schema's words are English already.
- *counts*: a `COUNT(...)`; and when it counts a table's rows (`COUNT(*)`, `COUNT(o.id)`,
  not `COUNT(DISTINCT ...)`, and through derived tables that only filter one table), that
  table's plural noun: its synonym in the reader's language, else its humanised name.

Anything not understood (a `*`, an unknown table, SQL that does not parse) gives no hint:
then the name rules of `backend.charts.names` apply, as they always did.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlglot import exp
from sqlglot.errors import SqlglotError

from backend.charts.hints import NO_HINTS, ColumnHints
from backend.charts.names import in_sentence, is_money, plural, plural_label, words
from backend.dialects import sqlglot_dialect
from backend.domain import TableDoc
from backend.i18n import normalise_language
from backend.knowledge.model import Knowledge

MAX_DEPTH = 8  # derived tables followed, at most
Source = TableDoc | exp.Select
_WRAPPERS = (exp.Paren, exp.Round, exp.Cast, exp.TryCast)


def column_hints(
    sql: str,
    columns: Sequence[str],
    *,
    dialect: str,
    tables: Mapping[str, TableDoc],
    knowledge: Knowledge | None = None,
    language: str = "en",
    include_drafts: bool = True,
) -> ColumnHints:
    """Hints for the result `columns` of `sql`; `NO_HINTS` when the SQL can't be followed.

    `tables`: the schema by table name; `knowledge`: the admin's descriptions and synonyms
    (drafts only when `include_drafts`), for labels in `language`.
    """
    select = _parse(sql, dialect)
    if select is None:
        return NO_HINTS
    projections = select.expressions
    if len(projections) != len(columns) or any(_is_star(p) for p in projections):
        return NO_HINTS
    scope = _Scope(select, _Schema(tables, _ctes(select)))
    money, averages, counts, labels, counted = set(), set(), set(), {}, {}
    for name, projection in zip(columns, projections, strict=True):
        node = projection.unalias()
        if scope.money(node):
            money.add(name)
        if scope.average(node):
            averages.add(name)
        if isinstance(_unwrap(node), exp.Count):
            counts.add(name)
        label = _label(scope.origin(node, str(name)), knowledge, language, include_drafts)
        if label:
            labels[name] = label
        table = scope.rows_counted(node, str(name))
        if table is not None:
            counted[name] = _noun(table, knowledge, language, include_drafts)
    return ColumnHints(frozenset(money), frozenset(averages), labels, frozenset(counts), counted)


class _Schema:
    """The tables and WITH queries a query can read, by lower-case name."""

    def __init__(self, tables: Mapping[str, TableDoc], ctes: dict[str, exp.Select]) -> None:
        self.tables = {name.lower(): table for name, table in tables.items()}
        self.ctes = ctes

    def source(self, name: str) -> Source | None:
        return self.ctes.get(name.lower()) or self.tables.get(name.lower())


class _Scope:
    """One SELECT: the sources its FROM and JOINs name, and how its columns resolve."""

    def __init__(self, select: exp.Select, schema: _Schema, depth: int = 0) -> None:
        self.schema, self.depth = schema, depth
        self.sources: dict[str, Source] = {}
        joins = [join.this for join in select.args.get("joins") or []]
        start = select.args.get("from_")
        for node in [start.this if start is not None else None, *joins]:
            self._add(node)

    def _add(self, node: exp.Expr | None) -> None:
        if isinstance(node, exp.Table):
            found = self.schema.source(node.name)
            if found is not None:
                self.sources[node.alias_or_name.lower()] = found
        elif isinstance(node, exp.Subquery):
            inner = _first_select(node.this)
            if inner is not None:
                self.sources[node.alias.lower()] = inner

    def resolve(self, column: exp.Column) -> tuple[Source, str] | None:
        """The source and column name that `column` reads, or None when unknown."""
        qualifier, name = column.table.lower(), column.name
        if qualifier:
            found = self.sources.get(qualifier)
            candidates = [found] if found is not None else []
        else:
            candidates = list(self.sources.values())
        for source in candidates:
            if _has(source, name):
                return source, name
        return None

    def inner(self, column: exp.Column) -> tuple[_Scope, exp.Expr] | TableDoc | None:
        """Where a column's value is computed: a derived table's expression, or a table."""
        found = self.resolve(column)
        if found is None or self.depth >= MAX_DEPTH:
            return None
        source, name = found
        if isinstance(source, TableDoc):
            return source
        scope = _Scope(source, self.schema, self.depth + 1)
        projection = _projection(source, name)
        if projection is None:  # `SELECT *` of a derived table: the column is its source's
            return scope.inner(exp.column(name))
        return scope, projection.unalias()

    def money(self, node: exp.Expr | None) -> bool:
        if node is None or isinstance(node, exp.Count | exp.Predicate | exp.Connector):
            return False
        if isinstance(node, exp.Column):
            return self._column_money(node)
        if isinstance(node, exp.Div):  # an amount per thing is money, a ratio of amounts not
            return self.money(node.this) and not self.money(node.expression)
        if isinstance(node, exp.If):  # the condition is not the value
            return self.money(node.args.get("true")) or self.money(node.args.get("false"))
        if isinstance(node, exp.Case):
            ifs = node.args.get("ifs") or []
            return any(self.money(i) for i in ifs) or self.money(node.args.get("default"))
        if isinstance(node, exp.Window):
            return self.money(node.this)
        if isinstance(node, exp.Subquery):
            inner = _first_select(node.this)
            if inner is None or len(inner.expressions) != 1:
                return False
            return _Scope(inner, self.schema, self.depth + 1).money(inner.expressions[0].unalias())
        return any(self.money(child) for child in node.iter_expressions())

    def _column_money(self, column: exp.Column) -> bool:
        inner = self.inner(column)
        if isinstance(inner, TableDoc):
            return _money_column(inner, column.name)
        return inner is not None and inner[0].money(inner[1])

    def average(self, node: exp.Expr) -> bool:
        node = _unwrap(node)
        if isinstance(node, exp.Avg):
            return True
        if not isinstance(node, exp.Column):
            return False
        inner = self.inner(node)
        return isinstance(inner, tuple) and inner[0].average(inner[1])

    def rows_counted(self, node: exp.Expr, name: str) -> TableDoc | None:
        """The table whose rows a `COUNT(*)`/`COUNT(col)` counts; with several tables
        joined, `COUNT(*)` counts the one it is named after (`COUNT(*) AS orders`)."""
        node = _unwrap(node)
        if not isinstance(node, exp.Count):
            return None
        counted = node.this
        if isinstance(counted, exp.Column) and not counted.is_star:
            found = self.resolve(counted)
            return None if found is None else self._rows_of(found[0])
        if not isinstance(counted, exp.Star | exp.Literal):  # DISTINCT, CASE ...: not rows
            return None
        tables = [t for t in map(self._rows_of, self.sources.values()) if t is not None]
        if len(self.sources) == 1:
            return tables[0] if tables else None
        return next((t for t in tables if words(t.name) == words(name)), None)

    def _rows_of(self, source: Source) -> TableDoc | None:
        """The table whose rows `source` holds one for one: the table itself, or a derived
        table that only filters one (as the guard's row filters do); else None."""
        if isinstance(source, TableDoc):
            return source
        grouped = any(source.args.get(key) for key in ("group", "distinct", "joins"))
        if grouped or self.depth >= MAX_DEPTH or isinstance(source.parent, exp.SetOperation):
            return None
        if any(p.find(exp.AggFunc) for p in source.expressions):
            return None
        inner = _Scope(source, self.schema, self.depth + 1)
        sources = list(inner.sources.values())
        return inner._rows_of(sources[0]) if len(sources) == 1 else None

    def origin(self, node: exp.Expr, name: str) -> tuple[str, str] | None:
        """(table, column) of a plain column, (table, '') of a count named after its table."""
        node = _unwrap(node)
        if isinstance(node, exp.Count):
            counted = [s for s in self.sources.values() if isinstance(s, TableDoc)]
            named = [t.name for t in counted if words(t.name) == words(name)]
            return (named[0], "") if named else None
        if not isinstance(node, exp.Column):
            return None
        inner = self.inner(node)
        if isinstance(inner, TableDoc):
            return inner.name, _column_name(inner, node.name)
        return None if inner is None else inner[0].origin(inner[1], node.name)


def _parse(sql: str, dialect: str) -> exp.Select | None:
    try:
        trees = sqlglot_dialect(dialect).parse(sql)
    except (SqlglotError, ValueError, RecursionError):
        return None
    if len(trees) != 1 or trees[0] is None:
        return None
    return _first_select(trees[0])


def _first_select(node: exp.Expr | None) -> exp.Select | None:
    """The SELECT whose expressions name the columns: the first of a UNION's."""
    while isinstance(node, exp.Subquery | exp.SetOperation):
        node = node.this
    return node if isinstance(node, exp.Select) else None


def _ctes(select: exp.Select) -> dict[str, exp.Select]:
    found = {}
    for cte in select.find_all(exp.CTE):
        inner = _first_select(cte.this)
        if inner is not None:
            found[cte.alias.lower()] = inner
    return found


def _is_star(node: exp.Expr) -> bool:
    return isinstance(node, exp.Star) or (isinstance(node, exp.Column) and node.is_star)


def _has(source: Source, name: str) -> bool:
    if isinstance(source, TableDoc):
        return name.lower() in (c.lower() for c in source.column_names)
    return _projection(source, name) is not None or any(_is_star(p) for p in source.expressions)


def _projection(select: exp.Select, name: str) -> exp.Expr | None:
    lowered = name.lower()
    return next((p for p in select.expressions if p.alias_or_name.lower() == lowered), None)


def _column_name(table: TableDoc, name: str) -> str:
    return next((c for c in table.column_names if c.lower() == name.lower()), name)


def _money_column(table: TableDoc, name: str) -> bool:
    column = next((c for c in table.columns if c.name.lower() == name.lower()), None)
    if column is None:
        return False
    return is_money(column.name, integer_typed="INT" in column.type.upper())


def _unwrap(node: exp.Expr) -> exp.Expr:
    while isinstance(node, _WRAPPERS):
        node = node.this
    return node


def _noun(table: TableDoc, knowledge: Knowledge | None, language: str, include_drafts: bool) -> str:
    """'orders' / 'pedidos': the knowledge's word for the table in `language`, else the
    plural of its humanised name (a Spanish one only where the glossary knows it)."""
    known = _label((table.name, ""), knowledge, language, include_drafts)
    return known or plural_label(table.name, language) or plural(in_sentence(table.name))


def _label(
    origin: tuple[str, str] | None,
    knowledge: Knowledge | None,
    language: str,
    include_drafts: bool,
) -> str | None:
    """The knowledge's first synonym in `language` for (table, column); None in English."""
    code = normalise_language(language)
    if origin is None or knowledge is None or code in {None, "en"}:
        return None
    entry = knowledge.entry(*origin)
    if entry is None or not (include_drafts or entry.reviewed):
        return None
    synonyms: tuple[str, ...] = getattr(entry, f"synonyms_{code}", ())
    return next((s.strip() for s in synonyms if s.strip()), None)
