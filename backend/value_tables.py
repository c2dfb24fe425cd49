"""The tables holding a value the question says: "card payments" → `payments.method` 'card'.

People name things by their values: a carrier ("Royal Mail"), a region ("the Nordics"), a
payment method ("by card"), a voucher code. Introspection keeps a few values of each
column (`ColumnDoc.sample_values`), and they are in the indexed documents, but one word
among a table's whole document weighs little in either search, and on a big schema some
look-alike table shares the question's other words. So the question's words are also
matched against the values themselves: a value the question says exactly (whole words, a
plural "s" aside; a value with capitals in the same case) points at its table, which then
joins the ranking as one of the question's things does (`backend.thing_tables`: only
near the question's best tables).

Only what the asker's prompt could show counts: columns the policy allows, and no values
of a table the policy filters by rows (as `schema_render.render_table`). Values that say
nothing are left out: numbers, one or two letters, a value held by more than `MAX_TABLES`
tables. A lower-case code that is also a common word ("new", "open") still matches the
word: its table is only brought forward when it joins the question's best ones. Pure
functions: `SchemaView` keeps the index per policy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from backend.domain import AccessPolicy, TableDoc

# A value in more tables than this ("active", "other") says nothing about which one.
MAX_TABLES = 3
# Values are matched as runs of up to this many words of the question.
MAX_WORDS = 4
_MIN_CHARS = 3
_WORD = re.compile(r"[^\W_]+", re.UNICODE)

ValueIndex = Mapping[str, tuple[str, ...]]


def _key(words: Sequence[str], *, fold: bool) -> str:
    """A value's or phrase's comparable form: its words (lower-cased with `fold`), a final
    "s" dropped."""
    text = " ".join(words)
    text = text.lower() if fold else text
    return text[:-1] if text.lower().endswith("s") and len(text) > _MIN_CHARS else text


def value_index(tables: Iterable[TableDoc], policy: AccessPolicy) -> dict[str, tuple[str, ...]]:
    """Each value worth matching (its `_key`) → the tables `policy` may see it in."""
    filtered = {r.table.lower() for r in policy.row_filters}
    holders: dict[str, list[str]] = {}
    for table in tables:
        if not policy.allows_table(table.name) or table.name.lower() in filtered:
            continue
        for column in table.columns:
            if not policy.allows_column(table.name, column.name):
                continue
            for sample in column.sample_values:
                value = str(sample)
                words = _WORD.findall(value)
                if not 0 < len(words) <= MAX_WORDS or not any(c.isalpha() for c in value):
                    continue
                # A value in capitals is a name ("Sales", "Royal Mail"): the question must
                # say it so, or "sales" and "mail" would point at it. One in lower case
                # is a code ("card", "damaged"), said in any case.
                key = _key(words, fold=value.islower())
                if len(key) < _MIN_CHARS:
                    continue
                found = holders.setdefault(key, [])
                if table.name not in found:
                    found.append(table.name)
    return {key: tuple(names) for key, names in holders.items() if len(names) <= MAX_TABLES}


def said_values(question: str, index: ValueIndex) -> list[tuple[str, ...]]:
    """The tables of each value `question` says, each value once; a longer phrase first, and
    its words then say nothing more ("Royal Mail" is not also "Mail")."""
    words = _WORD.findall(question)
    used = [False] * len(words)
    found: dict[str, tuple[str, ...]] = {}
    for size in range(min(MAX_WORDS, len(words)), 0, -1):
        for start in range(len(words) - size + 1):
            if any(used[start : start + size]):
                continue
            phrase = words[start : start + size]
            for key in (_key(phrase, fold=False), _key(phrase, fold=True)):
                if key in index:
                    used[start : start + size] = [True] * size
                    found.setdefault(key, index[key])
                    break
    return list(found.values())
