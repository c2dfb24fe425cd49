"""Writing points: what to index (`Item`), how a run went (`IndexStats`), and the writer.

`PointWriter` embeds items in batches and upserts each batch in one request. When the
embedding model fails it carries on with sparse vectors only (once: it does not retry
every batch), and records a warning. Local path mode commits each point to SQLite, so a
batch is one request, not one round trip per point.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from qdrant_client import models

from backend.errors import EmbeddingsUnavailable
from backend.ports import Embedder
from vectorstore.sparse import encode_document

log = logging.getLogger(__name__)

DENSE, SPARSE = "dense", "sparse"
EMBED_BATCH = 64
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Item:
    """A point to index: `text` is embedded and sparse-encoded; `payload` is stored as is.

    `title` (a name) is matched as a whole by the sparse side (see `vectorstore.sparse`);
    `part` marks a point that belongs to another one (a column of a wide table).
    """

    id: str
    text: str
    fingerprint: str
    payload: dict[str, Any] = field(default_factory=dict)
    part: bool = False
    title: str = ""


@dataclass(frozen=True)
class IndexStats:
    """What an indexing run did.

    `sparse_only`: embeddings were unavailable, so points written (or waiting for a dense
    vector) have sparse vectors only; `warning` says why. `embedded` counts texts embedded.
    """

    added: int
    updated: int
    unchanged: int
    removed: int
    seconds: float
    embedded: int = 0
    sparse_only: bool = False
    warning: str | None = None

    def counts(self) -> dict[str, str | int]:
        """The figures the "indexed: N added, …" messages take (`cli.index.done`,
        `admin.access.index.summary`)."""
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "seconds": f"{self.seconds:.1f}",
        }


def _batches(items: Sequence[Item], size: int) -> Iterator[Sequence[Item]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class PointWriter:
    """Embeds and upserts items for one sync run; `ensure` creates/rebuilds the collection."""

    def __init__(
        self,
        upsert: Callable[[list[models.PointStruct]], None],
        ensure: Callable[[int | None], None],
        embedder: Embedder | None,
        progress: Progress | None,
        total: int,
    ) -> None:
        self.upsert, self.ensure, self.embedder = upsert, ensure, embedder
        self.model = embedder.model_name if embedder is not None else None
        self.progress, self.total = progress, total
        self.written: set[str] = set()
        self.with_dense = 0
        self.embedded = 0
        self.sparse_only = False
        self.warning: str | None = None

    def write(self, items: Sequence[Item], *, dense_required: bool = False) -> None:
        """Upsert `items`; with `dense_required`, stop at the first batch that gets no vectors."""
        for batch in _batches(items, EMBED_BATCH):
            vectors = self._embed([item.text for item in batch])
            if dense_required and vectors is None:
                return
            self.ensure(len(vectors[0]) if vectors else None)
            dense: Sequence[list[float] | None] = vectors or [None] * len(batch)
            self.upsert([self._point(item, v) for item, v in zip(batch, dense, strict=True)])
            self.written.update(item.id for item in batch)
            self.with_dense += len(batch) if vectors else 0
            if self.progress is not None:
                self.progress(len(self.written), self.total)

    def _embed(self, texts: list[str]) -> list[list[float]] | None:
        if self.embedder is None:
            self.sparse_only = True
            self.warning = "indexed for keyword search only: no embedding model is configured"
            return None
        if self.sparse_only:  # failed earlier in this run: do not wait for it again
            return None
        try:
            vectors = self.embedder.embed(texts)
        except EmbeddingsUnavailable as error:
            self.sparse_only = True
            self.warning = f"indexed for keyword search only: embeddings unavailable ({error})"
            log.warning("%s", self.warning)
            return None
        self.embedded += len(texts)
        return vectors

    def _point(self, item: Item, dense: list[float] | None) -> models.PointStruct:
        vector: dict[str, Any] = {SPARSE: encode_document(item.text, item.title)}
        if dense is not None:
            vector[DENSE] = dense
        payload = {
            **item.payload,
            "text": item.text,
            "title": item.title,
            "fingerprint": item.fingerprint,
            "dense_model": self.model if dense is not None else None,
            "part": item.part,
        }
        return models.PointStruct(id=item.id, vector=vector, payload=payload)
