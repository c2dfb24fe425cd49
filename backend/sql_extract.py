"""Pull the SQL statement out of whatever a (small) chat model answered.

Models wrap SQL in ```sql fences, bare ``` fences, `<sql>` tags or JSON, put prose and
`<think>` blocks around it, prefix it with "SQL:", or just answer with the statement.
`extract_sql` finds the first candidate that looks like SQL and returns it trimmed to one
statement without the trailing semicolon. This is convenience, not security: whatever
comes out still goes through the SQL guard.
"""

from __future__ import annotations

import json
import re

_THINK_BLOCK = re.compile(r"<think(?:ing)?>.*?(?:</think(?:ing)?>|\Z)", re.IGNORECASE | re.DOTALL)
_THINK_END = re.compile(r"</think(?:ing)?>", re.IGNORECASE)
_FENCE = re.compile(r"```+[ \t]*(?:([\w+-]+)[ \t]*\n|\n?)(.*?)(?:```+|\Z)", re.DOTALL)
_SQL_TAG = re.compile(r"<sql>(.*?)(?:</sql>|\Z)", re.IGNORECASE | re.DOTALL)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_PREFIX = re.compile(
    r"^\s*(?:[*#>_-]+\s*)*(?:(?:sql|query|sql query|answer|final answer)\s*[*_]*\s*[:=-]"
    r"|sql(?=\s+(?:select|with)\b))\s*[*_]*\s*",
    re.IGNORECASE,
)
_PROSE = re.compile(r"^\s*(?:This|These|Here|Note|Explanation|It|I|We|You|Let|Hope|Result)\b")
_START = re.compile(r"^\s*\(*\s*(SELECT|WITH)\b", re.IGNORECASE)
_OTHER_STATEMENT = re.compile(
    r"^\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|TRUNCATE|GRANT|REVOKE|SET|CALL|"
    r"SHOW|DESCRIBE|EXPLAIN|PRAGMA|ATTACH|DO|HANDLER|LOCK|UNLOCK|LOAD|USE)\b",
    re.IGNORECASE,
)
_SQL_PUNCTUATION = re.compile(r"[*,()=<>;`'\"]")
_SQL_LANGUAGES = {"", "sql", "mysql", "sqlite", "mariadb", "sqlite3", "postgresql", "tsql"}


def extract_sql(text: str) -> str | None:
    """The first SQL statement in `text`, without a trailing semicolon; None if there is none."""
    if not text or not text.strip():
        return None
    visible = _without_thinking(text)
    for candidate in _candidates(visible):
        sql = _statement_in(candidate, fenced=True)
        if sql:
            return sql
    return _statement_in(visible, fenced=False)


def _without_thinking(text: str) -> str:
    # Some models emit only the closing tag: everything before it was thinking.
    parts = _THINK_END.split(text)
    tail = parts[-1] if len(parts) > 1 and "<think" not in parts[0].lower() else text
    return _THINK_BLOCK.sub("", tail)


def _candidates(text: str) -> list[str]:
    fences = _FENCE.findall(text)
    found = [body for language, body in fences if language.lower() in _SQL_LANGUAGES]
    found += [body for language, body in fences if language.lower() not in _SQL_LANGUAGES]
    found += _SQL_TAG.findall(text)
    found += _json_sql(text)
    found += [code for code in _INLINE_CODE.findall(_FENCE.sub("", text))]
    return found


def _json_sql(text: str) -> list[str]:
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return []
    try:
        value = json.loads(text[start : end + 1])
    except ValueError:
        return []
    if not isinstance(value, dict):
        return []
    return [v for k, v in value.items() if k.lower() in ("sql", "query") and isinstance(v, str)]


def _statement_in(block: str, *, fenced: bool) -> str | None:
    """The statement starting at the first SQL-looking line of `block`, if any."""
    lines = block.splitlines()
    for index, line in enumerate(lines):
        stripped = _PREFIX.sub("", line, count=1)
        if not _looks_like_start(stripped, fenced=fenced):
            continue
        rest = [stripped, *lines[index + 1 :]]
        end = next((i for i, r in enumerate(rest) if _ends_statement(r, fenced)), len(rest))
        sql = _first_statement("\n".join(rest[:end])).strip()
        if sql:
            return sql
    return None


def _ends_statement(line: str, fenced: bool) -> bool:
    # Bare text: the statement ends at a blank line. Anywhere: at a line of prose.
    return bool(_PROSE.match(line)) or (not fenced and not line.strip())


def _looks_like_start(line: str, *, fenced: bool) -> bool:
    match = _START.match(line)
    if match:
        # In prose, "Select the customers from Paris" is not SQL: ask for SQL-ish signs.
        return fenced or match.group(1).isupper() or bool(_SQL_PUNCTUATION.search(line))
    return fenced and bool(_OTHER_STATEMENT.match(line))


def _first_statement(sql: str) -> str:
    """`sql` up to its first semicolon outside quotes and comments, without trailing ones."""
    quote: str | None = None
    index = 0
    while index < len(sql):
        char, pair = sql[index], sql[index : index + 2]
        if quote:
            if char == "\\" and quote != "`":
                index += 1
            elif char == quote:
                quote = None
        elif char in "'\"`":
            quote = char
        elif pair == "--" or char == "#":
            newline = sql.find("\n", index)
            index = len(sql) if newline < 0 else newline
        elif pair == "/*":
            close = sql.find("*/", index + 2)
            index = len(sql) if close < 0 else close + 1
        elif char == ";":
            return sql[:index].rstrip()
        index += 1
    return sql.rstrip().rstrip(";").rstrip()


def extract_chart(text: str) -> str | None:
    """The JSON text of a chart proposal (a fenced object with a "kind"), if the model made one.

    Only found here; whether it is usable is decided against the result by
    `backend.charts.validate_spec`.
    """
    if not text:
        return None
    for language, body in _FENCE.findall(_without_thinking(text)):
        if language.lower() not in {"json", "chart", ""}:
            continue
        try:
            value = json.loads(body)
        except ValueError:
            continue
        if isinstance(value, dict) and "kind" in value:
            return str(body).strip()
    return None
