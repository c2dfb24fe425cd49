"""Fitting the retrieved schema into a token budget, so prompts stay flat as schemas grow.

Retrieval picks the top tables and the join path between them. Their DDL usually fits
easily, but wide tables, long comments and sample values can make one question's prompt
several times another's. `fit_schema` keeps the retrieved schema under a budget of
estimated tokens, giving up the least useful text first:

1. every table in full;
2. tables shortened one at a time (compact DDL: every column and key kept, samples and
   comments trimmed), join-path tables first, then from the lowest-ranked table up;
3. the lowest-ranked retrieved table dropped — with the join-path tables only it needed —
   and steps 1-2 again;
4. a single table still too big (a very wide one) gets fewer full column lines: its keys
   and the columns the question names first, the others only named.

The join-path tables that connect the tables kept are never dropped while those stay.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

# Full column lines tried, widest first, for one table that is too big on its own.
COLUMN_CAPS = (40, 30, 20, 12, 8, 4)


@dataclass(frozen=True)
class Block:
    """One table's DDL and its estimated tokens."""

    text: str
    tokens: int


@dataclass(frozen=True)
class SchemaFit:
    """The schema that fits: retrieved tables kept (best first), their join path, the DDL."""

    tables: tuple[str, ...]
    joins: tuple[str, ...]
    blocks: tuple[str, ...]  # DDL of `tables` then `joins`, in that order
    tokens: int
    compacted: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()


Render = Callable[[str, bool], Block]  # (table, compact) -> block
RenderCapped = Callable[[str, int], Block]  # (table, full column lines) -> compact block
JoinsFor = Callable[[Sequence[str]], Sequence[str]]


def fit_schema(
    ranked: Sequence[str],
    *,
    budget_tokens: int,
    joins_for: JoinsFor,
    render: Render,
    render_capped: RenderCapped,
) -> SchemaFit:
    """The most of `ranked` (best first) and its join path that fits `budget_tokens`."""
    for count in range(len(ranked), 0, -1):
        kept = list(ranked[:count])
        joins = list(joins_for(kept))
        order = kept + [name for name in joins if name not in kept]
        blocks = {name: render(name, False) for name in order}
        compacted: list[str] = []
        for name in [None, *reversed(order)]:
            if name is not None:
                blocks[name] = render(name, True)
                compacted.append(name)
            tokens = sum(block.tokens for block in blocks.values())
            if tokens <= budget_tokens:
                return SchemaFit(
                    tables=tuple(kept),
                    joins=tuple(order[count:]),
                    blocks=tuple(blocks[n].text for n in order),
                    tokens=tokens,
                    compacted=tuple(compacted),
                    dropped=tuple(ranked[count:]),
                )
    if not ranked:
        return SchemaFit((), (), (), 0)
    top = ranked[0]
    block = render(top, True)
    for cap in COLUMN_CAPS:
        block = render_capped(top, cap)
        if block.tokens <= budget_tokens:
            break
    return SchemaFit((top,), (), (block.text,), block.tokens, (top,), tuple(ranked[1:]))
