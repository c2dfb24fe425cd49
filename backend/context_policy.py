"""Which business notes and examples a prompt may carry for one access policy.

The prompt's schema leaves out what a policy hides; notes and examples must too, or a
note on `salary` or an example reading `employees` tells the model (and, through the SQL
it writes, the user) what the rules hide. One rule for every way they reach a prompt (the
whole list after the schema, or the few retrieved for a question):

- a note or example whose text names a hidden table or a denied column is left out —
  case, quotes, a table prefix, `_`/space/`-` between the words, camelCase and a plural
  do not hide the name (`Commission rates`, `"employees"."salary"`, `hireDate`);
- an example whose SQL the guard refuses under the policy (a hidden table behind an alias,
  `SELECT *` over a denied column...) is left out too. Row filters are not part of that
  check: an example that reads a filtered table is fine (it runs filtered), and their
  `:user.<name>` values are not needed to judge it.

Leaving a note out is cheap (a less informed model); leaving a hidden name in is a leak,
so the matching errs on the side of leaving out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from functools import lru_cache

from backend.domain import AccessPolicy, Example, Note
from backend.errors import SqlRejected
from backend.schema_render import identifier_words
from backend.sql_guard import KnownTables, check_sql


def visible_notes(notes: Iterable[Note], policy: AccessPolicy, tables: Sequence[str]) -> list[Note]:
    """The notes that name nothing `policy` hides."""
    return [n for n in notes if readable(f"{n.title}\n{n.text}", policy, tables)]


def visible_examples(
    examples: Iterable[Example],
    policy: AccessPolicy,
    tables: Sequence[str],
    *,
    known: KnownTables,
    dialect: str,
) -> list[Example]:
    """The examples that name nothing `policy` hides and whose SQL the guard accepts."""
    kept = []
    restricted = policy.allowed_tables is not None or bool(policy.denied_columns)
    for example in examples:
        if not readable(f"{example.question}\n{example.sql}", policy, tables):
            continue
        if restricted and guard_reads(example.sql, policy, known, dialect) is None:
            continue
        kept.append(example)
    return kept


def readable(text: str, policy: AccessPolicy, tables: Sequence[str]) -> bool:
    """False when `text` names a table or a column that `policy` hides."""
    hidden = [t for t in tables if not policy.allows_table(t)]
    hidden += [column for _table, column in policy.denied_columns]
    return not any(_name_pattern(name).search(text) for name in hidden)


@lru_cache(maxsize=1024)
def _name_pattern(name: str) -> re.Pattern[str]:
    """`commission_rate` → commission, then rate(s), with `_`, `-`, space or nothing between
    (`re.escape` leaves letters alone, so the plural forms built on them still work)."""
    words = [re.escape(word) for word in identifier_words(name)] or [re.escape(name.lower())]
    *head, last = words
    last = _singular_or_plural(last)
    body = r"[\s_\-]*".join([*head, last])
    # Whole words: an `_` joins words in SQL, so `base_salary` does not name `salary`.
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)


def _singular_or_plural(word: str) -> str:
    """`salary` → salary/salaries, `suppliers` → supplier(s), `order` → order(s)."""
    if word.endswith("ies"):
        return word[:-3] + "(?:y|ies)"
    if word.endswith("y"):
        return word[:-1] + "(?:y|ies)"
    plural = word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3
    stem = word[:-1] if plural else word
    return stem + "(?:e?s)?"


def guard_reads(
    sql: str, policy: AccessPolicy, known: KnownTables, dialect: str
) -> frozenset[str] | None:
    """The tables `sql` reads as the guard parses it for `policy`, or None when the guard
    refuses it. Row filters are left out: they change what runs, not what is read, and
    they need a user's attributes."""
    unfiltered = replace(policy, row_filters=()) if policy.row_filters else policy
    try:
        checked = check_sql(sql, schema=known, dialect=dialect, row_limit=1, policy=unfiltered)
    except SqlRejected:
        return None
    return checked.tables
