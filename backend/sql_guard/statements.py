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

from backend.errors import SqlRejected

_ONLY_SELECT = "only read-only SELECT queries can be run"
_EXECUTABLE_COMMENT = re.compile(r"/\*M?!")

_WRITES = "changes data"
_DDL = "changes the database structure"
_ADMIN = "is an administrative command"
_TRANSACTION = "controls transactions"
_METADATA = "reads server metadata instead of business data"

_ADMIN_WORDS = (
    "KILL", "FLUSH", "RESET", "PURGE", "SHUTDOWN", "INSTALL", "UNINSTALL", "PREPARE", "EXECUTE",
    "DEALLOCATE", "ANALYZE", "OPTIMIZE", "REPAIR", "CHECK", "CHECKSUM", "VACUUM", "REINDEX",
    "BINLOG", "CACHE", "SIGNAL", "RESIGNAL", "BACKUP",
)  # fmt: skip

# What a statement does, by its first word: used for a specific reason before parsing,
# because several of these (DO, HANDLER, ATTACH) do not even parse.
_LEADING_KEYWORDS: dict[str, str] = {
    **dict.fromkeys(("INSERT", "REPLACE", "UPDATE", "DELETE", "MERGE", "UPSERT"), _WRITES),
    **dict.fromkeys(("CREATE", "DROP", "ALTER", "TRUNCATE", "RENAME", "COMMENT"), _DDL),
    **dict.fromkeys(("GRANT", "REVOKE"), "changes permissions"),
    "SET": "changes session or server settings",
    "CALL": "runs a stored procedure",
    "DO": "evaluates expressions for their side effects",
    "HANDLER": "reads tables row by row outside of SELECT",
    **dict.fromkeys(("LOCK", "UNLOCK"), "locks or unlocks tables"),
    "PRAGMA": "reads or changes SQLite settings",
    **dict.fromkeys(("ATTACH", "DETACH"), "attaches or detaches database files"),
    "LOAD": "loads data from files",
    **dict.fromkeys(("SHOW", "DESCRIBE", "DESC", "EXPLAIN", "HELP", "USE"), _METADATA),
    **dict.fromkeys(
        ("BEGIN", "START", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "XA", "END"),
        _TRANSACTION,
    ),
    **dict.fromkeys(_ADMIN_WORDS, _ADMIN),
}

# Statement nodes that must not appear anywhere in the tree, with what they do.
_FORBIDDEN_NODES: tuple[tuple[type[exp.Expr], str], ...] = (
    (exp.Insert, _WRITES),
    (exp.DML, _WRITES),
    (exp.DDL, _DDL),
    (exp.Drop, _DDL),
    (exp.Alter, _DDL),
    (exp.TruncateTable, _DDL),
    (exp.Grant, "changes permissions"),
    (exp.Revoke, "changes permissions"),
    (exp.Set, "changes session or server settings"),
    (exp.Pragma, "reads or changes SQLite settings"),
    (exp.Attach, "attaches database files"),
    (exp.Detach, "detaches database files"),
    (exp.LoadData, "loads data from files"),
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

# Functions that touch files, sleep, take locks, change sequences or load code.
DANGEROUS_FUNCTIONS = frozenset((
    "LOAD_FILE", "SLEEP", "BENCHMARK", "GET_LOCK", "RELEASE_LOCK", "RELEASE_ALL_LOCKS",
    "IS_FREE_LOCK", "IS_USED_LOCK", "MASTER_POS_WAIT", "SOURCE_POS_WAIT", "MASTER_GTID_WAIT",
    "WAIT_FOR_EXECUTED_GTID_SET", "WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS", "NEXTVAL", "SETVAL",
    "LASTVAL", "SYS_EXEC", "SYS_EVAL", "PG_SLEEP", "LOAD_EXTENSION", "READFILE", "WRITEFILE",
    "EDIT", "FTS3_TOKENIZER",
))  # fmt: skip

QUERY_ROOTS = (exp.Select, exp.SetOperation, exp.Subquery)


def reject(reason: str) -> SqlRejected:
    """A `SqlRejected` whose message is `reason` as one sentence."""
    text = reason.strip()
    return SqlRejected(text[0].upper() + text[1:] + ("" if text.endswith((".", "?")) else "."))


def parse_statement(sql: str, dialect: Dialect) -> exp.Query:
    """Parse `sql` into exactly one read query, or raise `SqlRejected` saying why not."""
    if _EXECUTABLE_COMMENT.search(sql):
        raise reject(
            "the SQL contains a MySQL executable comment (/*! ... */ or /*M! ... */), "
            "which the server would run as code; remove it"
        )
    tokens = _tokenize(sql, dialect)
    statements = _split_statements(tokens)
    if not statements:
        raise reject("no SQL statement was found; write one SELECT query")
    if len(statements) > 1:
        raise reject(f"the text holds {len(statements)} statements; send exactly one SELECT query")
    _check_tokens(statements[0])
    try:
        trees = [tree for tree in dialect.parse(sql) if tree is not None]
    except (ParseError, TokenError) as error:
        problem = _parse_problem(error)
        raise reject(f"the SQL could not be parsed ({problem}); {_ONLY_SELECT}") from error
    if len(trees) != 1:
        raise reject("send exactly one SELECT query")
    return _as_query(trees[0])


def _tokenize(sql: str, dialect: Dialect) -> list[Token]:
    try:
        return dialect.tokenize(sql)
    except TokenError as error:
        raise reject(f"the SQL could not be read ({error}); check quotes and brackets") from error


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
        detail = f"{word} {what}" if what else f"that statement starts with {word}"
        raise reject(f"{detail}; {_ONLY_SELECT}")
    for index, token in enumerate(tokens):
        if token.token_type == TokenType.INTO:
            target = tokens[index + 1].text.upper() if index + 1 < len(tokens) else ""
            raise reject(_into_reason(target))


def _into_reason(target: str) -> str:
    if target in ("OUTFILE", "DUMPFILE"):
        return f"SELECT ... INTO {target} writes files on the server; return the rows instead"
    return "SELECT ... INTO stores results in variables or tables; return the rows instead"


def _parse_problem(error: ParseError | TokenError) -> str:
    if isinstance(error, ParseError) and error.errors:
        first = error.errors[0]
        where = f"line {first.get('line')}, column {first.get('col')}"
        return f"{first.get('description')} near {where}"
    return str(error).splitlines()[0]


def _as_query(tree: exp.Expr) -> exp.Query:
    for node_type, what in _FORBIDDEN_NODES:
        if isinstance(tree, node_type):
            raise reject(f"that statement {what}; {_ONLY_SELECT}")
    if not isinstance(tree, QUERY_ROOTS):
        raise reject(f"that statement is not a SELECT query; {_ONLY_SELECT}")
    return tree


def check_nodes(tree: exp.Expr) -> None:
    """Reject anything inside the query that writes, locks, waits or uses variables."""
    for node in tree.walk():
        for node_type, what in _FORBIDDEN_NODES:
            if isinstance(node, node_type):
                raise reject(f"the query contains a statement that {what}; {_ONLY_SELECT}")
        _check_node(node)


def _check_node(node: exp.Expr) -> None:
    if isinstance(node, exp.Into):
        raise reject(_into_reason(""))
    if isinstance(node, exp.Lock):
        raise reject(
            "FOR UPDATE / FOR SHARE / LOCK IN SHARE MODE lock rows; remove the locking clause"
        )
    if isinstance(node, (exp.Parameter, exp.PropertyEQ)):
        raise reject(
            "the query uses user variables (@name or :=), which are not allowed; "
            "compute the value inside the query, for example with a subquery or WITH"
        )
    if isinstance(node, exp.SessionParameter):
        raise reject("the query reads server variables (@@name), which are not allowed")
    if isinstance(node, exp.Placeholder) or _is_bare_parameter(node):
        raise reject(
            "the query contains a parameter placeholder (? or :name); write the value itself"
        )
    if isinstance(node, exp.NextValueFor):
        raise reject("NEXT VALUE FOR changes a sequence; it is not allowed")
    if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Func):
        raise reject(
            f"calling {node.sql()} by schema name is not allowed; use built-in functions only"
        )
    if isinstance(node, exp.Func):
        _check_function(node)


def _is_bare_parameter(node: exp.Expr) -> bool:
    # sqlglot reads SQLite's `$name` as an identifier; SQLite binds it as a parameter.
    return (
        isinstance(node, exp.Identifier)
        and not node.quoted
        and node.name.startswith(("$", "@", ":", "?"))
    )


def _check_function(node: exp.Func) -> None:
    names = {node.name.upper() if isinstance(node, exp.Anonymous) else "", node.sql_name()}
    blocked = names & DANGEROUS_FUNCTIONS
    if blocked:
        name = sorted(blocked)[0]
        raise reject(f"the function {name}() is not allowed in questions to the database")


def drop_hints(tree: exp.Expr) -> None:
    """Remove optimizer hints (`/*+ ... */`): MySQL's SET_VAR hint can change session limits."""
    for select in tree.find_all(exp.Select):
        select.set("hint", None)
