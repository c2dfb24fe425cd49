"""Which database error texts may be shown as written, and what the others become.

A database error's text can carry row values: "Duplicate entry 'ana@x.com1' for key
'group_key'" (a GROUP BY), "Truncated incorrect DOUBLE value: '…'", a JSON or REGEXP
error quoting the text it choked on. Shown to a user whose rules hide those rows or
columns, or sent to the model (whose next SQL the user reads), that is a leak; even the
error's *kind* can answer a yes/no question about a value. So the rule is an allow-list:
only errors whose text is built from the query itself (an unknown column, a syntax error,
a wrong argument count) keep their text, which the model needs to repair its SQL. Every
other error becomes a catalogue message chosen by its code, with the code and no values;
the database's own text goes to the server log only.

The same rule holds for every user, admins included: one path, nothing to get wrong per
role, and an admin who needs the raw text has the log and a SQL client.
"""

from __future__ import annotations

from backend.i18n.message import Message

# MySQL/MariaDB errors whose text quotes only names and fragments of the query.
MYSQL_QUERY_TEXT_CODES = frozenset(
    {
        1052,  # column is ambiguous
        1054,  # unknown column
        1055,
        1056,
        1140,  # GROUP BY / aggregate misuse
        1060,
        1066,  # duplicate column name / table alias
        1064,
        1149,  # syntax error
        1109,
        1146,  # unknown table / table doesn't exist
        1111,  # invalid use of group function
        1221,
        1222,
        1241,
        1247,
        1248,
        1250,  # wrong usage, column counts, derived alias
        1235,  # this version doesn't yet support ...
        1267,
        1270,
        1271,  # illegal mix of collations
        1305,
        1630,  # function does not exist
        1582,
        1583,
        1584,  # wrong argument count / arguments
        3065,  # ORDER BY not in the select list (DISTINCT)
        4078,  # illegal parameter data types for an operation
    }
)

# A subquery gave several rows where one value was expected.
_SUBQUERY_ROWS = frozenset({1242})
# Errors about one value of the data: conversion, range, JSON, REGEXP, GROUP BY keys.
_VALUE_CODES = frozenset(
    {
        1062,
        1139,
        1264,
        1265,
        1292,
        1365,
        1366,
        1367,
        1406,
        1411,
        1525,
        1690,
        3140,
        3141,
        3143,
        3146,
        3150,
        3151,
        3153,
        3156,
        4036,
        4037,
        4038,
        4039,
        4040,
        4041,
        4042,
        4043,
        4044,
        4045,
        4046,
        4047,
        4048,
    }
)
# The database account may not use something the query names (messages name the account).
_DENIED_CODES = frozenset({1044, 1045, 1142, 1143, 1227, 1370})

# SQLite has no codes for these; its messages name only parts of the query.
SQLITE_QUERY_TEXT_PREFIXES = (
    "no such column",
    "no such table",
    "no such function",
    "ambiguous column name",
    "wrong number of arguments",
    "misuse of aggregate",
    "misuse of window function",
    "near ",
    "incomplete input",
    "unrecognized token",
    "sub-select returns",
    "selects to the left and right",
    "order by term out of range",
    "a group by clause is required",
    "aggregate functions are not allowed",
    "1st order by term",
    "2nd order by term",
    "3rd order by term",
    "row value misused",
)


# PostgreSQL errors (SQLSTATE) whose text names only parts of the query: syntax, unknown
# or ambiguous names, type mismatches between expressions, GROUP BY and window misuse.
POSTGRESQL_QUERY_TEXT_STATES = frozenset(
    {
        "42601",  # syntax_error
        "42703",  # undefined_column
        "42P01",  # undefined_table
        "42883",  # undefined_function
        "42702",  # ambiguous_column
        "42725",  # ambiguous_function
        "42P09",  # ambiguous_alias
        "42803",  # grouping_error
        "42804",  # datatype_mismatch
        "42846",  # cannot_coerce
        "42P18",  # indeterminate_datatype
        "42P10",  # invalid_column_reference
        "42P20",  # windowing_error
        "42P19",  # invalid_recursion
        "42712",  # duplicate_alias
        "42701",  # duplicate_column
        "42809",  # wrong_object_type
    }
)
_POSTGRESQL_SUBQUERY_ROWS = "21000"  # more than one row returned by a subquery
_POSTGRESQL_DENIED = frozenset({"42501"})  # insufficient_privilege


def mysql_error_message(code: int | None, text: str) -> str | Message:
    """The error as the user and the model may read it: the text, or a catalogue message."""
    if code in MYSQL_QUERY_TEXT_CODES:
        return text
    if code in _SUBQUERY_ROWS:
        return Message.of("engine.db.subquery_rows", code=code)
    if code in _VALUE_CODES:
        return Message.of("engine.db.value_error", code=code)
    if code in _DENIED_CODES:
        return Message.of("engine.db.denied", code=code)
    return Message.of("engine.db.failed", code=code if code is not None else "?")


def sqlite_error_message(text: str) -> str | Message:
    """SQLite's text when it only names parts of the query, else a catalogue message."""
    if text.lower().startswith(SQLITE_QUERY_TEXT_PREFIXES):
        return text
    return Message.of("engine.db.failed", code="SQLite")


def postgresql_error_message(state: str | None, text: str) -> str | Message:
    """PostgreSQL's text when it only names parts of the query, else a catalogue message.

    Class 22 (data exception: a cast of a value, a division by zero, a date out of range)
    and 23 quote or reveal values; they become `engine.db.value_error` like MySQL's.
    """
    code = state or "?"
    if state in POSTGRESQL_QUERY_TEXT_STATES:
        return text
    if state == _POSTGRESQL_SUBQUERY_ROWS:
        return Message.of("engine.db.subquery_rows", code=code)
    if state is not None and state.startswith(("22", "23")):
        return Message.of("engine.db.value_error", code=code)
    if state in _POSTGRESQL_DENIED:
        return Message.of("engine.db.denied", code=code)
    return Message.of("engine.db.failed", code=code)
