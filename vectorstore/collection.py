"""One Qdrant collection with hybrid search: the machinery behind schema, examples, notes.

Each point has a sparse vector ("sparse", BM25 term frequencies, IDF applied by Qdrant)
and, when the embedding model is available, a dense one ("dense"). Writes are
incremental: a point is rewritten only when its fingerprint changed, or when it lacks a
dense vector from the current embedding model (embeddings were down when it was indexed,
or the model changed). The dense vector's size is only known from the model's first
vector, so the collection is created lazily; a collection created sparse-only, or for a
model of another size, is rebuilt once vectors are available.

Payload fields this module owns: `text` (what was embedded), `title`, `fingerprint`,
`dense_model` (the model that made the dense vector, or None) and `part`. The collection's
metadata lists the models whose vectors it holds (`dense_models`), so that search only
filters on `dense_model` (slow in local mode: no payload indexes) when they are mixed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from qdrant_client import QdrantClient, models

from backend.errors import EmbeddingsUnavailable
from backend.ports import Embedder
from vectorstore.sparse import SPARSE_VECTOR_PARAMS, SparseEncoder
from vectorstore.writer import DENSE, SPARSE, IndexStats, Item, PointWriter, Progress

log = logging.getLogger(__name__)

SCROLL_PAGE = 1024
SearchMode = Literal["hybrid", "sparse"]


@dataclass(frozen=True)
class Hits:
    """Search results, best first: (payload, fused score) pairs, and how they were found.

    `ids` are the points' ids, in the same order.
    """

    found: list[tuple[dict[str, Any], float]]
    mode: SearchMode
    warning: str | None = None
    ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Existing:
    fingerprint: str
    dense_model: str | None
    part: bool


class QueryVectors:
    """Embeds questions, remembering the last few: one question searches three collections."""

    def __init__(self, embedder: Embedder | None, size: int = 32) -> None:
        self.embedder, self.size = embedder, size
        self._cache: dict[str, list[float]] = {}
        self._lock = threading.Lock()  # one store serves every session of the app

    def vector(self, text: str) -> list[float]:
        """Raises `EmbeddingsUnavailable` (also when there is no embedder at all)."""
        if self.embedder is None:
            raise EmbeddingsUnavailable("no embedding model is configured")
        with self._lock:
            cached = self._cache.get(text)
        if cached is not None:
            return cached
        vector = self.embedder.embed([text])[0]
        with self._lock:
            if len(self._cache) >= self.size:
                self._cache.pop(next(iter(self._cache)))
            self._cache[text] = vector
        return vector


class HybridCollection:
    """A collection of points with dense + sparse vectors, synced incrementally."""

    def __init__(
        self,
        client: QdrantClient,
        queries: QueryVectors,
        name: str,
        sparse: SparseEncoder | None = None,
    ) -> None:
        self.client, self.queries, self.name = client, queries, name
        self.sparse = sparse or SparseEncoder()  # queries only: documents are never expanded
        self.embedder = queries.embedder
        self.model = self.embedder.model_name if self.embedder is not None else None
        self._rebuilt = False

    # -- reading -----------------------------------------------------------------------

    def exists(self) -> bool:
        return self.client.collection_exists(self.name)

    def _config(self) -> tuple[int | None, list[str]]:
        """The dense vector size (None: sparse-only) and the models it holds vectors of."""
        config = self.client.get_collection(self.name).config
        vectors = config.params.vectors
        params = vectors.get(DENSE) if isinstance(vectors, dict) else None
        models_held = (config.metadata or {}).get("dense_models") or []
        return (params.size if params is not None else None), list(models_held)

    def scroll(
        self,
        payload: Sequence[str] | bool = True,
        query_filter: models.Filter | None = None,
        vectors: Sequence[str] | bool = False,
    ) -> Iterator[models.Record]:
        """Every point (payload fields asked for; no vectors by default), page by page."""
        if not self.exists():
            return
        with_payload = list(payload) if not isinstance(payload, bool) else payload
        with_vectors = list(vectors) if not isinstance(vectors, bool) else vectors
        offset: models.ExtendedPointId | None = None
        while True:
            page, offset = self.client.scroll(
                self.name,
                scroll_filter=query_filter,
                limit=SCROLL_PAGE,
                offset=offset,
                with_payload=with_payload,
                with_vectors=with_vectors,
            )
            yield from page
            if offset is None:
                return

    def metadata(self) -> dict[str, Any]:
        """The collection's own metadata (empty when it does not exist)."""
        if not self.exists():
            return {}
        return dict(self.client.get_collection(self.name).config.metadata or {})

    def set_metadata(self, values: dict[str, Any]) -> None:
        """Merge `values` into the collection's metadata (Qdrant merges; local mode too)."""
        if self.exists():
            self.client.update_collection(self.name, metadata=values)

    def _existing(self) -> dict[str, _Existing]:
        found = {}
        for record in self.scroll(["fingerprint", "dense_model", "part"]):
            p = record.payload or {}
            found[str(record.id)] = _Existing(
                p.get("fingerprint", ""), p.get("dense_model"), bool(p.get("part"))
            )
        return found

    # -- writing -----------------------------------------------------------------------

    def sync(
        self, items: Sequence[Item], *, remove_missing: bool, progress: Progress | None = None
    ) -> IndexStats:
        """Write what changed; with `remove_missing`, delete points not among `items`."""
        started = time.perf_counter()
        existing = self._existing()
        wanted = {item.id: item for item in items}
        changed = [i for i in wanted.values() if _changed(existing.get(i.id), i)]
        removed = [pid for pid in existing if pid not in wanted] if remove_missing else []
        skip = {i.id for i in changed} | set(removed)
        refill = self._items_for(self._lacking_dense(existing, skip), wanted)
        total = len(changed) + len(refill)
        writer = PointWriter(self._upsert, self._ensure, self.embedder, progress, total)
        self._rebuilt = False
        writer.write(changed)
        writer.write(refill, dense_required=True)
        self.delete(removed)
        self._record_models(existing, writer, set(removed))
        counted = [i for i in wanted.values() if not i.part]
        added = sum(1 for i in counted if i.id not in existing)
        updated = sum(1 for i in counted if i.id in existing and i.id in writer.written)
        return IndexStats(
            added=added,
            updated=updated,
            unchanged=len(counted) - added - updated,
            removed=sum(1 for pid in removed if not existing[pid].part),
            seconds=round(time.perf_counter() - started, 3),
            embedded=writer.embedded,
            sparse_only=writer.sparse_only,
            warning=writer.warning,
        )

    def _lacking_dense(self, existing: dict[str, _Existing], skip: set[str]) -> list[str]:
        """Points without a dense vector from the current model (none without a model)."""
        if self.model is None:
            return []
        return [p for p, e in existing.items() if e.dense_model != self.model and p not in skip]

    def _items_for(self, ids: list[str], known: dict[str, Item]) -> list[Item]:
        """Items to rewrite for a dense vector: from the call, else rebuilt from payloads."""
        items = [known[pid] for pid in ids if pid in known]
        missing = [pid for pid in ids if pid not in known]
        records = self.client.retrieve(self.name, missing, with_payload=True) if missing else []
        for record in records:
            payload = dict(record.payload or {})
            text, fingerprint = payload.pop("text", ""), payload.pop("fingerprint", "")
            part, title = bool(payload.pop("part", False)), str(payload.pop("title", ""))
            payload.pop("dense_model", None)
            items.append(Item(str(record.id), text, fingerprint, payload, part, title))
        return items

    def _upsert(self, points: list[models.PointStruct]) -> None:
        self.client.upsert(self.name, points, wait=True)

    def delete(self, ids: Sequence[str]) -> None:
        if ids and self.exists():
            self.client.delete(self.name, models.PointIdsList(points=list(ids)), wait=True)

    def _ensure(self, size: int | None) -> None:
        """Create the collection, or rebuild it when vectors of another size arrive."""
        if not self.exists():
            self._create(size)
        elif size is not None and self._config()[0] != size:
            self._rebuild(size)

    def _create(self, dense_size: int | None) -> None:
        vectors: dict[str, models.VectorParams] = {}
        if dense_size:
            vectors[DENSE] = models.VectorParams(size=dense_size, distance=models.Distance.COSINE)
        self.client.create_collection(
            self.name,
            vectors_config=vectors,
            sparse_vectors_config={SPARSE: SPARSE_VECTOR_PARAMS},
            metadata={"dense_models": []},
        )

    def _rebuild(self, dense_size: int) -> None:
        """Recreate with a dense vector of `dense_size`, carrying payloads and sparse vectors.

        Carried points lose their old dense vector (`dense_model` None); the sync that
        triggered the rebuild gives them new ones.
        """
        log.info("rebuilding Qdrant collection %s for %d-d dense vectors", self.name, dense_size)
        points = [
            models.PointStruct(
                id=r.id,
                vector={n: v for n, v in (r.vector or {}).items() if n == SPARSE}
                if isinstance(r.vector, dict)
                else {},
                payload={**(r.payload or {}), "dense_model": None},
            )
            for r in self.scroll(True, vectors=[SPARSE])
        ]
        self.client.delete_collection(self.name)
        self._create(dense_size)
        for start in range(0, len(points), SCROLL_PAGE):
            self._upsert(points[start : start + SCROLL_PAGE])
        self._rebuilt = True

    def _record_models(
        self, existing: dict[str, _Existing], writer: PointWriter, removed: set[str]
    ) -> None:
        """Store which models' dense vectors the collection now holds, in its metadata."""
        if not self.exists():
            return
        held: set[str | None] = set()
        if not self._rebuilt:
            kept = (e for p, e in existing.items() if p not in writer.written | removed)
            held = {e.dense_model for e in kept}
        if writer.with_dense:
            held.add(writer.model)
        names = sorted(m for m in held if m)
        if names != self._config()[1]:
            self.client.update_collection(self.name, metadata={"dense_models": names})

    # -- searching ---------------------------------------------------------------------

    def search(
        self,
        text: str,
        *,
        limit: int,
        query_filter: models.Filter | None = None,
        fields: Sequence[str] | bool = True,
        candidates: int | None = None,
    ) -> Hits:
        """Hybrid (dense + sparse, fused by RRF) search; sparse-only when dense is impossible.

        Each branch fetches `candidates` points (default `limit`); RRF fuses them and the
        best `limit` return, with the payload `fields` asked for (none: `False`). The
        fused order depends on `candidates` only: a smaller `limit` returns a prefix.
        """
        if not self.exists():
            return Hits([], "sparse", "nothing has been indexed here yet")
        dense, dense_filter, warning = self._dense_query(text, query_filter)
        branches = []
        if dense is not None:
            branches.append(models.Prefetch(query=dense, using=DENSE, filter=dense_filter))
        sparse = self.sparse.query(text)
        if sparse.indices:
            branches.append(models.Prefetch(query=sparse, using=SPARSE, filter=query_filter))
        mode: SearchMode = "sparse" if dense is None else "hybrid"
        if not branches:
            return Hits([], mode, warning)
        payload = list(fields) if not isinstance(fields, bool) else fields
        depth = max(limit, candidates or limit)
        points = self._query(branches, limit, depth, query_filter, payload)
        found = [(p.payload or {}, p.score) for p in points]
        return Hits(found, mode, warning, tuple(str(p.id) for p in points))

    def nearest(self, text: str) -> float | None:
        """The cosine similarity of `text` to the nearest point, by dense vectors alone
        (fused scores are ranks, not distances); None when there is nothing to compare
        with: no collection, no embedder, no vectors of the current model, or embeddings
        down."""
        if not self.exists():
            return None
        dense, dense_filter, _warning = self._dense_query(text, None)
        if dense is None:
            return None
        points = self.client.query_points(
            self.name,
            query=dense,
            using=DENSE,
            query_filter=dense_filter,
            limit=1,
            with_payload=False,
        ).points
        return float(points[0].score) if points else None

    def _query(
        self,
        branches: list[models.Prefetch],
        limit: int,
        depth: int,
        query_filter: models.Filter | None,
        payload: list[str] | bool,
    ) -> list[models.ScoredPoint]:
        if len(branches) == 1:  # one branch: no fusion needed
            only = branches[0]
            return self.client.query_points(
                self.name,
                query=only.query,
                using=only.using,
                query_filter=only.filter,
                limit=limit,
                with_payload=payload,
            ).points
        prefetch = [branch.model_copy(update={"limit": depth}) for branch in branches]
        return self.client.query_points(
            self.name,
            prefetch=prefetch,
            query=models.FusionQuery(fusion=models.Fusion.RRF),
            query_filter=query_filter,
            limit=limit,
            with_payload=payload,
        ).points

    def _dense_query(
        self, text: str, query_filter: models.Filter | None
    ) -> tuple[list[float] | None, models.Filter | None, str | None]:
        """The question's vector and the filter for the dense branch, or why there is none."""
        if self.embedder is None:
            return None, None, "keyword search only: no embedding model is configured"
        size, held = self._config()
        if size is None or self.model not in held:
            return None, None, _NO_VECTORS
        try:
            vector = self.queries.vector(text)
        except EmbeddingsUnavailable as error:
            return None, None, f"keyword search only: embeddings are unavailable ({error})"
        if len(held) == 1:
            return vector, query_filter, None
        same_model = models.FieldCondition(
            key="dense_model", match=models.MatchValue(value=self.model)
        )
        extra = [query_filter] if query_filter is not None else []
        return vector, models.Filter(must=[same_model, *extra]), None


_NO_VECTORS = (
    "keyword search only: the index has no vectors from the current embedding model "
    "(embeddings were unavailable when it was built, or the model changed) — re-index"
)


def _changed(existing: _Existing | None, item: Item) -> bool:
    return existing is None or existing.fingerprint != item.fingerprint
