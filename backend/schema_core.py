"""The core of a big schema: the tables the approved examples read, sent whole when a
question is about them.

Above `FULL_SCHEMA_MAX_TOKENS` each question gets its own retrieved tables, so its schema
part (~1,400 tokens at 746 tables) is evaluated anew every time: ~22 s median on 2 CPU
cores, against ~5 s when the schema sits in the cached start of the prompt. Yet people
ask about a few tables again and again, and the approved examples (question → SQL pairs
an admin reviewed) say which. Those tables are the *core*. A question whose own best
match (the search's first table, before the examples bring theirs forward) is a core
table, and none of whose retrieved tables is a neighbour of the core outside it (a
question reaching past the core), gets the core whole instead of retrieved tables — the
prompt a small schema gets,
with every note and example after it, the same for every such question of a role, so the
model server's prompt cache serves it. Any other question gets its retrieved tables as
before; the two are never mixed: measured, retrieved look-alikes beside the core drew the
1.5B model away from it (README, "Hundreds of tables").

Which tables: whole groups of equally-read tables, most read first, while a group fits
`core_schema_max_tokens` with the groups before it. A group that does not fit ends the
core there: splitting it would pick among equals by name. So when examples cover every
corner of a schema evenly, there is no core to speak of and retrieval decides. Then the
tables the core's foreign keys point to (its suppliers, categories, statuses: what a
question about a core table names it by), together, when they fit what is left.

What an example reads is what the guard says it reads under the asker's own policy
(`backend.example_tables.tables_read`): a table the role may not read is never in its
core, and an example the role may not see counts for nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def core_tables(
    counts: Mapping[str, int],
    sizes: Mapping[str, int],
    *,
    budget_tokens: int,
    references: Mapping[str, Sequence[str]] | None = None,
) -> tuple[str, ...]:
    """The core, in name order: of the tables in `counts` (how many examples read each)
    with a size in `sizes` (their DDL's tokens; a table without one is not readable), whole
    groups of equal count, most read first, while each group fits `budget_tokens` with the
    groups before it; then the readable tables they reference (`references`: a table →
    the tables its foreign keys point to), all of them when they fit what is left."""
    readable = {name: n for name, n in counts.items() if n > 0 and name in sizes}
    chosen: list[str] = []
    left = budget_tokens
    for count in sorted(set(readable.values()), reverse=True):
        group = [name for name, n in readable.items() if n == count]
        size = sum(sizes[name] for name in group)
        if size > left:
            break
        chosen += group
        left -= size
    if chosen and references:
        parents = {ref for name in chosen for ref in references.get(name, ()) if ref in sizes}
        parents -= set(chosen)
        if sum(sizes[name] for name in parents) <= left:
            chosen += parents
    return tuple(sorted(chosen))


def about_core(
    ranked: Sequence[str],
    shown: Sequence[str],
    core: Sequence[str],
    graph: Mapping[str, Sequence[str]],
) -> bool:
    """Whether a question is about the `core`: its search's best match (`ranked`, best
    first, before the examples' tables are brought forward) is a core table, and none of
    the tables retrieval would show it (`shown`) is a neighbour of the core outside it
    (`graph`: each table's foreign-key neighbours). A question that reaches past the core
    gets its retrieved tables, as without a core."""
    if not ranked or not core:
        return False
    inside = {name.lower() for name in core}
    if ranked[0].lower() not in inside:
        return False
    near = {other.lower() for name in core for other in graph.get(name, ())} - inside
    return not any(name.lower() in near for name in shown)
