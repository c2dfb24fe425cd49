"""The tables every retrieved prompt carries: those the approved examples read most.

Above `FULL_SCHEMA_MAX_TOKENS` each question gets its own tables, so its whole schema part
(~1,400 tokens at 746 tables) is evaluated anew: 21.5 s median on 2 CPU cores, against
4.8 s when the schema sits in the cached start of the prompt
(`bench/results/scale_accuracy_names.md`). Yet people ask about a few tables again and
again, and the approved examples (question → SQL pairs an admin reviewed) say which. The
tables they read most, as many as fit `core_schema_max_tokens`, are the *core*: in full in
the system message, in name order, the same for every question of a role, where the model
server's prompt cache serves them. Only the retrieved tables outside the core are added
per question.

What the examples read is what the guard says they read (`check_sql`), under the role's
own policy: an example the role may not see, or that reads what it may not, counts for
nothing, and a table the role may not read is never in its core.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace

from backend.domain import AccessPolicy, Example
from backend.errors import SqlRejected
from backend.sql_guard import KnownTables, check_sql


def tables_read(
    examples: Iterable[Example], policy: AccessPolicy, *, known: KnownTables, dialect: str
) -> Counter[str]:
    """How many of `examples` read each table, as the guard parses their SQL for `policy`."""
    counts: Counter[str] = Counter()
    unfiltered = replace(policy, row_filters=()) if policy.row_filters else policy
    for example in examples:
        try:
            checked = check_sql(
                example.sql, schema=known, dialect=dialect, row_limit=1, policy=unfiltered
            )
        except SqlRejected:
            continue
        counts.update(checked.tables)
    return counts


def core_tables(
    counts: Mapping[str, int], sizes: Mapping[str, int], *, budget_tokens: int
) -> tuple[str, ...]:
    """The most-read tables of `counts` that fit `budget_tokens` together (`sizes`: each
    table's tokens; a table not in `sizes` is not readable), in name order.

    Most read first, ties by name; a table too big for what is left is passed over for the
    smaller ones after it, so the budget is filled with the most asked-about tables."""
    chosen: list[str] = []
    left = budget_tokens
    for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        size = sizes.get(name)
        if count > 0 and size is not None and size <= left:
            chosen.append(name)
            left -= size
    return tuple(sorted(chosen))
