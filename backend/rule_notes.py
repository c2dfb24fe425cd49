"""Access-rule notices in plain words: which rows a row filter left out of an answer.

The admin's description of the filter is the notice when there is one (the guard filled
its `:user.<name>` placeholders). Otherwise the notice is written from the condition the
guard applied: table and column names humanised, comparisons in words, numbers without
quotes ("Only customers where region ID is 2 are included."). A part of a condition this
module cannot word keeps its SQL spelling: a clumsy notice beats a missing one.

The text returned is plain, made of data (names, values, the admin's words): the page
escapes it before drawing it as markdown.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from backend.charts.names import in_sentence, plural
from backend.domain import AppliedRule
from backend.i18n import Translator

_COMPARISONS: dict[type[exp.Expr], str] = {
    exp.EQ: "answer.rule.eq",
    exp.NEQ: "answer.rule.neq",
    exp.GT: "answer.rule.gt",
    exp.GTE: "answer.rule.gte",
    exp.LT: "answer.rule.lt",
    exp.LTE: "answer.rule.lte",
    exp.Like: "answer.rule.like",
}
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def row_notice(rule: AppliedRule, tr: Translator) -> str | None:
    """The sentence saying which rows of `rule.table` were counted; None without a filter."""
    if rule.condition is None:
        return None
    if rule.description:
        return rule.description
    table = in_sentence(rule.table, tr.language)
    if tr.language == "en":  # "Only customer where ..." would read as one customer
        table = plural(table)
    return tr("answer.rule.rows", table=table, condition=describe_condition(rule.condition, tr))


def describe_condition(condition: str, tr: Translator) -> str:
    """`region_id = '2' AND amount > 15` → 'region ID is 2 and amount is more than 15'."""
    try:
        tree = sqlglot.parse_one(condition, read="mysql")
    except (SqlglotError, ValueError):
        return condition
    return _words(tree, tr)


def _words(node: exp.Expr, tr: Translator) -> str:
    if isinstance(node, exp.Paren):  # brackets kept only where and/or would read ambiguously
        inner = _words(node.this, tr)
        return f"({inner})" if isinstance(node.this, exp.Connector) else inner
    if isinstance(node, exp.And | exp.Or):
        key = "answer.rule.and" if isinstance(node, exp.And) else "answer.rule.or"
        return tr(key, left=_words(node.this, tr), right=_words(node.expression, tr))
    if isinstance(node, exp.Not):
        return _negated(node.this, tr)
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
        return tr("answer.rule.null", left=_term(node.this, tr))
    if isinstance(node, exp.In) and node.expressions:
        return tr("answer.rule.in", left=_term(node.this, tr), right=_values(node, tr))
    if isinstance(node, exp.Between):
        low, high = _term(node.args["low"], tr), _term(node.args["high"], tr)
        return tr("answer.rule.between", left=_term(node.this, tr), low=low, high=high)
    comparison = _COMPARISONS.get(type(node))
    if comparison is not None:
        return tr(comparison, left=_term(node.this, tr), right=_term(node.expression, tr))
    return node.sql(dialect="mysql")


def _negated(node: exp.Expr, tr: Translator) -> str:
    """`x IS NOT NULL`, `x NOT IN (...)`, else 'not (…)'."""
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
        return tr("answer.rule.not_null", left=_term(node.this, tr))
    if isinstance(node, exp.In) and node.expressions:
        return tr("answer.rule.not_in", left=_term(node.this, tr), right=_values(node, tr))
    return tr("answer.rule.not", condition=_words(node, tr))


def _values(node: exp.In, tr: Translator) -> str:
    return ", ".join(_term(value, tr) for value in node.expressions)


def _term(node: exp.Expr, tr: Translator) -> str:
    """A column as words ('region ID'), a number as it is, a text value in quotes."""
    if isinstance(node, exp.Column):
        return in_sentence(node.name, tr.language)
    if isinstance(node, exp.Literal) and node.is_string:
        value = str(node.this)
        # The guard writes the user's values as text ('2'): a number needs no quotes.
        return value if _NUMBER.fullmatch(value) else tr("answer.rule.text", value=value)
    return node.sql(dialect="mysql")
