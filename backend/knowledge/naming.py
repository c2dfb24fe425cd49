"""The users' words for a table and its label columns: a short second call per table.

Asked in the one drafting call, a small model (qwen2.5-coder 1.5B) answers a table's
synonyms with its column names ("Customer ID", "Name", "Segment"): useless for finding
the table. Asked apart, with nothing else to do and one worked example from a made-up
domain, it names what one row is in everyday words ("clients", "buyers"). The same call
asks for the words of the columns people filter or group by: non-key columns that have
sample values (few distinct values), at most `MAX_LABEL_COLUMNS` of them.

What comes back is filtered (`keep_words`): a word or phrase made only of the table's or
the column's own name words (plus filler such as "information", "table", "id") says
nothing new, and a table synonym that is another table's name would pull that table's
questions to this one.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from backend.domain import ColumnDoc, TableDoc
from backend.knowledge.model import DRAFT, Entry, clean_synonyms
from backend.schema_render import identifier_words

MAX_LABEL_COLUMNS = 6
ROWS = "rows"
NAMES_SYSTEM = """You help business people find data. For a database table, give the \
everyday words people use, in English ("en") and Spanish ("es").
"rows": 3 to 5 plural nouns for what one row of the table is, as people say it \
(not the table's own name, not its column names).
Each column asked: 2 or 3 other words people use for it when they filter or group by it \
(not the column's own name).
The example is about another business: never reuse its words.
Answer with the JSON you are given, filled in, and nothing else."""
# A made-up domain, so that no example word leaks into a real schema's answers.
_EXAMPLE_USER = """Table: vessels
Columns: vessel id, name, hull code, tonnage, flag country, home port id, class
About: one row per ship the line operates
Fill in:
{"rows": {"en": [], "es": []},
 "flag_country": {"en": [], "es": []},
 "class": {"en": [], "es": []}}"""
_EXAMPLE_ANSWER = """{"rows": {"en": ["ships", "boats", "fleet"], \
"es": ["barcos", "buques", "flota"]},
 "flag_country": {"en": ["flag state", "registry"], "es": ["bandera", "país de registro"]},
 "class": {"en": ["ship type", "kind of vessel"], "es": ["tipo de barco", "categoría"]}}"""
_BLANK = '{"en": [], "es": []}'
# Words that add nothing to a name: "customer information", "order details".
_FILLER_WORDS = (
    "a an and the of for per by in on table tables information info data record records "
    "detail details list id ids identifier de del la el los las y e tabla tablas "
    "informacion dato datos registro registros detalle detalles lista"
)  # accent-free, as `_key` compares
_FILLER = frozenset(_FILLER_WORDS.split())
Words = tuple[tuple[str, ...], tuple[str, ...]]  # (English, Spanish)


def label_columns(table: TableDoc) -> list[ColumnDoc]:
    """Columns people filter or group by: non-key, with sample values (few distinct)."""
    keys = {c.name for c in table.columns if c.primary_key}
    keys |= {name for fk in table.foreign_keys for name in fk.columns}
    found = [c for c in table.columns if c.name not in keys and c.sample_values]
    return found[:MAX_LABEL_COLUMNS]


def naming_messages(table: TableDoc) -> list[tuple[str, str]]:
    """The prompt: the table's name, column names and comment, and the JSON to fill in."""
    lines = [
        f"Table: {table.name}",
        "Columns: " + ", ".join(" ".join(identifier_words(c.name)) for c in table.columns),
    ]
    if table.comment:
        lines.append(f"About: {' '.join(table.comment.split())}")
    fields = [f'"{ROWS}": {_BLANK}'] + [
        f"{json.dumps(c.name)}: {_BLANK}" for c in label_columns(table)
    ]
    lines.append("Fill in:\n{" + ",\n ".join(fields) + "}")
    return [
        ("system", NAMES_SYSTEM),
        ("user", _EXAMPLE_USER),
        ("assistant", _EXAMPLE_ANSWER),
        ("user", "\n".join(lines)),
    ]


def _key(text: str) -> tuple[str, ...]:
    """Words of a name or phrase, accent-free, singular, fillers out: how names compare."""
    folded = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return tuple(_singular(w) for w in identifier_words(plain) if w not in _FILLER)


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def keep_words(
    words: Iterable[str], own: Iterable[str], others: Collection[tuple[str, ...]] = ()
) -> tuple[str, ...]:
    """`words` less those made only of the words of `own` names (or of filler), and those
    that are one of `others` (name keys, see `name_keys`)."""
    taken = {word for name in own for word in _key(name)}
    kept = []
    for word in words:
        key = _key(word)
        if key and not set(key) <= taken and key not in others:
            kept.append(word)
    return tuple(kept)


def name_keys(tables: Iterable[TableDoc]) -> frozenset[tuple[str, ...]]:
    """The tables' names as `keep_words` compares them."""
    return frozenset(key for t in tables if (key := _key(t.name)))


def parse_names(
    text: str, table: TableDoc, others: Collection[tuple[str, ...]] = ()
) -> dict[str, Words]:
    """The words in a naming answer by column ("" for the table), filtered; unknown
    columns and unusable parts are left out (empty: nothing usable)."""
    data = first_json_object(text)
    if not isinstance(data, Mapping):
        return {}
    found: dict[str, Words] = {}
    rows = data.get(ROWS, data.get("table"))
    if rows is None and ("en" in data or "es" in data):
        rows = data
    own = [table.name, *(c.name for c in table.columns)]
    table_words = _words(rows, own, others)
    if table_words is not None:
        found[""] = table_words
    names = {c.name.lower(): c.name for c in table.columns}
    for raw, value in data.items():
        column = names.get(str(raw).lower())
        words = _words(value, [table.name, column]) if column is not None else None
        if column is not None and words is not None:
            found[column] = words
    return found


def _words(
    value: Any, own: Sequence[str], others: Collection[tuple[str, ...]] = ()
) -> Words | None:
    if isinstance(value, list | str):
        value = {"en": value}
    if not isinstance(value, Mapping):
        return None
    en = keep_words(clean_synonyms(value.get("en") or []), own, others)
    es = keep_words(clean_synonyms(value.get("es") or []), own, others)
    return (en, es) if en or es else None


def first_json_object(text: str) -> Any:
    """The first JSON object in `text` (fences and prose around it are ignored; an answer
    cut before its last closing braces is closed)."""
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        rest = text[match.start() :].rstrip()
        for tail in ("", "}", "}}"):
            try:
                value, _ = decoder.raw_decode(rest + tail)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
            break
    return None


def with_names(
    entries: Sequence[Entry],
    names: Mapping[str, Words],
    table: TableDoc,
    others: Collection[tuple[str, ...]] = (),
) -> list[Entry]:
    """The drafted `entries` with the naming call's words first, every synonym filtered
    (`keep_words`); a column only the naming call spoke of gets an entry of its own."""
    by_column = {e.column: e for e in entries}
    merged = []
    for column in dict.fromkeys([*by_column, *names]):
        entry = by_column.get(column) or Entry(table.name, column, status=DRAFT)
        own = [table.name, column] if column else [table.name, *table.column_names]
        unlike = () if column else others
        en, es = names.get(column, ((), ()))
        merged.append(
            replace(
                entry,
                synonyms_en=clean_synonyms([*en, *keep_words(entry.synonyms_en, own, unlike)]),
                synonyms_es=clean_synonyms([*es, *keep_words(entry.synonyms_es, own, unlike)]),
            )
        )
    return merged
