"""Which functions a query may call: an allow-list of each database's own built-ins.

Any other name may be a stored function or a UDF, which can read what the policy hides,
sleep, take locks that outlive the request or run code, so it is refused; so are the
built-ins that describe the account or the server rather than the business data.

A function is checked by the name the database will see: sqlglot parses many built-ins
into typed nodes and writes some back under another name (`IFNULL` → `COALESCE`,
`DATE_TRUNC` → `STR_TO_DATE(…)`), so typed nodes are judged by the name our generator
writes for them, unknown ones (`exp.Anonymous`) by the name as written. Keywords that the
database evaluates as functions without brackets (`CURRENT_ROLE`, `CURRENT_USER`) reach
the parser as column names and are judged the same way.

The lists cover what business analytics needs: aggregates, window functions, control
flow, casts, strings, numbers, dates and JSON extraction. "mysql" means MySQL 8 or
MariaDB, so its list holds only names native to both (a name native to one only could be
a stored function on the other), MEDIAN excepted. PostgreSQL's lists live in
`functions_postgresql`.
"""

from __future__ import annotations

import re
from functools import cache

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from backend.dialects import MYSQL, POSTGRESQL, SQLITE, SUPPORTED_DIALECTS, sqlglot_dialect
from backend.i18n.message import Message
from backend.sql_guard import functions_postgresql as postgresql

_COMMON = frozenset(
    (
        # aggregates and window functions
        "COUNT",
        "SUM",
        "AVG",
        "MIN",
        "MAX",
        "ROW_NUMBER",
        "RANK",
        "DENSE_RANK",
        "PERCENT_RANK",
        "CUME_DIST",
        "NTILE",
        "LAG",
        "LEAD",
        "FIRST_VALUE",
        "LAST_VALUE",
        "NTH_VALUE",
        "GROUP_CONCAT",
        # control flow and casts
        "COALESCE",
        "NULLIF",
        "IFNULL",
        "CAST",
        "EXISTS",
        "ANY",
        "ALL",
        "SOME",
        # strings
        "LENGTH",
        "LOWER",
        "UPPER",
        "TRIM",
        "LTRIM",
        "RTRIM",
        "REPLACE",
        "SUBSTR",
        "SUBSTRING",
        "INSTR",
        "HEX",
        "CHAR",
        "CONCAT",
        "CONCAT_WS",
        "FORMAT",
        "OCTET_LENGTH",
        "SOUNDEX",
        # numbers
        "ABS",
        "ROUND",
        "CEIL",
        "CEILING",
        "FLOOR",
        "SIGN",
        "MOD",
        "POW",
        "POWER",
        "SQRT",
        "EXP",
        "LN",
        "LOG",
        "LOG2",
        "LOG10",
        "PI",
        "SIN",
        "COS",
        "TAN",
        "ASIN",
        "ACOS",
        "ATAN",
        "ATAN2",
        "DEGREES",
        "RADIANS",
        # dates (the bracket-less keywords included)
        "CURRENT_DATE",
        "CURRENT_TIME",
        "CURRENT_TIMESTAMP",
        "DATE",
        "TIME",
        # JSON
        "JSON_EXTRACT",
        "JSON_ARRAY",
        "JSON_OBJECT",
        "JSON_TYPE",
        "JSON_VALID",
        "JSON_QUOTE",
    )
)

_MYSQL = _COMMON | frozenset(
    (
        # aggregates and window functions
        "STD",
        "STDDEV",
        "STDDEV_POP",
        "STDDEV_SAMP",
        "VARIANCE",
        "VAR_POP",
        "VAR_SAMP",
        "BIT_AND",
        "BIT_OR",
        "BIT_XOR",
        "JSON_ARRAYAGG",
        "JSON_OBJECTAGG",
        "PERCENTILE_CONT",
        "PERCENTILE_DISC",
        # MariaDB only, but what our generator writes for MEDIAN (see backend/dialects.py)
        "MEDIAN",
        # control flow and casts
        "IF",
        "ISNULL",
        "GREATEST",
        "LEAST",
        "INTERVAL",
        "CONVERT",
        "BINARY",
        # strings
        "CHAR_LENGTH",
        "CHARACTER_LENGTH",
        "BIT_LENGTH",
        "LCASE",
        "UCASE",
        "MID",
        "LEFT",
        "RIGHT",
        "REVERSE",
        "REPEAT",
        "SPACE",
        "LPAD",
        "RPAD",
        "LOCATE",
        "POSITION",
        "FIND_IN_SET",
        "FIELD",
        "ELT",
        "INSERT",
        "ASCII",
        "ORD",
        "UNHEX",
        "STRCMP",
        "SUBSTRING_INDEX",
        "QUOTE",
        "REGEXP_REPLACE",
        "REGEXP_SUBSTR",
        "REGEXP_INSTR",
        "MAKE_SET",
        "EXPORT_SET",
        "BIN",
        "OCT",
        "CONV",
        "TO_BASE64",
        "FROM_BASE64",
        "MATCH",
        "MD5",
        "SHA1",
        "SHA2",
        "CRC32",
        "BIT_COUNT",
        "INET_ATON",
        "INET_NTOA",
        "COLLATION",
        "CHARSET",
        "WEIGHT_STRING",
        # numbers
        "TRUNCATE",
        "RAND",
        "COT",
        "DIV",
        # dates
        "NOW",
        "CURDATE",
        "CURTIME",
        "LOCALTIME",
        "LOCALTIMESTAMP",
        "SYSDATE",
        "UTC_DATE",
        "UTC_TIME",
        "UTC_TIMESTAMP",
        "TIMESTAMP",
        "YEAR",
        "MONTH",
        "DAY",
        "DAYOFMONTH",
        "DAYOFWEEK",
        "DAYOFYEAR",
        "WEEKDAY",
        "WEEK",
        "WEEKOFYEAR",
        "YEARWEEK",
        "QUARTER",
        "HOUR",
        "MINUTE",
        "SECOND",
        "MICROSECOND",
        "MONTHNAME",
        "DAYNAME",
        "LAST_DAY",
        "DATE_FORMAT",
        "TIME_FORMAT",
        "STR_TO_DATE",
        "DATE_ADD",
        "DATE_SUB",
        "ADDDATE",
        "SUBDATE",
        "ADDTIME",
        "SUBTIME",
        "DATEDIFF",
        "TIMEDIFF",
        "TIMESTAMPDIFF",
        "TIMESTAMPADD",
        "EXTRACT",
        "FROM_DAYS",
        "TO_DAYS",
        "TO_SECONDS",
        "FROM_UNIXTIME",
        "UNIX_TIMESTAMP",
        "MAKEDATE",
        "MAKETIME",
        "PERIOD_ADD",
        "PERIOD_DIFF",
        "SEC_TO_TIME",
        "TIME_TO_SEC",
        "CONVERT_TZ",
        "GET_FORMAT",
        # JSON
        "JSON_UNQUOTE",
        "JSON_VALUE",
        "JSON_CONTAINS",
        "JSON_CONTAINS_PATH",
        "JSON_LENGTH",
        "JSON_KEYS",
        "JSON_SEARCH",
        "JSON_DEPTH",
        "JSON_OVERLAPS",
    )
)

_SQLITE = _COMMON | frozenset(
    (
        "TOTAL",
        "STRING_AGG",
        "IIF",
        "IF",
        "PRINTF",
        "QUOTE",
        "TYPEOF",
        "UNICODE",
        "GLOB",
        "LIKE",
        "LIKELY",
        "UNLIKELY",
        "LIKELIHOOD",
        "RANDOM",
        "TRUNC",
        "DATETIME",
        "JULIANDAY",
        "UNIXEPOCH",
        "STRFTIME",
        "TIMEDIFF",
        "JSON",
        "JSON_ARRAY_LENGTH",
        "JSON_GROUP_ARRAY",
        "JSON_GROUP_OBJECT",
    )
)

# Our dialect name -> the functions it may call, upper-case.
ALLOWED: dict[str, frozenset[str]] = {
    MYSQL: _MYSQL,
    POSTGRESQL: postgresql.ALLOWED,
    SQLITE: _SQLITE,
}

# Refused with their own reason: they describe the account, the session or the server.
METADATA_FUNCTIONS = frozenset(
    (
        "USER",
        "CURRENT_USER",
        "SESSION_USER",
        "SYSTEM_USER",
        "CURRENT_ROLE",
        "VERSION",
        "CONNECTION_ID",
        "DATABASE",
        "SCHEMA",
        "LAST_INSERT_ID",
        "FOUND_ROWS",
        "ROW_COUNT",
        "UUID_SHORT",
        "DEFAULT",
        "BINLOG_GTID_POS",
        "SQLITE_VERSION",
        "SQLITE_SOURCE_ID",
        "LAST_INSERT_ROWID",
        "CHANGES",
        "TOTAL_CHANGES",
        "SQLITE_COMPILEOPTION_USED",
        "SQLITE_COMPILEOPTION_GET",
        "SQLITE_OFFSET",
    )
)

# Refused with their own reason: they touch files, sleep, take locks, change sequences,
# load code or allocate without bound.
DANGEROUS_FUNCTIONS = frozenset(
    (
        "LOAD_FILE",
        "SLEEP",
        "BENCHMARK",
        "GET_LOCK",
        "RELEASE_LOCK",
        "RELEASE_ALL_LOCKS",
        "IS_FREE_LOCK",
        "IS_USED_LOCK",
        "MASTER_POS_WAIT",
        "SOURCE_POS_WAIT",
        "MASTER_GTID_WAIT",
        "WAIT_FOR_EXECUTED_GTID_SET",
        "WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS",
        "NEXTVAL",
        "SETVAL",
        "LASTVAL",
        "SYS_EXEC",
        "SYS_EVAL",
        "PG_SLEEP",
        "LOAD_EXTENSION",
        "READFILE",
        "WRITEFILE",
        "EDIT",
        "FTS3_TOKENIZER",
        "RANDOMBLOB",
        "ZEROBLOB",
    )
)

# Keywords the databases evaluate as functions although written without brackets.
BARE_FUNCTIONS = frozenset(
    (
        "CURRENT_DATE",
        "CURRENT_TIME",
        "CURRENT_TIMESTAMP",
        "CURRENT_USER",
        "CURRENT_ROLE",
        "LOCALTIME",
        "LOCALTIMESTAMP",
        "UTC_DATE",
        "UTC_TIME",
        "UTC_TIMESTAMP",
    )
)
# Only in some dialects: elsewhere these words are ordinary column names.
_BARE_IN: dict[str, frozenset[str]] = {POSTGRESQL: postgresql.BARE}
# A bare word the generator writes is a call when it is one of these in any dialect.
_ANY_BARE = BARE_FUNCTIONS.union(*_BARE_IN.values())

_CALLED = re.compile(r"([A-Za-z_][A-Za-z0-9_$]*)(\(|$)")


def function_problem(node: exp.Func, dialect: str | None) -> Message | None:
    """Why calling `node` is refused in `dialect` (None: in every supported dialect)."""
    if dialect == POSTGRESQL and _quoted_name(node):
        # Sent upper-cased and still quoted ("PG_SLEEP"): a different, case-sensitive name.
        return Message.of("guard.function.quoted", name=node.name)
    dialects = (dialect,) if dialect else SUPPORTED_DIALECTS
    names = [called_name(node, _sqlglot(name)) for name in dialects]
    if all(name is None for name in names):
        return None  # syntax written like a call (CASE, operators), not a call
    shown = next(name for name in names if name is not None)
    for ours, name in zip(dialects, names, strict=True):
        if name is None or name in ALLOWED[ours]:
            return None
    return refusal(shown)


def bare_function_problem(column: exp.Column, dialect: str | None) -> Message | None:
    """Why an unquoted, unqualified name the database evaluates as a function is refused.

    With no `dialect` (a row filter, checked for every dialect), only the words that are
    functions everywhere count: `user` stays a column there.
    """
    name = column.name.upper()
    bare = BARE_FUNCTIONS | _BARE_IN.get(dialect or "", frozenset())
    if column.table or column.this.args.get("quoted") or name not in bare:
        return None
    dialects = (dialect,) if dialect else SUPPORTED_DIALECTS
    if any(name in ALLOWED[ours] for ours in dialects):
        return None
    return refusal(name)


def refusal(name: str) -> Message:
    """The reason a call of `name` is refused: what it does, when known."""
    if name in DANGEROUS_FUNCTIONS or name in postgresql.DANGEROUS:
        return Message.of("guard.function", name=name)
    if name in METADATA_FUNCTIONS or name in postgresql.METADATA:
        return Message.of("guard.function.metadata", name=name)
    if name.startswith(postgresql.DANGEROUS_PREFIXES):
        return Message.of("guard.function", name=name)
    return Message.of("guard.function.unknown", name=name)


def called_name(node: exp.Func, dialect: Dialect) -> str | None:
    """The function name the database is sent for `node`, upper-case; None for syntax."""
    if isinstance(node, exp.Anonymous):
        # sqlglot sends the name upper-cased by Python ('ſum' goes out as 'SUM'); a
        # non-ASCII name is refused rather than trusted to that.
        return node.name.upper() if node.name.isascii() else node.name
    found = _CALLED.match(node.sql(dialect=dialect, comments=False))
    if found is None:
        return None
    name = found.group(1).upper()
    # A bare word is a call only when it is one of the bracket-less keywords; otherwise the
    # node wrote out just its argument (a conversion the dialect needs no function for).
    return name if found.group(2) or name in _ANY_BARE else None


def _quoted_name(node: exp.Func) -> bool:
    return (
        isinstance(node, exp.Anonymous)
        and isinstance(node.this, exp.Identifier)
        and bool(node.this.quoted)
    )


@cache
def _sqlglot(dialect: str) -> Dialect:
    return sqlglot_dialect(dialect)
