"""Denied columns: find every column a query reads and the real table it comes from.

The check runs on a lower-cased copy of the tree qualified by sqlglot's optimizer with
the indexed schema, so each column is attributed to its source through aliases,
subqueries, WITH queries, USING/NATURAL joins and correlated references; unresolvable or
ambiguous columns are refused. `SELECT *` (and `t.*`) over a table with a denied column is
refused with its own message rather than silently narrowed: the user sees why, and the
model learns to list the columns it needs.
"""

from __future__ import annotations

import re

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import OptimizeError, SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope, walk_in_scope

from backend.domain import AccessPolicy
from backend.i18n.message import Message
from backend.sql_guard.joins import check_joins, denied_by_fold, fold
from backend.sql_guard.statements import reject
from backend.sql_guard.tables import KnownTables, TableRead

# sqlglot's words for a column that no table of the query has.
_NOT_FOUND = re.compile(
    r"Column '(?P<column>.*)' could not be resolved(?: for table: '(?P<table>.*)')?"
)


def check_columns(
    tree: exp.Expr,
    reads: list[TableRead],
    known: KnownTables,
    policy: AccessPolicy,
    dialect: Dialect,
) -> None:
    """Reject the query if it reads a column `policy` denies, in any shape."""
    guarded = {table for table, _ in policy.denied_columns}
    if not any(read.name.lower() in guarded for read in reads):
        return
    _check_stars(reads, known, policy)
    _check_renamed_columns(reads, known, policy)
    _check_aliases(tree, reads, known, policy)
    _check_source_names(tree)
    check_joins(tree, reads, known, policy)
    qualified = _qualified_copy(tree, known, dialect)
    _check_whole_rows(qualified)
    scopes = _scope_of_columns(qualified)
    for column in qualified.find_all(exp.Column):
        if isinstance(column.this, exp.Star):
            continue
        scope = scopes.get(id(column))
        if scope is None:  # fail closed: every column must belong to a scope we understand
            raise reject(Message.of("guard.column.unchecked", column=column.sql()))
        _check_column(column, scope, policy, known)


def _scope_of_columns(tree: exp.Expr) -> dict[int, Scope]:
    found: dict[int, Scope] = {}
    for scope in traverse_scope(tree):
        for node in walk_in_scope(scope.expression):
            if isinstance(node, exp.Column):
                found.setdefault(id(node), scope)
    return found


def _check_whole_rows(qualified: exp.Expr) -> None:
    """Refuse a reference to a whole row: on PostgreSQL it carries every column of its
    source, denied ones included.

    Two spellings: a source's name used as a value (`to_jsonb(e)`, `e::text`, `(e).salary`,
    or `age(e)`, which PostgreSQL reads as `e.age`), which sqlglot's qualification marks as
    a `TableColumn`; and `e.*` anywhere but a select list (`to_jsonb(e.*)`, `concat(e.*)`,
    `ORDER BY e.*`) — qualification has already expanded select-list stars into columns.
    """
    for row in qualified.find_all(exp.TableColumn):
        raise reject(Message.of("guard.column.whole_row", name=row.name))
    for column in qualified.find_all(exp.Column):
        if isinstance(column.this, exp.Star):
            raise reject(Message.of("guard.column.whole_row", name=f"{column.table}.*"))


def _check_stars(reads: list[TableRead], known: KnownTables, policy: AccessPolicy) -> None:
    for read in reads:
        hidden = _denied(read.name, known, policy)
        select = read.node.parent.parent if read.node.parent else None
        if not hidden or not isinstance(select, exp.Select) or _under_exists(select):
            continue
        if _selects_all_of(select, read.node):
            allowed = [c for c in known.columns[read.name.lower()] if c not in hidden]
            raise reject(
                Message.of(
                    "guard.column.star",
                    table=read.name,
                    column=hidden[0],
                    allowed=", ".join(allowed),
                )
            )


def _check_renamed_columns(
    reads: list[TableRead], known: KnownTables, policy: AccessPolicy
) -> None:
    """Refuse `employees AS t(a, b, c)` on a table with denied columns: the list renames the
    table's columns by position, so `c` may be the denied salary under a harmless name."""
    for read in reads:
        alias = read.node.args.get("alias")
        if not isinstance(alias, exp.TableAlias) or not alias.columns:
            continue
        if _denied(read.name, known, policy):
            raise reject(Message.of("guard.column.renamed", table=read.name, alias=alias.sql()))


def _check_aliases(
    tree: exp.Expr, reads: list[TableRead], known: KnownTables, policy: AccessPolicy
) -> None:
    # Engines differ on whether GROUP BY / HAVING / ORDER BY names mean the alias or the
    # column; an alias that shadows a denied column would make the answer depend on it.
    denied = denied_by_fold(reads, known, policy)
    names = [a.alias for a in tree.find_all(exp.Alias)]
    names += [i.name for t in tree.find_all(exp.TableAlias) for i in t.columns]
    for name in names:
        if fold(name) in denied:
            raise reject(Message.of("guard.column.alias", alias=name, column=denied[fold(name)]))


def _check_source_names(tree: exp.Expr) -> None:
    """Refuse two table names or aliases that differ only in case.

    The column check compares names lower-cased, as sqlglot's resolution needs; MariaDB
    and MySQL on Linux tell table names and aliases apart by case. `(SELECT e.salary FROM
    payroll E)` inside `FROM employees e` is payroll's salary to a lower-cased check and
    employees.salary to the database.
    """
    spellings: dict[str, str] = {}
    names = [t.alias_or_name for t in tree.find_all(exp.Table)]
    names += [s.alias for s in tree.find_all(exp.Subquery) if s.alias]
    names += [c.alias for c in tree.find_all(exp.CTE)]
    for name in names:
        first = spellings.setdefault(name.lower(), name)
        if first != name:
            raise reject(Message.of("guard.column.name_case", first=first, second=name))


def _denied(table: str, known: KnownTables, policy: AccessPolicy) -> list[str]:
    return [c for c in known.columns[table.lower()] if not policy.allows_column(table, c)]


def _selects_all_of(select: exp.Select, table: exp.Table) -> bool:
    for projection in select.expressions:
        if isinstance(projection, exp.Star):
            return True
        if (
            isinstance(projection, exp.Column)
            and isinstance(projection.this, exp.Star)
            and projection.table.lower() == table.alias_or_name.lower()
        ):
            return True
    return False


def _under_exists(select: exp.Select) -> bool:
    """True for the query EXISTS tests directly, whose projections decide nothing.

    Not for a branch of a set operation under EXISTS: `EXISTS (SELECT salary ... INTERSECT
    SELECT 5200)` is true exactly when the guess is right, so those projections count.
    """
    parent = select.parent
    if isinstance(parent, exp.Subquery) and not parent.alias:
        parent = parent.parent
    return isinstance(parent, exp.Exists)


def _is_star(projection: exp.Expr) -> bool:
    return isinstance(projection, exp.Star) or (
        isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)
    )


def _qualified_copy(tree: exp.Expr, known: KnownTables, dialect: Dialect) -> exp.Expr:
    copy = tree.copy()
    for identifier in copy.find_all(exp.Identifier):
        identifier.set("this", identifier.name.lower())
    for select in copy.find_all(exp.Select):
        _forget_implicit_names(select)
        if _under_exists(select):  # EXISTS (SELECT * ...) reads no columns through its *;
            # every other projection is checked: GROUP BY 1 or HAVING can make it count.
            projections = select.expressions
            select.set(
                "expressions",
                [exp.Literal.number(1) if _is_star(p) else p for p in projections],
            )
    schema: dict[str, object] = {
        table: {column.lower(): "TEXT" for column in columns}
        for table, columns in known.columns.items()
    }
    try:
        return qualify(
            copy,
            dialect=dialect,
            schema=schema,
            validate_qualify_columns=True,
            quote_identifiers=False,
        )
    except OptimizeError as error:
        raise reject(_unresolved(error)) from error
    except SqlglotError as error:
        raise reject(Message.of("guard.column.check_failed", problem=str(error))) from error


def _forget_implicit_names(select: exp.Select) -> None:
    """Name each projection that is neither aliased nor a plain column so nothing can
    refer to it.

    sqlglot and the database do not agree on such a projection's name: sqlglot calls
    `CAST('salary' AS CHAR)` "salary", MariaDB calls it "CAST('salary' AS CHAR)". Left to
    sqlglot, `(SELECT salary FROM (SELECT CAST('salary' AS CHAR)) d)` would read the
    derived table's harmless column, where the database reads the outer employees.salary;
    `ORDER BY salary` next to such a projection likewise. Renamed, a reference by that
    name resolves as the database resolves it, or not at all (a refusal).
    """
    select.set(
        "expressions",
        [
            p if isinstance(p, (exp.Alias, exp.Column, exp.Star)) else exp.alias_(p, f"_kk_{i}")
            for i, p in enumerate(select.expressions)
        ],
    )


def _unresolved(error: OptimizeError) -> Message:
    message = str(error).split(". Line:")[0]
    if "could not be resolved" in message or "Ambiguous" in message:
        return Message.of("guard.column.unresolved", problem=_unresolved_problem(message))
    return Message.of("guard.column.check_failed", problem=message)


def _unresolved_problem(message: str) -> Message | str:
    """sqlglot's sentence that opens the reason: a catalogue message where it is a column
    that does not exist, else its own (English) words."""
    found = _NOT_FOUND.fullmatch(message)
    if found and found["table"] is not None:
        return Message.of("guard.column.not_found_in", column=found["column"], table=found["table"])
    if found:
        return Message.of("guard.column.not_found", column=found["column"])
    problem = message.strip()
    return problem[:1].upper() + problem[1:]


def _check_column(
    column: exp.Column, scope: Scope, policy: AccessPolicy, known: KnownTables
) -> None:
    if not column.table:
        if not _is_output_alias(column):
            raise reject(Message.of("guard.column.unattributed", column=column.name))
        return
    source = _source(scope, column.table)
    if source is None:
        raise reject(Message.of("guard.column.unattributed", column=column.sql()))
    if isinstance(source, exp.Table) and not policy.allows_column(source.name, column.name):
        table = known.names.get(source.name, source.name)
        spelling = next(
            (c for c in known.columns.get(source.name, ()) if c.lower() == column.name),
            column.name,
        )
        raise reject(Message.of("guard.column.denied", table=table, column=spelling))


def _source(scope: Scope | None, name: str) -> exp.Table | Scope | None:
    while scope is not None:
        if name in scope.sources:
            return scope.sources[name]
        scope = scope.parent
    return None


def _is_output_alias(column: exp.Column) -> bool:
    query = column.find_ancestor(exp.Query)
    return isinstance(query, exp.Query) and column.name in query.named_selects
