"""Row filters: every read of a filtered table becomes a filtered derived table.

`orders AS o` turns into `(SELECT * FROM orders WHERE region_id = '3' LIMIT <max>) AS o`
wherever the table is read: FROM, JOIN, subqueries, WITH queries, UNION branches,
correlated subqueries. The user's own WHERE, ORs and joins then only ever see the
filtered rows.

The LIMIT (larger than any table) is what makes that true inside the database, not just
in the result: MariaDB and MySQL merge a plain derived table into the outer query, or push
the outer conditions down into it, and then evaluate the user's expressions on rows the
filter would have removed — an error such as "Subquery returns more than 1 row" or a
conversion warning then tells about those rows. A derived table with a LIMIT can be
neither merged nor given pushed-down conditions (MariaDB "derived table merge" and
"condition pushdown into derived table" restrictions; MySQL 8 likewise), so it is
materialised first, with the filter alone. The runner also turns those optimizations off
per session (`backend.adapters.sql_runner`); either layer alone closes the leak.
`:user.<name>` placeholders in a predicate become quoted string literals in the tree,
never text pasted into SQL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError

from backend.domain import AccessPolicy
from backend.errors import SqlRejected
from backend.i18n.message import Message
from backend.sql_guard.statements import node_problem, reject
from backend.sql_guard.tables import KnownTables, TableRead

USER_PLACEHOLDER = "user"
_CARRIED_ARGS = ("joins", "laterals", "pivots")
# Larger than any table, and accepted by MySQL/MariaDB (unsigned 64-bit) and SQLite (signed).
UNMERGEABLE_LIMIT = 2**63 - 1
# `:user.region_name` in an admin's description of a filter (attribute names: auth.validation).
_DESCRIPTION_PLACEHOLDER = re.compile(r":user\.([A-Za-z_][A-Za-z0-9_]*)")


def apply_row_filters(
    reads: list[TableRead],
    known: KnownTables,
    policy: AccessPolicy,
    user_attributes: Mapping[str, str],
    dialect: Dialect,
) -> dict[str, exp.Expr]:
    """Replace each read of a filtered table in place with its filtered derived table.

    Returns the predicate applied to each filtered table (schema spelling), so the caller
    can say which rules shaped the result.
    """
    predicates: dict[str, exp.Expr | None] = {}
    applied: dict[str, exp.Expr] = {}
    for read in reads:
        key = read.name.lower()
        if key not in predicates:
            predicates[key] = _table_predicate(read.name, known, policy, user_attributes, dialect)
        predicate = predicates[key]
        if predicate is not None:
            _wrap(read, predicate)
            applied.setdefault(read.name, predicate)
    return applied


def describe_filters(table: str, policy: AccessPolicy, attributes: Mapping[str, str]) -> str | None:
    """The admin's words for the row filters of `table`, placeholders filled; None unless
    every filter of the table has a description whose placeholders all have values (the
    page then words the conditions itself: a filter left unsaid would hide a rule)."""
    described = []
    for rule in policy.row_filters:
        if rule.table.lower() != table.lower():
            continue
        filled = fill_description(rule.description, attributes)
        if filled is None:
            return None
        described.append(filled)
    return " ".join(described) or None


def fill_description(description: str | None, attributes: Mapping[str, str]) -> str | None:
    """`description` with its `:user.<name>` placeholders replaced by the user's values;
    None when it is empty or names an attribute the user lacks (never show a placeholder)."""
    text = (description or "").strip()
    names = _DESCRIPTION_PLACEHOLDER.findall(text)
    if not text or any(name.lower() not in attributes for name in names):
        return None
    return _DESCRIPTION_PLACEHOLDER.sub(lambda found: attributes[found.group(1).lower()], text)


def _table_predicate(
    table: str,
    known: KnownTables,
    policy: AccessPolicy,
    attributes: Mapping[str, str],
    dialect: Dialect,
) -> exp.Expr | None:
    columns = known.columns[table.lower()]
    parts = [
        compile_predicate(rule.predicate, table, columns, attributes, dialect)
        for rule in policy.row_filters
        if rule.table.lower() == table.lower()
    ]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return exp.and_(*(exp.paren(part, copy=False) for part in parts), copy=False)


def compile_predicate(
    predicate: str,
    table: str,
    columns: Sequence[str],
    attributes: Mapping[str, str],
    dialect: Dialect,
) -> exp.Expr:
    """Parse a row-filter predicate, check it and substitute its `:user.<name>` placeholders."""
    try:
        trees = [tree for tree in dialect.parse(predicate) if tree is not None]
    except SqlglotError as error:
        raise _bad_rule(table, Message.of("guard.rule.unparsable")) from error
    if len(trees) != 1 or not isinstance(trees[0], exp.Condition):
        raise _bad_rule(table, Message.of("guard.rule.not_a_condition"))
    tree = trees[0]
    for dot in list(tree.find_all(exp.Dot)):
        if isinstance(dot.this, exp.Placeholder) and dot.this.name == USER_PLACEHOLDER:
            dot.replace(exp.Literal.string(_attribute(dot.expression.name, table, attributes)))
    if tree.find(exp.Query, exp.Table):
        raise _bad_rule(table, Message.of("guard.rule.subquery"))
    problem = node_problem(tree)
    if problem is not None:
        raise _bad_rule(table, problem)
    _check_predicate_columns(tree, table, columns)
    return tree


def _check_predicate_columns(tree: exp.Expr, table: str, columns: Sequence[str]) -> None:
    known = {column.lower() for column in columns}
    for column in tree.find_all(exp.Column):
        if column.table and column.table.lower() != table.lower():
            raise _bad_rule(table, Message.of("guard.rule.other_table", column=column.sql()))
        if column.name.lower() not in known:
            raise _bad_rule(
                table, Message.of("guard.rule.no_column", table=table, column=column.name)
            )


def _attribute(name: str, table: str, attributes: Mapping[str, str]) -> str:
    value = attributes.get(name)
    if value is None:
        raise reject(Message.of("guard.rule.attribute_missing", name=name, table=table))
    return value


def _bad_rule(table: str, why: Message) -> SqlRejected:
    return reject(Message.of("guard.rule.invalid", table=table, problem=why))


def _wrap(read: TableRead, predicate: exp.Expr) -> None:
    node = read.node
    alias = node.args.get("alias")
    if alias is None:
        alias = exp.TableAlias(this=exp.to_identifier(node.name, quoted=node.this.quoted))
    inner = (
        exp.select("*", copy=False)
        .from_(exp.Table(this=exp.to_identifier(read.name)), copy=False)
        .where(predicate.copy(), copy=False)
        .limit(UNMERGEABLE_LIMIT, copy=False)
    )
    wrapped = exp.Subquery(this=inner, alias=alias.copy())
    for key in _CARRIED_ARGS:  # e.g. `(orders o JOIN customers c ON ...)` hangs joins here
        if node.args.get(key):
            wrapped.set(key, node.args[key])
    node.replace(wrapped)
