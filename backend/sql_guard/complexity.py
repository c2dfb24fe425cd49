"""How long and how deeply nested a query may be before the guard will not parse it.

sqlglot parses and walks a query recursively: about forty nested parentheses (or
function calls, CASE expressions, subqueries) exhaust Python's stack, and the optimizer's
column attribution grows faster than linearly with the size of an expression. Both are
bounded here, before parsing, from the raw text and its tokens: cheap, and the refusal
says what to change. The caps sit far above what business questions need (the gold SQL
of the Spider dev set and of the demo nests at most 4 deep and is under 1,000 characters).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp
from sqlglot.tokenizer_core import Token, TokenType

from backend.i18n.message import Message

DEFAULT_MAX_LENGTH = 20_000
DEFAULT_MAX_DEPTH = 25
# Nodes from the root of the parsed tree to its deepest leaf. Unparenthesised chains
# (`a OR b OR …`, `NOT NOT …`) nest the tree without nesting the text; past this their
# column attribution costs seconds. Legit queries stay under ~40.
MAX_TREE_DEPTH = 400

_OPENS = frozenset({TokenType.L_PAREN, TokenType.CASE})
_CLOSES = frozenset({TokenType.R_PAREN, TokenType.END})


@dataclass(frozen=True)
class SqlLimits:
    """The largest query the guard reads: characters, and nesting of brackets and CASE."""

    max_length: int = DEFAULT_MAX_LENGTH
    max_depth: int = DEFAULT_MAX_DEPTH


def length_problem(sql: str, limits: SqlLimits) -> Message | None:
    """Why `sql` is too long to check, as a clause; None when it is not."""
    if len(sql) > limits.max_length:
        return Message.of("guard.too_long", length=f"{len(sql):,}", limit=f"{limits.max_length:,}")
    return None


def depth_problem(tokens: list[Token], limits: SqlLimits) -> Message | None:
    """Why the query is nested too deeply (brackets and CASE … END), from its tokens."""
    depth = 0
    for token in tokens:
        if token.token_type in _OPENS:
            depth += 1
            if depth > limits.max_depth:
                return Message.of("guard.too_deep", limit=str(limits.max_depth))
        elif token.token_type in _CLOSES:
            depth = max(depth - 1, 0)
    return None


def tree_problem(tree: exp.Expr) -> Message | None:
    """Why the parsed tree is too deep to check (long unbracketed chains), or None."""
    stack: list[tuple[exp.Expr, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_TREE_DEPTH:
            return Message.of("guard.too_complex")
        stack.extend((child, depth + 1) for child in node.iter_expressions())
    return None
