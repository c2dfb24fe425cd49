"""Schema as text: compact CREATE TABLE statements for prompts, and retrieval documents.

`render_table` writes the DDL a model reads: only the columns the caller's policy allows,
with comments and a few sample values inline, so that a prompt holding ten tables stays
small. Under a tight prompt budget it can be shorter still: `compact` keeps every column
and key but trims samples and comments and drops NOT NULL; `max_columns` (for very wide
tables) writes full lines for the keys and the columns a question names, and only the
names of the rest. `table_document` writes the text that is embedded and indexed for
retrieval: names split into words ("order_items" → "order items") so that a question's
words match them. All are deterministic: the same inputs always give the same text.

Knowledge applied to a table (`backend.knowledge`: a business description, synonyms)
is written here too: descriptions as DDL comments beside the database's own comment, and
descriptions and synonyms in the retrieval documents. Rendering follows the policy, so a
hidden column's description is never written into a prompt.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from backend.domain import AccessPolicy, ColumnDoc, ForeignKey, TableDoc

_SEPARATORS = re.compile(r"[\W_]+")
_PLAIN_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MAX_COMMENT = 160
_MAX_SAMPLE = 40
# Compact rendering: the first few samples, short, and the gist of each comment.
_COMPACT_COMMENT = 60
_COMPACT_SAMPLE = 24
_COMPACT_SAMPLES = 3
_HIDDEN_NAMES_PER_SHOWN = 3  # a capped table lists at most this many hidden names per line


def _boundary(prev: str, char: str, following: str) -> bool:
    """A word starts at `char`: aB, a1, 1a, and the B of ABc (acronym then word)."""
    if prev.isdigit() != char.isdigit():
        return True
    if prev.islower() and char.isupper():
        return True
    return prev.isupper() and char.isupper() and following.islower()


def _split_case(chunk: str) -> list[str]:
    words, start = [], 0
    for i in range(1, len(chunk)):
        following = chunk[i + 1] if i + 1 < len(chunk) else ""
        if _boundary(chunk[i - 1], chunk[i], following):
            words.append(chunk[start:i])
            start = i
    words.append(chunk[start:])
    return words


def identifier_words(name: str) -> list[str]:
    """Lower-cased words of an identifier: `OrderItems_2024` → ['order', 'items', '2024'].

    Splits on punctuation and `_`, at camelCase humps, acronym ends (`HTTPServer`) and
    letter/digit changes; works on any script (`categoríaId` → ['categoría', 'id']).
    """
    words: list[str] = []
    for chunk in _SEPARATORS.split(name):
        if chunk:
            words.extend(word.lower() for word in _split_case(chunk))
    return words


def humanize(name: str) -> str:
    """An identifier as words: `order_items` → 'order items', `unitPrice` → 'unit price'."""
    return " ".join(identifier_words(name))


def quote_identifier(name: str) -> str:
    """Backtick-quote names that are not plain identifiers (MariaDB and SQLite accept it)."""
    if _PLAIN_IDENTIFIER.match(name):
        return name
    return "`" + name.replace("`", "``") + "`"


def _one_line(text: str | None, limit: int = _MAX_COMMENT) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _sql_literal(value: str, limit: int = _MAX_SAMPLE) -> str:
    return "'" + _one_line(value, limit).replace("'", "''") + "'"


def _meaning(comment: str | None, description: str | None) -> str:
    """The database's comment and the knowledge's description, each once."""
    parts = [_one_line(text, 10_000) for text in (comment, description) if text and text.strip()]
    if len(parts) == 2 and parts[0].lower() == parts[1].lower():
        parts.pop()
    return "; ".join(parts)


def _column_note(column: ColumnDoc, with_samples: bool, compact: bool = False) -> str:
    parts = []
    meaning = _meaning(column.comment, column.description)
    if meaning:
        parts.append(_one_line(meaning, _COMPACT_COMMENT if compact else _MAX_COMMENT))
    if with_samples and column.sample_values:
        samples = column.sample_values[:_COMPACT_SAMPLES] if compact else column.sample_values
        limit = _COMPACT_SAMPLE if compact else _MAX_SAMPLE
        parts.append("e.g. " + ", ".join(_sql_literal(v, limit) for v in samples))
    return "; ".join(parts)


def _column_line(column: ColumnDoc, inline_pk: bool, compact: bool = False) -> str:
    line = f"{quote_identifier(column.name)} {column.type}"
    if not column.nullable and not (inline_pk and column.primary_key) and not compact:
        line += " NOT NULL"
    if inline_pk and column.primary_key:
        line += " PRIMARY KEY"
    return line


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(quote_identifier(name) for name in names)


def _fk_line(fk: ForeignKey) -> str:
    return (
        f"FOREIGN KEY ({_names(fk.columns)}) "
        f"REFERENCES {quote_identifier(fk.ref_table)}({_names(fk.ref_columns)})"
    )


def visible_foreign_keys(table: TableDoc, policy: AccessPolicy | None) -> list[ForeignKey]:
    """Foreign keys whose columns, referenced table and referenced columns the policy allows."""
    if policy is None:
        return list(table.foreign_keys)
    return [
        fk
        for fk in table.foreign_keys
        if policy.allows_table(fk.ref_table)
        and all(policy.allows_column(table.name, c) for c in fk.columns)
        and all(policy.allows_column(fk.ref_table, c) for c in fk.ref_columns)
    ]


def render_table(
    table: TableDoc,
    *,
    policy: AccessPolicy | None = None,
    with_samples: bool = True,
    compact: bool = False,
    max_columns: int | None = None,
    prefer: Collection[str] = (),
) -> str:
    """Compact `CREATE TABLE` text for a prompt; columns the policy denies are left out.

    `compact` trims samples and comments and drops NOT NULL. `max_columns` caps the
    columns written in full: key columns (primary and foreign) always are, then those in
    `prefer`, then the rest in table order; the others are only named, in a comment.
    Raises `ValueError` for a table the policy does not allow: callers filter first.
    A table the policy filters by rows shows no sample values: they were read from every
    row, and the prompt (and the SQL the model writes from it) must not show a filtered
    user rows they may not see.
    """
    if policy is not None and not policy.allows_table(table.name):
        raise ValueError(f"table {table.name!r} is not allowed by the policy")
    if policy is not None and any(
        r.table.lower() == table.name.lower() for r in policy.row_filters
    ):
        with_samples = False
    columns = [
        c for c in table.columns if policy is None or policy.allows_column(table.name, c.name)
    ]
    fks = visible_foreign_keys(table, policy)
    shown, hidden = _cap_columns(columns, fks, max_columns, prefer)
    pk = [c.name for c in columns if c.primary_key]
    inline_pk = len(pk) == 1
    items: list[tuple[str, str]] = [
        (_column_line(c, inline_pk, compact), _column_note(c, with_samples, compact)) for c in shown
    ]
    if len(pk) > 1:
        items.append((f"PRIMARY KEY ({_names(tuple(pk))})", ""))
    items.extend((_fk_line(fk), "") for fk in fks)
    header = f"CREATE TABLE {quote_identifier(table.name)} ("
    meaning = _meaning(table.comment, table.description)
    if meaning:
        limit = _COMPACT_COMMENT if compact else _MAX_COMMENT
        header += f" -- {_one_line(meaning, limit)}"
    lines = [header]
    for index, (text, note) in enumerate(items):
        comma = "," if index < len(items) - 1 else ""
        lines.append(f"  {text}{comma}" + (f" -- {note}" if note else ""))
    if hidden:
        lines.append("  -- " + _hidden_note(hidden, len(shown)))
    lines.append(");")
    return "\n".join(lines)


def _cap_columns(
    columns: list[ColumnDoc],
    fks: list[ForeignKey],
    max_columns: int | None,
    prefer: Collection[str],
) -> tuple[list[ColumnDoc], list[ColumnDoc]]:
    """(columns written in full, in table order; columns only named)."""
    if max_columns is None or len(columns) <= max_columns:
        return columns, []
    keys = {c.name for c in columns if c.primary_key} | {n for fk in fks for n in fk.columns}
    wanted = {name.lower() for name in prefer}
    ranked = sorted(
        columns,
        key=lambda c: (c.name not in keys, c.name.lower() not in wanted),
    )  # stable: table order within each group
    chosen = {c.name for c in ranked[: max(max_columns, len(keys))]} | keys
    return [c for c in columns if c.name in chosen], [c for c in columns if c.name not in chosen]


def _hidden_note(hidden: list[ColumnDoc], shown: int) -> str:
    limit = max(1, shown) * _HIDDEN_NAMES_PER_SHOWN
    names = ", ".join(quote_identifier(c.name) for c in hidden[:limit])
    rest = len(hidden) - limit
    return f"more columns: {names}" + (f" and {rest} others" if rest > 0 else "")


def question_columns(table: TableDoc, question: str) -> frozenset[str]:
    """Columns of `table` that share a word with `question` (plural-insensitive)."""
    words = {_singular(word) for word in identifier_words(question)}
    return frozenset(
        column.name
        for column in table.columns
        if any(_singular(word) in words for word in identifier_words(column.name))
    )


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def _named(name: str) -> str:
    """`orders` → 'orders'; `OrderItems` → 'OrderItems (order items)': words once each."""
    words = humanize(name)
    return name if words == name else f"{name} ({words})"


def _synonyms(words: tuple[str, ...]) -> str:
    return ", ".join(_one_line(word, _MAX_SAMPLE) for word in words if word.strip())


def _column_phrase(column: ColumnDoc) -> str:
    phrase = humanize(column.name) or column.name
    meaning = _meaning(column.comment, column.description)
    if meaning:  # room for both when knowledge adds a description to a comment
        limit = 2 * _MAX_COMMENT if column.description else _MAX_COMMENT
        phrase += f": {_one_line(meaning, limit)}"
    if column.synonyms:
        phrase += f" (also: {_synonyms(column.synonyms)})"
    if column.sample_values:
        phrase += " e.g. " + ", ".join(_one_line(v, _MAX_SAMPLE) for v in column.sample_values)
    return phrase


def table_document(table: TableDoc) -> str:
    """The text embedded and indexed for retrieval of `table` (all columns, no policy).

    Column names appear split into words ("order_date" → "order date"), once each, so that
    no word is counted twice. The index is shared by every role, so this names columns
    some roles cannot see; search returns only table names, and prompts are rendered per
    policy with `render_table`.
    """
    lines = [f"table {_named(table.name)}"]
    meaning = _meaning(table.comment, table.description)
    if meaning:
        lines.append(_one_line(meaning, 400))
    if table.synonyms:
        lines.append(f"also called: {_synonyms(table.synonyms)}")
    lines.append("columns: " + "; ".join(_column_phrase(c) for c in table.columns))
    targets = sorted({fk.ref_table for fk in table.foreign_keys})
    if targets:
        lines.append("references: " + ", ".join(humanize(t) or t for t in targets))
    return "\n".join(lines)


def column_document(table: TableDoc, column: ColumnDoc) -> str:
    """The text indexed for one column of a wide table: the column with its table's name."""
    text = f"column {_column_phrase(column)} of table {_named(table.name)}"
    meaning = _meaning(table.comment, table.description)
    if meaning:
        text += f"\n{_one_line(meaning)}"
    return text
