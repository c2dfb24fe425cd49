"""The tables the question's nearest approved examples read come first among those found.

On a big schema the search finds the right tables for a business question, but often
below look-alikes from other corners of the schema that share the user's words ("clients",
"deliveries"): the right table is in the search's top few dozen, not in its top five. The
approved examples (question → SQL pairs an admin reviewed) nearest the question say which
tables such questions read. A table that both signals agree on — the search found it, and
a near example reads it — is surer than either alone, so those come first, the more of
the near examples read a table the earlier; the search's own order decides among equals
and for the rest. Nothing is added that the search did not find, and with no examples the
order is the search's. (The tables of the question's own things and values then go
before them: `backend.thing_tables`.)

Measured on the scale benchmark (`python -m bench scale`: 66 business-word questions, the
demo among 734 distractor tables, the demo's 17 examples, question names on): see the
README, "Hundreds of tables".

The same reads order the retrieved tables' DDL in the prompt (`cache_order`): the tables
the approved examples read most come first, in one fixed order, so that questions about
the usual tables share the start of their schema part and the model server's prompt cache
serves it; the others follow in the ranking's order.

What an example reads is what the guard says it reads (`context_policy.guard_reads`)
under the asker's own policy, so an example reading something the asker may not read
counts for nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from backend.context_policy import guard_reads
from backend.domain import AccessPolicy, Example
from backend.sql_guard import KnownTables

# How deep in the search's ranking an example's table is still brought forward. The
# foreign-key promotion keeps reading the top max(4k, 20), as without examples.
SEARCH_DEPTH = 80


def tables_read(
    examples: Iterable[Example], policy: AccessPolicy, *, known: KnownTables, dialect: str
) -> Counter[str]:
    """How many of `examples` read each table, as the guard parses their SQL for `policy`
    (an example the guard refuses for `policy` reads nothing)."""
    read: Counter[str] = Counter()
    for example in examples:
        read.update(guard_reads(example.sql, policy, known, dialect) or ())
    return read


def examples_first(ranked: Sequence[str], read: Mapping[str, int]) -> list[str]:
    """`ranked` with the tables `read` counts first, those more examples read before
    those fewer read, and otherwise in `ranked`'s order."""
    counts: dict[str, int] = {}
    for name, n in read.items():
        if n > 0:
            counts[name.lower()] = counts.get(name.lower(), 0) + n
    first = [name for name in ranked if name.lower() in counts]
    first.sort(key=lambda name: -counts[name.lower()])  # stable: ties keep the ranking
    return first + [name for name in ranked if name.lower() not in counts]


def cache_order(names: Sequence[str], reads: Mapping[str, int]) -> list[str]:
    """`names` (a prompt's tables, best first) with those `reads` counts first, most read
    first and then by name — the same relative order in every prompt — and the others
    after, in `names`' order."""
    counts = {name.lower(): n for name, n in reads.items() if n > 0}
    read = [name for name in names if name.lower() in counts]
    read.sort(key=lambda name: (-counts[name.lower()], name.lower()))
    return read + [name for name in names if name.lower() not in counts]
