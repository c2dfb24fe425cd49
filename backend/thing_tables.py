"""Each thing a question is about gets a table of its own near the question's best ones.

One search for the whole question ranks the tables that share most of its words first:
"Which items come from Taiwanese vendors?" finds products and its neighbours, and the
table for "vendors", named once, falls below the cut. The question-names step
(`backend.question_names`) already lists the things a question is about, one a line, so
each is searched on its own as well (and a value the question says points at its table:
`backend.value_tables`). The first table of a thing's own ranking that is near the
question's best tables in the foreign-key graph (at most `REACH` joins away) joins the
ranking, right after its first table: a query's tables join one another, and a
look-alike from an unrelated corner of the schema ("vendors" → the `company` table of some
other application) does not. Through a hub table (`users`, `companies`) much of a schema
is that near, so the thing's own ranking still decides among them. Then the tables on the
join path between those chosen, at most `BRIDGES` of them (an order between a client and
what it bought), and then the ranking's own order — the approved examples' tables
(`backend.example_tables`) included, so a question about many things can push them below
the cut (measured: it gains more than it loses).

Measured on the scale benchmark (`python -m bench scale`: 66 business-word questions, the
demo among 734 distractor tables, question names on): see the README, "Hundreds of
tables". Pure functions over names: the caller searches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from backend.domain import TableDoc
from backend.join_paths import Graph, Spelling, expand_join_paths

# Joins between a thing's table and the question's best tables: a bridge table between
# them is common (clients → orders → order lines), two are rare.
REACH = 2
# How many of the ranking's first tables a thing's table must be near.
ANCHORS = 2
# Tables added to join the chosen ones (they are on the SQL's join path anyway).
BRIDGES = 1
# How deep in a thing's own search its table is looked for.
DEPTH = 10


def near(graph: Mapping[str, Sequence[str]], sources: Sequence[str], hops: int) -> set[str]:
    """The tables at most `hops` foreign-key joins from any of `sources` (those of them in
    `graph` included)."""
    found = {name for name in sources if name in graph}
    level = list(found)
    for _ in range(hops):
        following = [n for name in level for n in graph[name] if n not in found]
        found.update(following)
        level = following
    return found


def things_first(
    ranked: Sequence[str],
    hits: Sequence[Sequence[str]],
    graph: Graph,
    tables: Mapping[str, TableDoc],
) -> list[str]:
    """`ranked` (best first) with, after its first table, the first table of each of
    `hits` (one ranking per thing) that is near its `ANCHORS` first tables, then the
    tables joining those (`BRIDGES` at most), then the rest in `ranked`'s order; each
    table once, in the schema's spelling where the names differ only in case.

    `graph` is the foreign-key graph of `tables` (the tables the asker may read): a path
    never goes through a table outside it, and only its tables join. With no thing near,
    `ranked` is unchanged."""
    if not ranked:
        return []
    spelling = Spelling(tables)
    order = list(dict.fromkeys(spelling.of(name) or name for name in ranked))
    close = near(graph, order[:ANCHORS], REACH)
    chosen = [order[0]]
    for found in hits:
        best = next((spelled for n in found if (spelled := spelling.of(n)) in close), None)
        if best is not None and best not in chosen:
            chosen.append(best)
    if len(chosen) == 1:
        return list(ranked)
    joins = expand_join_paths(chosen, tables, max_added=BRIDGES, graph=graph)
    head = [*chosen, *(name for name in joins if name not in chosen)]
    placed = set(head)
    return head + [name for name in order if name not in placed]
