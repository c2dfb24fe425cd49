"""The SQL guard: turns model-written SQL into one safe, capped, policy-checked SELECT.

`check_sql` parses the text with sqlglot, refuses anything that is not a single read
query (writes, DDL, SET, CALL, locks, INTO, variables, any function but the database's
known built-ins, executable comments, system schemas, unknown tables), applies the
caller's access policy (allowed tables, denied columns, row filters), caps the row count
and returns sqlglot's regenerated SQL. That regenerated text — comments dropped, row
filters built into the tree — is what gets executed, never the model's own text.

Refusals raise `SqlRejected` with one sentence a business user, or the model on a retry,
can act on: a catalogue message (domain "guard") that the page shows in the reader's
language, while `str()` stays English for the model, the logs and `keskinube sql check`.

Decisions worth knowing:
- `SELECT *` over a table with a denied column is refused (naming the column and listing
  the allowed ones), not narrowed to the allowed columns.
- Column attribution (sqlglot's `qualify`) runs only when the query reads a table that has
  denied columns; otherwise unknown or ambiguous columns are left to the database.
- A query longer than SQL_MAX_LENGTH characters or nested deeper than SQL_MAX_DEPTH
  brackets/CASE is refused before parsing; any other failure inside the guard is a refusal.
- Every database-qualified table name (`shop.orders`, `main.orders`) is refused: the guard
  does not know the current database's name, and the prefix is never needed.
- `CheckedSql.limit_applied` is the cap when the guard added or lowered the LIMIT, and
  None when the query's own LIMIT (at most `row_limit`) was kept.
- `CheckedSql.rules` names, per table read, the row filter applied (its condition with
  the user's values) and the columns hidden from the user: the answer says so.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel, SqlglotError

from backend.config import get_settings
from backend.dialects import canonical_dialect, sqlglot_dialect
from backend.domain import UNRESTRICTED, AccessPolicy, AppliedRule, CheckedSql
from backend.errors import SettingsError, SqlRejected
from backend.i18n.message import Message
from backend.sql_guard.columns import check_columns
from backend.sql_guard.complexity import SqlLimits
from backend.sql_guard.limits import apply_row_limit
from backend.sql_guard.row_filters import apply_row_filters, describe_filters
from backend.sql_guard.statements import check_nodes, drop_hints, parse_statement, reject
from backend.sql_guard.tables import KnownTables, find_table_reads

__all__ = ["KnownTables", "SqlLimits", "check_sql"]

_log = logging.getLogger(__name__)


def check_sql(
    sql: str,
    *,
    schema: Mapping[str, Sequence[str]] | KnownTables,
    dialect: str,
    row_limit: int,
    policy: AccessPolicy = UNRESTRICTED,
    user_attributes: Mapping[str, str] | None = None,
    limits: SqlLimits | None = None,
) -> CheckedSql:
    """Check `sql` and return the statement to run, or raise `SqlRejected` saying why not.

    `schema` maps each known table to its column names in ordinal order, or is that
    mapping already made a `KnownTables` (built once by callers that check many queries
    against one schema); `dialect` is "mysql" (MySQL or MariaDB), "postgresql" or "sqlite";
    `user_attributes` fill the `:user.<name>` placeholders of the policy's row filters;
    `limits` bound the query's length and nesting (default: SQL_MAX_LENGTH/SQL_MAX_DEPTH).

    Fails closed: anything unexpected while checking (a parser bug, a stack exhausted by
    nesting the caps let through) is a refusal too, never an exception of another kind.
    """
    if row_limit < 1:
        raise ValueError("row_limit must be at least 1")
    ours = canonical_dialect(dialect)  # an unknown dialect is the caller's bug: ValueError
    try:
        return _check(
            sql,
            schema=schema,
            dialect=ours,
            row_limit=row_limit,
            policy=policy,
            user_attributes=user_attributes or {},
            limits=limits or _configured_limits(),
        )
    except SqlRejected:
        raise
    except RecursionError as error:
        raise reject(Message.of("guard.too_complex")) from error
    except Exception as error:
        _log.exception("The SQL guard failed on a query; refused")
        raise reject(Message.of("guard.failed", problem=type(error).__name__)) from error


def _check(
    sql: str,
    *,
    schema: Mapping[str, Sequence[str]] | KnownTables,
    dialect: str,
    row_limit: int,
    policy: AccessPolicy,
    user_attributes: Mapping[str, str],
    limits: SqlLimits,
) -> CheckedSql:
    target = sqlglot_dialect(dialect)
    tree = parse_statement(sql, target, limits)
    drop_hints(tree)  # first: a hint's words are never run, and look like calls
    check_nodes(tree, dialect)
    known = schema if isinstance(schema, KnownTables) else KnownTables.from_schema(schema)
    reads = find_table_reads(tree, known, policy, dialect)
    check_columns(tree, reads, known, policy, target)
    filtered = apply_row_filters(reads, known, policy, user_attributes, target)
    limit_applied = apply_row_limit(tree, row_limit)
    tables = frozenset(read.name for read in reads)
    return CheckedSql(
        sql=_generate(tree, target),
        tables=tables,
        limit_applied=limit_applied,
        rules=_applied_rules(tables, filtered, known, policy, user_attributes, target),
    )


def _applied_rules(
    tables: frozenset[str],
    filtered: Mapping[str, exp.Expr],
    known: KnownTables,
    policy: AccessPolicy,
    attributes: Mapping[str, str],
    target: Dialect,
) -> tuple[AppliedRule, ...]:
    """The row filters (and the admin's words for them) and hidden columns on the tables
    read, in table-name order."""
    rules = []
    for table in sorted(tables, key=str.lower):
        predicate = filtered.get(table)
        condition = None if predicate is None else predicate.sql(dialect=target, comments=False)
        hidden = tuple(
            column
            for column in known.columns.get(table.lower(), ())
            if not policy.allows_column(table, column)
        )
        if condition is None and not hidden:
            continue
        described = None if condition is None else describe_filters(table, policy, attributes)
        rules.append(AppliedRule(table, condition, hidden, described))
    return tuple(rules)


def _configured_limits() -> SqlLimits:
    try:
        settings = get_settings()
    except SettingsError:  # the caps' defaults are safe; the settings error shows elsewhere
        return SqlLimits()
    return SqlLimits(max_length=settings.sql_max_length, max_depth=settings.sql_max_depth)


def _generate(tree: exp.Expr, target: Dialect) -> str:
    try:
        return tree.sql(dialect=target, comments=False, unsupported_level=ErrorLevel.RAISE)
    except SqlglotError as error:
        raise reject(Message.of("guard.unsupported_syntax", problem=str(error))) from error
