"""Check model-written SQL against the indexed schema before it runs, and fix its spelling.

`validate_sql` parses the query with sqlglot and, without a database round trip:

- repairs what is certain (`repair`): table and column identifiers in another case, and
  columns spelled with other separators (`customer_id` for `CustomerId`) when exactly one
  column matches; a column taken from the wrong table when the foreign keys say which
  table has it (`join_repair`); a WITH query named like a table; a one-row WITH query's
  column used without reading it (`scalar_cte`); an inner join that reads nothing of its
  table and repeats rows, as EXISTS (`filter_join`); `YEAR()` of a column that already holds
  a year as a number; a DATETIME compared up to a bare date; on MySQL a LIMITed subquery
  under IN/ANY/ALL read from a derived table; on PostgreSQL a division of counts made
  exact — returned as sqlglot's regenerated SQL in the target dialect;
- finds what is not (`facts`): unknown tables (with the closest real names), unknown
  columns (the table's real columns, or the table that has the column and the key path to
  it), columns used outside the WITH query or subquery that defines them, undefined and
  ambiguous aliases, and JOIN … ON on columns that are not a foreign-key pair while a key
  path joins the two tables.

It never weakens the guard: `check_sql` still runs on whatever this returns, and a query
this cannot read (no parse, several statements, not a SELECT, an executable comment) is
returned untouched for the guard to judge. Only tables and columns the actor's policy
allows are ever named or used; a query touching anything hidden is left to the guard.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from backend.dialects import MYSQL, POSTGRESQL, SQLITE, canonical_dialect, sqlglot_dialect
from backend.domain import UNRESTRICTED, AccessPolicy
from backend.errors import SqlRejected
from backend.schema_view import SchemaView
from backend.sql_guard.statements import EXECUTABLE_COMMENT
from backend.sql_validate.catalog import catalog_for
from backend.sql_validate.facts import Problem, column_problems, join_problems, unknown_tables
from backend.sql_validate.filter_join import repair_filter_joins
from backend.sql_validate.join_repair import repair_join_columns
from backend.sql_validate.repair import (
    repair_columns,
    repair_count_division,
    repair_cte_names,
    repair_last_day,
    repair_limited_subqueries,
    repair_tables,
    repair_year_of_number,
)
from backend.sql_validate.scalar_cte import repair_scalar_ctes

__all__ = ["Problem", "SqlInvalid", "Validation", "validate_sql", "validated_sql"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Validation:
    """The SQL to pass on (repaired when `repaired`) and what is wrong with it, if anything."""

    sql: str
    repaired: bool = False
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


class SqlInvalid(SqlRejected):
    """The query does not fit the schema. `str()` is the facts for the model (English);
    `message` is the first problem's catalogue message, for the reader."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(problems[0].message)
        self.problems = tuple(problems)

    def __str__(self) -> str:
        return "\n".join(problem.text for problem in self.problems)


def validate_sql(
    sql: str, *, view: SchemaView, dialect: str, policy: AccessPolicy = UNRESTRICTED
) -> Validation:
    """Repair `sql`'s identifiers and find what in it does not fit `view` (see the module)."""
    target = sqlglot_dialect(dialect)
    tree = _parse(sql, target)
    if tree is None:
        return Validation(sql)
    catalog = catalog_for(view, policy)
    quoted_strings = canonical_dialect(dialect) == SQLITE
    folds = canonical_dialect(dialect) == POSTGRESQL  # unquoted names read as lower case
    try:
        repaired = repair_cte_names(tree, catalog)
        repaired = repair_tables(tree, catalog) or repaired
        repaired = repair_columns(tree, catalog, quoted_strings=quoted_strings) or repaired
        repaired = repair_scalar_ctes(tree, catalog, quoted_strings=quoted_strings) or repaired
        repaired = (
            repair_join_columns(tree, catalog, quoted_strings=quoted_strings, fold_case=folds)
            or repaired
        )
        repaired = repair_filter_joins(tree, catalog, quoted_strings=quoted_strings) or repaired
        repaired = repair_year_of_number(tree, catalog, quoted_strings=quoted_strings) or repaired
        repaired = repair_last_day(tree, catalog, quoted_strings=quoted_strings) or repaired
        if canonical_dialect(dialect) == MYSQL:
            repaired = repair_limited_subqueries(tree) or repaired
        if canonical_dialect(dialect) == POSTGRESQL:
            repaired = repair_count_division(tree) or repaired
        if repaired:
            sql = tree.sql(dialect=target, unsupported_level=ErrorLevel.RAISE)
            tree = _parse(sql, target)
            if tree is None:  # never expected: sqlglot reads what it writes
                return Validation(sql, repaired=True)
        problems = unknown_tables(tree, catalog)
        if problems is None:
            return Validation(sql, repaired)
        if not problems:
            problems = column_problems(tree, catalog, target, quoted_strings=quoted_strings)
        if not problems:
            problems = join_problems(tree, catalog)
    except SqlglotError as error:
        log.debug("schema check skipped: %s", error)
        return Validation(sql)
    except Exception:  # a best-effort check must never cost an answer: the guard still runs
        log.warning("schema check failed on %r", sql, exc_info=True)
        return Validation(sql)
    return Validation(sql, repaired, tuple(problems))


def validated_sql(
    sql: str, *, view: SchemaView, dialect: str, policy: AccessPolicy, report: bool = True
) -> str:
    """The SQL to hand to the guard: repaired; with `report`, SqlInvalid when it does not fit."""
    validation = validate_sql(sql, view=view, dialect=dialect, policy=policy)
    if report and validation.problems:
        raise SqlInvalid(validation.problems)
    return validation.sql


def _parse(sql: str, target: sqlglot.Dialect) -> exp.Expr | None:
    if EXECUTABLE_COMMENT.search(sql):  # the guard refuses these: nothing to repair
        return None
    try:
        statements = [s for s in sqlglot.parse(sql, read=target) if s is not None]
    except (SqlglotError, RecursionError):  # nested too deep: the guard refuses it as such
        return None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        return None
    return statements[0]
