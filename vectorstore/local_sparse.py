"""Fast sparse scoring for embedded (local-mode) Qdrant, with bit-identical scores.

qdrant-client's local mode scores a sparse query against every point of a collection with
a pure-Python merge loop (`sparse_dot_product`, plus two `is_sorted` scans per point):
about 30 µs a point, so at 200 tables the keyword branch alone was most of a question's
retrieval time, and it grows linearly with the schema. `install()` replaces that scorer,
for plain sparse queries only, with one that reads an inverted index of the stored
vectors (term → positions and weights, numpy arrays).

Why the scores are exactly the same: the original adds `query weight × document weight`
in float64, term by term in ascending index order, then casts to float32, and gives
`-inf` to a point sharing no term; the index visits the query's terms in ascending order
and adds the same products into a float64 array, then casts — the same operations in the
same order for every point. Anything unusual (recommend/discovery scoring, values that are
not Python floats) goes to the original function. `tests/unit/test_local_sparse.py` checks
both against each other.

Why the index is never stale: local mode never changes a stored vector in place — every
write stores a fresh copy in the point's slot — so the identities of the vectors it
passes in say whether anything changed. The index is keyed by those identities (and holds
the vectors, so an identity cannot be reused while cached) and rebuilt after a write.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from qdrant_client.http.models import SparseVector

log = logging.getLogger(__name__)

Scorer = Callable[..., Any]
Postings = dict[int, tuple[np.ndarray, np.ndarray]]

_CACHED_INDEXES = 16  # one per sparse collection searched (schema, examples, notes, ...)
_lock = threading.Lock()
_indexes: OrderedDict[tuple[int, ...], tuple[list[SparseVector], Postings | None]] = OrderedDict()
_original: Scorer | None = None


def _plain(values: Sequence[object], kind: type) -> bool:
    return all(type(value) is kind for value in values)


def _build(vectors: Sequence[SparseVector]) -> Postings | None:
    """Term → (positions, weights); None when a vector holds anything but int/float lists."""
    lists: dict[int, tuple[list[int], list[float]]] = {}
    for position, vector in enumerate(vectors):
        indices, values = vector.indices, vector.values
        if not (_plain(indices, int) and _plain(values, float)):
            return None
        for index, value in zip(indices, values, strict=True):
            entry = lists.get(index)
            if entry is None:
                lists[index] = ([position], [value])
            else:
                entry[0].append(position)
                entry[1].append(value)
    return {
        index: (np.array(positions, dtype=np.intp), np.array(values, dtype=np.float64))
        for index, (positions, values) in lists.items()
    }


def _postings(vectors: Sequence[SparseVector]) -> Postings | None:
    key = tuple(map(id, vectors))
    with _lock:
        cached = _indexes.get(key)
        if cached is not None:
            _indexes.move_to_end(key)
            return cached[1]
    postings = _build(vectors)
    with _lock:
        _indexes[key] = (list(vectors), postings)
        while len(_indexes) > _CACHED_INDEXES:
            _indexes.popitem(last=False)
    return postings


def score_sparse(query: SparseVector, vectors: Sequence[SparseVector]) -> np.ndarray | None:
    """Dot products of `query` with each of `vectors` (float32, `-inf` where no term is
    shared), as qdrant-client computes them; None when this input needs the original."""
    if not (_plain(query.indices, int) and _plain(query.values, float)):
        return None
    postings = _postings(vectors)
    if postings is None:
        return None
    totals = np.zeros(len(vectors), dtype=np.float64)
    shared = np.zeros(len(vectors), dtype=bool)
    for index, weight in sorted(zip(query.indices, query.values, strict=True)):
        found = postings.get(index)
        if found is not None:
            positions, values = found
            totals[positions] += weight * values
            shared[positions] = True
    scores = totals.astype(np.float32)
    scores[~shared] = np.float32("-inf")
    return scores


def _calculate_distance_sparse(
    query: SparseVector, vectors: list[SparseVector], empty_is_zero: bool = False
) -> Any:
    assert _original is not None
    if not empty_is_zero:
        scores = score_sparse(query, vectors)
        if scores is not None:
            return scores
    return _original(query, vectors, empty_is_zero)


def install() -> bool:
    """Use the fast scorer in qdrant-client's local mode (idempotent); False if it can't."""
    global _original
    try:
        from qdrant_client.local import local_collection
    except ImportError:  # pragma: no cover - qdrant-client always ships local mode
        return False
    current = getattr(local_collection, "calculate_distance_sparse", None)
    if current is None:
        log.info("qdrant-client has no local sparse scorer to replace; keeping its own")
        return False
    if current is not _calculate_distance_sparse:
        _original = current
        # qdrant-client imports the scorer into local_collection without re-exporting it;
        # replacing that module-level name is the point of this module.
        local_collection.calculate_distance_sparse = _calculate_distance_sparse  # type: ignore[attr-defined]
    return True
