"""A prototype measured by the retrieval benchmark: foreign-key neighbour re-ranking.

Most misses at scale are questions over two or more tables where the first table is
found and its partner is pushed just out of the top 5 by similar tables of other
databases (or unrelated tables of the same one). `fk_rerank` keeps the best `anchors`
tables as ranked, then fills the remaining places with the candidates that are joined by
a foreign key to an anchor first (in their original order), then with the rest. It uses
only the schema, never the question, so nothing here is tuned to any benchmark.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from backend.domain import TableDoc
from backend.join_paths import fk_graph


def fk_rerank(
    ranked: Sequence[str], tables: Mapping[str, TableDoc], *, k: int = 5, anchors: int = 3
) -> list[str]:
    """The top `k` of `ranked` (best first) after promoting FK neighbours of the anchors."""
    graph = fk_graph(tables)
    by_lower = {name.lower(): name for name in tables}
    head = list(ranked[:anchors])
    neighbours = {n.lower() for a in head for n in graph.get(by_lower.get(a.lower(), a), [])}
    rest = list(ranked[anchors:])
    promoted = [t for t in rest if t.lower() in neighbours]
    others = [t for t in rest if t.lower() not in neighbours]
    return (head + promoted + others)[:k]
