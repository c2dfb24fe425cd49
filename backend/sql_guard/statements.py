"""Statement-level rules: one readable SELECT, nothing that writes, locks, sleeps or escapes.

These checks look at the raw text (executable comments), the token stream (what a
statement starts with, how many there are, `INTO OUTFILE`) and then every node of the
parsed tree, subqueries included.
"""

from __future__ import annotations

import re

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokenizer_core import Token, TokenType

from backend.dialects import POSTGRESQL
from backend.errors import SqlRejected
from backend.i18n.message import Message
from backend.sql_guard.complexity import SqlLimits, depth_problem, length_problem, tree_problem
from backend.sql_guard.functions import bare_function_problem, function_problem
from backend.sql_guard.nodes_postgresql import postgresql_node_problem

EXECUTABLE_COMMENT = re.compile(r"/\*M?!")

# What a statement does, finishing "DELETE …", "that statement …" (catalogue domain "guard").
_WRITES = Message.of("guard.does.writes")
_DDL = Message.of("guard.does.ddl")
_PERMISSIONS = Message.of("guard.does.permissions")
_SETTINGS = Message.of("guard.does.settings")
_SQLITE_SETTINGS = Message.of("guard.does.sqlite_settings")
_FILES = Message.of("guard.does.load_files")
_ADMIN = Message.of("guard.does.admin")
_TRANSACTION = Message.of("guard.does.transactions")
_METADATA = Message.of("guard.does.metadata")
_COPY = Message.of("guard.does.copy")
_NOTIFICATIONS = Message.of("guard.does.notifications")
_CURSORS = Message.of("guard.does.cursors")

_ADMIN_WORDS = (
    "KILL",
    "FLUSH",
    "RESET",
    "PURGE",
    "SHUTDOWN",
    "INSTALL",
    "UNINSTALL",
    "PREPARE",
    "EXECUTE",
    "DEALLOCATE",
    "ANALYZE",
    "OPTIMIZE",
    "REPAIR",
    "CHECK",
    "CHECKSUM",
    "VACUUM",
    "REINDEX",
    "BINLOG",
    "CACHE",
    "SIGNAL",
    "RESIGNAL",
    "BACKUP",
    "DISCARD",
    "CHECKPOINT",
    "CLUSTER",
    "REFRESH",
    "SECURITY",
    "IMPORT",
    "REASSIGN",
)

# What a statement does, by its first word: used for a specific reason before parsing,
# because several of these (DO, HANDLER, ATTACH) do not even parse.
_LEADING_KEYWORDS: dict[str, Message] = {
    **dict.fromkeys(("INSERT", "REPLACE", "UPDATE", "DELETE", "MERGE", "UPSERT"), _WRITES),
    **dict.fromkeys(("CREATE", "DROP", "ALTER", "TRUNCATE", "RENAME", "COMMENT"), _DDL),
    **dict.fromkeys(("GRANT", "REVOKE"), _PERMISSIONS),
    "SET": _SETTINGS,
    "CALL": Message.of("guard.does.procedure"),
    "DO": Message.of("guard.does.side_effects"),
    "HANDLER": Message.of("guard.does.handler"),
    **dict.fromkeys(("LOCK", "UNLOCK"), Message.of("guard.does.locks")),
    "PRAGMA": _SQLITE_SETTINGS,
    **dict.fromkeys(("ATTACH", "DETACH"), Message.of("guard.does.attach_detach")),
    "LOAD": _FILES,
    "COPY": _COPY,
    **dict.fromkeys(("LISTEN", "NOTIFY", "UNLISTEN"), _NOTIFICATIONS),
    **dict.fromkeys(("DECLARE", "FETCH", "MOVE", "CLOSE"), _CURSORS),
    **dict.fromkeys(("SHOW", "DESCRIBE", "DESC", "EXPLAIN", "HELP", "USE"), _METADATA),
    **dict.fromkeys(
        ("BEGIN", "START", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "XA", "END", "ABORT"),
        _TRANSACTION,
    ),
    **dict.fromkeys(_ADMIN_WORDS, _ADMIN),
}

# Statement nodes that must not appear anywhere in the tree, with what they do.
_FORBIDDEN_NODES: tuple[tuple[type[exp.Expr], Message], ...] = (
    (exp.Copy, _COPY),  # before DML, which it is in sqlglot's tree
    (exp.Insert, _WRITES),
    (exp.DML, _WRITES),
    (exp.DDL, _DDL),
    (exp.Drop, _DDL),
    (exp.Alter, _DDL),
    (exp.TruncateTable, _DDL),
    (exp.Grant, _PERMISSIONS),
    (exp.Revoke, _PERMISSIONS),
    (exp.Set, _SETTINGS),
    (exp.Pragma, _SQLITE_SETTINGS),
    (exp.Attach, Message.of("guard.does.attach")),
    (exp.Detach, Message.of("guard.does.detach")),
    (exp.LoadData, _FILES),
    (exp.Transaction, _TRANSACTION),
    (exp.Commit, _TRANSACTION),
    (exp.Rollback, _TRANSACTION),
    (exp.Use, _METADATA),
    (exp.Show, _METADATA),
    (exp.Describe, _METADATA),
    (exp.Command, _ADMIN),
    (exp.Kill, _ADMIN),
    (exp.Analyze, _ADMIN),
    (exp.Cache, _ADMIN),
    (exp.Uncache, _ADMIN),
    (exp.Refresh, _ADMIN),
    (exp.Export, _ADMIN),
    (exp.Declare, _ADMIN),
    (exp.Execute, _ADMIN),
)

QUERY_ROOTS = (exp.Select, exp.SetOperation, exp.Subquery)


def reject(reason: Message) -> SqlRejected:
    """A `SqlRejected` saying `reason`, a clause from the "guard" domain, as one sentence.

    Catalogue reasons are clauses (capitalised, no full stop) so that one can sit inside
    another, as a row filter's does; the full stop is added here unless the clause already
    ends in one or in a question mark.
    """
    if str(reason).endswith((".", "?")):
        return SqlRejected(reason)
    return SqlRejected(Message.of("guard.sentence", reason=reason))


def _not_select(detail: Message) -> SqlRejected:
    """'<detail>; only read-only SELECT queries can be run.'"""
    return reject(Message.of("guard.only_select", detail=detail))


def parse_statement(sql: str, dialect: Dialect, limits: SqlLimits) -> exp.Query:
    """Parse `sql` into exactly one read query, or raise `SqlRejected` saying why not."""
    too_big = length_problem(sql, limits)
    if too_big is not None:
        raise reject(too_big)
    if EXECUTABLE_COMMENT.search(sql):
        raise reject(Message.of("guard.executable_comment"))
    tokens = _tokenize(sql, dialect)
    too_deep = depth_problem(tokens, limits)
    if too_deep is not None:
        raise reject(too_deep)
    statements = _split_statements(tokens)
    if not statements:
        raise reject(Message.of("guard.no_statement"))
    if len(statements) > 1:
        raise reject(Message.of("guard.many_statements", count=len(statements)))
    _check_tokens(statements[0])
    try:
        trees = [tree for tree in dialect.parse(sql) if tree is not None]
    except (ParseError, TokenError) as error:
        problem = _parse_problem(error)
        raise _not_select(Message.of("guard.unparsable", problem=problem)) from error
    if len(trees) != 1:
        raise reject(Message.of("guard.one_statement"))
    too_complex = tree_problem(trees[0])
    if too_complex is not None:
        raise reject(too_complex)
    return _as_query(trees[0])


def _tokenize(sql: str, dialect: Dialect) -> list[Token]:
    try:
        return dialect.tokenize(sql)
    except TokenError as error:
        raise reject(Message.of("guard.unreadable", problem=str(error))) from error


def _split_statements(tokens: list[Token]) -> list[list[Token]]:
    statements: list[list[Token]] = [[]]
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            statements.append([])
        else:
            statements[-1].append(token)
    return [statement for statement in statements if statement]


def _check_tokens(tokens: list[Token]) -> None:
    first = next((t for t in tokens if t.token_type != TokenType.L_PAREN), tokens[0])
    word = first.text.upper().split()[0] if first.text.strip() else first.text
    if first.token_type not in (TokenType.SELECT, TokenType.WITH, TokenType.TABLE):
        what = _LEADING_KEYWORDS.get(word)
        if what is not None:
            raise _not_select(Message.of("guard.keyword_does", keyword=word, what=what))
        raise _not_select(Message.of("guard.starts_with", keyword=word))
    for index, token in enumerate(tokens):
        if token.token_type == TokenType.INTO:
            target = tokens[index + 1].text.upper() if index + 1 < len(tokens) else ""
            raise reject(_into_reason(target))


def _into_reason(target: str) -> Message:
    if target in ("OUTFILE", "DUMPFILE"):
        return Message.of("guard.into_file", target=target)
    return Message.of("guard.into")


def _parse_problem(error: ParseError | TokenError) -> Message | str:
    """sqlglot's own words (English) and, when it knows, where it stopped."""
    if isinstance(error, ParseError) and error.errors:
        first = error.errors[0]
        return Message.of(
            "guard.parse_position",
            description=str(first.get("description")),
            line=str(first.get("line")),
            column=str(first.get("col")),
        )
    return str(error).splitlines()[0]


def _as_query(tree: exp.Expr) -> exp.Query:
    for node_type, what in _FORBIDDEN_NODES:
        if isinstance(tree, node_type):
            raise _not_select(Message.of("guard.statement_does", what=what))
    if not isinstance(tree, QUERY_ROOTS):
        raise _not_select(Message.of("guard.not_a_select"))
    return tree


def check_nodes(tree: exp.Expr, dialect: str | None = None) -> None:
    """Reject anything inside the query that writes, locks, waits, uses variables or calls
    a function that is not a known built-in of `dialect` (None: of every dialect)."""
    problem = node_problem(tree, dialect)
    if problem is not None:
        raise reject(problem)


def node_problem(tree: exp.Expr, dialect: str | None = None) -> Message | None:
    """Why `check_nodes` would reject `tree`, as a clause; None when it would not."""
    for node in tree.walk():
        for node_type, what in _FORBIDDEN_NODES:
            if isinstance(node, node_type):
                return Message.of(
                    "guard.only_select",
                    detail=Message.of("guard.contains_statement", what=what),
                )
        problem = _node_problem(node, dialect)
        if problem is not None:
            return problem
    return None


def _node_problem(node: exp.Expr, dialect: str | None) -> Message | None:
    if dialect in (None, POSTGRESQL):
        problem = postgresql_node_problem(node)
        if problem is not None:
            return problem
    if isinstance(node, exp.Operator):
        # PostgreSQL's `a OPERATOR(schema.###) b` names any operator of any schema, and an
        # operator runs whatever function it was made with: a stored function by another name.
        return Message.of("guard.operator_syntax")
    if isinstance(node, exp.Into):
        return _into_reason("")
    if isinstance(node, exp.Lock):
        return Message.of("guard.locking_clause")
    if isinstance(node, exp.Parameter) and dialect == POSTGRESQL:
        return Message.of("guard.placeholder")  # PostgreSQL's $1
    if isinstance(node, (exp.Parameter, exp.PropertyEQ)):
        return Message.of("guard.user_variables")
    if isinstance(node, exp.SessionParameter):
        return Message.of("guard.server_variables")
    if isinstance(node, exp.Placeholder) or _is_bare_parameter(node):
        return Message.of("guard.placeholder")
    if isinstance(node, exp.NextValueFor):
        return Message.of("guard.next_value_for")
    if isinstance(node, exp.ObjectIdentifier):
        # PostgreSQL's `'pg_authid'::regclass` and kin look names up in the system catalogs.
        return Message.of("guard.catalog_cast", type=node.name.upper())
    if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Func):
        return Message.of("guard.schema_function", call=node.sql())
    if isinstance(node, exp.Func) and not isinstance(node.parent, exp.Table):
        return function_problem(node, dialect)  # table functions: see tables.py
    if isinstance(node, exp.Column):
        return bare_function_problem(node, dialect)
    return None


def _is_bare_parameter(node: exp.Expr) -> bool:
    # sqlglot reads SQLite's `$name` as an identifier; SQLite binds it as a parameter.
    return (
        isinstance(node, exp.Identifier)
        and not node.quoted
        and node.name.startswith(("$", "@", ":", "?"))
    )


def drop_hints(tree: exp.Expr) -> None:
    """Remove optimizer hints (`/*+ ... */`): MySQL's SET_VAR hint can change session limits."""
    for select in tree.find_all(exp.Select):
        select.set("hint", None)
