"""What is wrong with a query against the schema, as plain facts the model can act on.

Each problem carries an English sentence or two for the retry prompt (what is missing,
what exists instead: the table's columns, the table that has the column, the key path to
it) and a short catalogue message for the reader. Column problems are reported only when
sqlglot's own `qualify` (with `validate_qualify_columns`) also fails to resolve the
query's columns: two independent readings must agree before a query is stopped, so a
correct query is never held back by a corner of either.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope

from backend.i18n.message import Message
from backend.sql_validate.catalog import Catalog, Edge, path_text
from backend.sql_validate.scopes import Scopes, Source

_MAX_LISTED = 30  # columns listed for one table; wider tables get the closest names
_MAX_PROBLEMS = 4


@dataclass(frozen=True)
class Problem:
    """One mismatch: `text` for the model (English), `message` for the reader."""

    text: str
    message: Message


def unknown_tables(tree: exp.Expr, catalog: Catalog) -> list[Problem] | None:
    """Tables the schema does not have; None when the query reads a table the policy
    hides or names another database (the guard's refusal is the answer then)."""
    ctes = {cte.alias.lower() for cte in tree.find_all(exp.CTE)}
    problems: dict[str, Problem] = {}
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier) or table.name.lower() in ctes:
            continue
        name = table.name
        if table.args.get("db") or catalog.is_hidden(name):
            return None
        if catalog.table(name) is not None or name.lower() == "dual":
            continue
        close = catalog.close_tables(name)
        text = f"There is no table {name}."
        if close:
            text += f" The closest tables are: {', '.join(catalog.label(t) for t in close)}."
        elif len(catalog.tables) <= _MAX_LISTED:
            text += f" The tables are: {', '.join(sorted(catalog.tables))}."
        message = Message.of("engine.check.table", name=name)
        problems.setdefault(name.lower(), Problem(text, message))
    return list(problems.values())


def column_problems(
    tree: exp.Expr, catalog: Catalog, dialect: Dialect, *, quoted_strings: bool = False
) -> list[Problem]:
    """Unknown columns, undefined aliases and ambiguous columns, when `qualify` agrees."""
    scopes = Scopes(tree, catalog, quoted_strings=quoted_strings)
    problems: dict[str, Problem] = {}
    for column, scope in scopes.columns():
        resolved = scopes.resolve(column, scope)
        problem: Problem | None = None
        if resolved.outcome == "unknown_qualifier":
            problem = _unknown_qualifier(column, scope, scopes, catalog)
        elif resolved.outcome == "unknown_column":
            problem = _unknown_column(column, resolved.candidates, scopes, scope, catalog)
        elif resolved.outcome == "ambiguous" and _allowed(
            column.name, resolved.candidates, catalog
        ):
            problem = _ambiguous(column, resolved.candidates)
        if problem is not None:
            problems.setdefault(problem.text, problem)
    if not problems or _qualifies(tree, catalog.qualify_schema, dialect):
        return []  # `qualify` runs only to confirm: most queries are fine and skip it
    return list(problems.values())[:_MAX_PROBLEMS]


def join_problems(tree: exp.Expr, catalog: Catalog) -> list[Problem]:
    """JOIN … ON between two tables on key columns that are not a key pair, while a key
    path joins them: the path is stated (through the table in between when there is one)."""
    scopes = Scopes(tree, catalog)
    problems: list[Problem] = []
    for scope in scopes.scopes:
        select = scope.expression
        if not isinstance(select, exp.Select):
            continue
        for join in select.args.get("joins") or []:
            problem = _join_problem(join, scope, scopes, catalog)
            if problem is not None:
                problems.append(problem)
    return problems[:_MAX_PROBLEMS]


def _qualifies(tree: exp.Expr, schema: dict[str, object], dialect: Dialect) -> bool:
    copy = tree.copy()
    for identifier in copy.find_all(exp.Identifier):
        identifier.set("this", identifier.name.lower())
    try:
        qualify(
            copy,
            dialect=dialect,
            schema=schema,
            validate_qualify_columns=True,
            quote_identifiers=False,
        )
    except SqlglotError:
        return False
    return True


def _unknown_column(
    column: exp.Column,
    candidates: tuple[Source, ...],
    scopes: Scopes,
    scope: Scope,
    catalog: Catalog,
) -> Problem | None:
    name = column.name
    if any(s.hidden or s.columns is None for s in candidates):
        return None
    if any(s.table and catalog.has_any_column(s.table, name) for s in candidates):
        return None  # a denied column: the guard says so
    message = Message.of("engine.check.column", column=name)
    if column.table and candidates:
        source = candidates[0]
        text = f"{source.label()} has no column {name}."
    else:
        reads = ", ".join(s.label() for s in candidates) or "nothing"
        text = f"No table in this part of the query has a column {name} (it reads {reads})."
    close = [
        f"{s.alias}.{c}"
        for s in candidates
        if s.table
        for c in catalog.close_columns(catalog.tables[s.table], name, table=s.table)
    ][:3]
    sentences = [text, f"Did you mean {' or '.join(close)}?"] if close else [text]
    inside = _inside_subqueries(name, candidates, scopes)
    sentences += inside
    if not inside:
        sentences += _elsewhere(name, candidates, scopes, scope, catalog)
    for source in candidates[:3]:
        if source.table is not None:
            sentences.append(_columns_of(source.table, name, catalog))
        elif source.columns is not None:
            sentences.append(f"{source.alias} ({source.kind}) has only: {_listed(source.columns)}.")
    return Problem(" ".join(sentences), message)


def _inside_subqueries(name: str, candidates: tuple[Source, ...], scopes: Scopes) -> list[str]:
    """A column of a table read inside a WITH query or subquery, but not selected by it."""
    found = []
    for source in candidates:
        if source.scope is None:
            continue
        for inner in scopes.sources(source.scope).values():
            if inner.table and scopes.catalog.column(inner.table, name):
                spelling = scopes.catalog.column(inner.table, name)
                found.append(
                    f"{spelling} is a column of {inner.table}, which the {source.kind} "
                    f"{source.alias} reads but does not select: add it to {source.alias}'s "
                    f"SELECT list and use {source.alias}.{spelling}."
                )
                break
    return found


def _elsewhere(
    name: str,
    candidates: tuple[Source, ...],
    scopes: Scopes,
    scope: Scope,
    catalog: Catalog,
) -> list[str]:
    """Where a column of that name does exist: a table already read, or how to join one."""
    here = {s.table for s in candidates if s.table}
    reachable = [s for level in scopes.chain(scope) for s in scopes.sources(level).values()]
    sentences = []
    for table, spelling in catalog.tables_with(name):
        if table in here:
            continue
        read = next((s for s in reachable if s.table == table), None)
        if read is not None:
            sentences.append(
                f"{spelling} is a column of {read.label()}: write {read.alias}.{spelling}."
            )
        else:
            path = _path_from(here, table, catalog)
            join = f"; join {table} with {path_text(path)}" if path else ""
            sentences.append(f"{spelling} is a column of {table}{join}.")
        if len(sentences) == 2:
            break
    return sentences


def _path_from(tables: set[str], goal: str, catalog: Catalog) -> list[Edge] | None:
    paths = [p for t in sorted(tables) if (p := catalog.path(t, goal))]
    return min(paths, key=len) if paths else None


def _columns_of(table: str, name: str, catalog: Catalog) -> str:
    columns = catalog.tables[table]
    if len(columns) <= _MAX_LISTED:
        listed = ", ".join(catalog.label(table, c) for c in columns)
        return f"The columns of {table} are: {listed}."
    close = catalog.close_columns(columns, name, n=10, table=table)
    shown = list(dict.fromkeys([*close, *columns]))[:_MAX_LISTED]
    listed = ", ".join(catalog.label(table, c) for c in shown)
    return f"The columns of {table} include: {listed} ({len(columns)} in all)."


def _listed(names: tuple[str, ...]) -> str:
    shown = [n for n in names if n][:_MAX_LISTED]
    return ", ".join(shown) if shown else "unnamed expressions"


def _unknown_qualifier(
    column: exp.Column, scope: Scope, scopes: Scopes, catalog: Catalog
) -> Problem | None:
    qualifier, name = column.table, column.name
    message = Message.of("engine.check.alias", alias=qualifier)
    reads = [s for s in scopes.sources(scope).values()]
    if any(s.hidden for s in reads) or catalog.is_hidden(qualifier):
        return None
    listed = ", ".join(s.label() for s in reads) or "no table"
    table = catalog.table(qualifier)
    if table is not None:
        path = _path_from({s.table for s in reads if s.table}, table, catalog)
        join = f" Join it with {path_text(path)}." if path else ""
        text = (
            f"{qualifier}.{name} names table {table}, which is not in the FROM clause of "
            f"this part of the query (it reads {listed}).{join}"
        )
        return Problem(text, message)
    inner = _defined_inside(qualifier, scopes)
    if inner is not None:
        text = (
            f"{qualifier} is only defined inside the {inner.kind} {inner.alias}: add "
            f"{qualifier}.{name} to {inner.alias}'s SELECT list and use "
            f"{inner.alias}.{name} outside it."
        )
        return Problem(text, message)
    text = f"{qualifier} is not a table or alias in this part of the query; it reads {listed}."
    return Problem(text, message)


def _defined_inside(alias: str, scopes: Scopes) -> Source | None:
    """The WITH query or subquery (as its parent names it) whose FROM defines `alias`."""
    for scope in scopes.scopes:
        if not any(a.lower() == alias.lower() for a in scopes.sources(scope)):
            continue
        parent = scope.parent
        if parent is None:
            continue
        for source in scopes.sources(parent).values():
            if source.scope is scope:
                return source
    return None


def _allowed(name: str, candidates: tuple[Source, ...], catalog: Catalog) -> bool:
    """False when a table among `candidates` has `name` as a denied column (the guard's)."""
    return all(s.table is None or catalog.column(s.table, name) is not None for s in candidates)


def _ambiguous(column: exp.Column, candidates: tuple[Source, ...]) -> Problem:
    name = column.name
    options = " or ".join(f"{s.alias}.{name}" for s in candidates)
    labels = ", ".join(s.label() for s in candidates)
    text = f"Column {name} is in more than one table here ({labels}): write {options}."
    return Problem(text, Message.of("engine.check.ambiguous", column=name))


def _join_problem(join: exp.Join, scope: Scope, scopes: Scopes, catalog: Catalog) -> Problem | None:
    on = join.args.get("on")
    if on is None:
        return None
    pairs = []
    for condition in on.flatten() if isinstance(on, exp.And) else [on]:
        if isinstance(condition, exp.Paren):
            condition = condition.unnest()
        if not isinstance(condition, exp.EQ):
            continue
        left, right = condition.this, condition.expression
        if not (isinstance(left, exp.Column) and isinstance(right, exp.Column)):
            continue
        a, b = scopes.resolve(left, scope), scopes.resolve(right, scope)
        if a.outcome != "ok" or b.outcome != "ok" or not a.source or not b.source:
            return None
        if not a.source.table or not b.source.table or a.source.table == b.source.table:
            continue
        left_table, left_column = a.source.table, a.column or ""
        right_table, right_column = b.source.table, b.column or ""
        if not catalog.column(left_table, left_column) or not catalog.column(
            right_table, right_column
        ):
            return None  # a denied column: the guard's refusal is the answer
        if catalog.is_key_pair(left_table, left_column, right_table, right_column):
            return None
        # Two plain columns (namesakes, countries) are a deliberate join, not a key mistake.
        if catalog.is_key(left_table, left_column) or catalog.is_key(right_table, right_column):
            pairs.append((left_table, left_column, right_table, right_column))
    if not pairs:
        return None
    left_table, left_column, right_table, right_column = pairs[0]
    path = catalog.path(left_table, right_table)
    if not path:
        return None
    written = f"{left_table}.{left_column} = {right_table}.{right_column}"
    message = Message.of("engine.check.join", left=left_table, right=right_table)
    if len(path) == 1:
        text = (
            f"{left_table} and {right_table} are linked by the key {path_text(path)}, "
            f"not by {written}."
        )
    else:
        middle = ", ".join(_between(path, left_table))
        text = (
            f"{left_table} and {right_table} share no key ({written} is not one): join "
            f"them through {middle}: {path_text(path)}."
        )
    return Problem(text, message)


def _between(path: list[Edge], start: str) -> list[str]:
    """The tables strictly between the two ends of `path`, in order."""
    tables, node = [], start
    for edge in path[:-1]:
        node = edge.other(node)
        tables.append(node)
    return tables
