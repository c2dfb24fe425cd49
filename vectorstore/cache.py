"""The semantic answer cache: question → SQL that already worked, per database and role.

Two Qdrant collections: one without vectors for exact hits (the normalised question is
the point id), and one per embedding model for near hits by cosine similarity. Only the
SQL is cached — it is re-checked and re-run each time, so the data is always fresh and
the asker's current access policy applies. A near hit must also share the numbers, quoted
values and meaning-flipping words (last/this, top/bottom, ...), so "revenue in 2024" never
reuses the SQL of "revenue in 2025", nor "this year" that of "last year".
"""

from __future__ import annotations

import logging
import re
import uuid

from qdrant_client import QdrantClient, models

from backend.errors import EmbeddingsUnavailable
from backend.normalise import normalise_question
from backend.ports import Embedder

log = logging.getLogger(__name__)

_NAMESPACE = uuid.UUID("6f1d7a52-3c1e-4f0b-9d7e-2b8a4f6c1e10")
_PROBE = 8  # entries read by the unfiltered first query (see `_close`)
_LITERALS = re.compile(r"\d+(?:[.,]\d+)?|'[^']*'|\"[^\"]*\"")
# Words that flip a question's meaning while barely moving its embedding ("this year" vs
# "last year" scores 0.97 with all-MiniLM): a reused SQL must share them too.
_PIVOT_WORDS = (
    "last this next previous current past today yesterday tomorrow day week month quarter "
    "year top bottom most least highest lowest best worst first min max minimum maximum "
    "paid unpaid not no without never except only ascending descending average total "
    "ultimo último este esta próximo anterior mes trimestre año semana mayor menor sin"
)
_PIVOTS = frozenset(_PIVOT_WORDS.split())


def literal_signature(question: str) -> tuple[str, ...]:
    """Numbers, quoted values and meaning-flipping words, which a reused SQL must share."""
    text = normalise_question(question)
    words = [w for w in re.findall(r"[^\W\d_]+", text) if w in _PIVOTS]
    return tuple(sorted(_LITERALS.findall(text))) + tuple(sorted(set(words)))


class QdrantAnswerCache:
    """The AnswerCache port on Qdrant (embedded or server)."""

    def __init__(
        self, client: QdrantClient, embedder: Embedder | None, *, similarity: float = 0.92
    ) -> None:
        self.client = client
        self.embedder = embedder
        self.similarity = similarity
        self.exact_collection = "kk_answer_cache"
        model = embedder.model_name if embedder is not None else "none"
        self.dense_collection = "kk_answer_cache__" + re.sub(r"[^a-z0-9]+", "_", model.lower())

    def lookup(self, database: str, role: str, question: str) -> str | None:
        key = self._key(database, role, question)
        if self.client.collection_exists(self.exact_collection):
            found = self.client.retrieve(self.exact_collection, [key], with_payload=True)
            if found and found[0].payload:
                return str(found[0].payload["sql"])
        hit = self._nearest(database, role, question)
        return str(hit.payload["sql"]) if hit is not None and hit.payload else None

    def store(self, database: str, role: str, question: str, sql: str) -> None:
        key = self._key(database, role, question)
        payload = {
            "database": database,
            "role": role,
            "question": normalise_question(question),
            "literals": list(literal_signature(question)),
            "sql": sql,
        }
        if not self.client.collection_exists(self.exact_collection):
            self.client.create_collection(self.exact_collection, vectors_config={})
        self.client.upsert(
            self.exact_collection, [models.PointStruct(id=key, vector={}, payload=payload)]
        )
        vector = self._embed(question)
        if vector is not None:
            self._ensure_dense(len(vector))
            self.client.upsert(
                self.dense_collection,
                [models.PointStruct(id=key, vector={"dense": vector}, payload=payload)],
            )

    def evict(self, database: str, role: str, question: str) -> None:
        keys = [self._key(database, role, question)]
        hit = self._nearest(database, role, question)
        if hit is not None:
            keys.append(str(hit.id))
        for collection in (self.exact_collection, self.dense_collection):
            if self.client.collection_exists(collection):
                self.client.delete(collection, points_selector=models.PointIdsList(points=keys))

    def _nearest(self, database: str, role: str, question: str) -> models.ScoredPoint | None:
        if not self.client.collection_exists(self.dense_collection):
            return None
        vector = self._embed(question)
        if vector is None:
            return None
        points = self._close(vector, database, role)
        wanted = list(literal_signature(question))
        for point in points:
            if point.payload and list(point.payload.get("literals", [])) == wanted:
                return point
        return None

    def _close(self, vector: list[float], database: str, role: str) -> list[models.ScoredPoint]:
        """The 3 closest entries of `database` and `role` at `similarity` or more, best first.

        Usually nothing cached is that close at all. Embedded Qdrant evaluates a payload
        filter point by point in Python, so an unfiltered query comes first: when it
        returns fewer than `_PROBE` points it has returned every point that close, and
        filtering those here gives exactly what the filtered query would.
        """
        probe = self._query(vector, limit=_PROBE)
        if len(probe) < _PROBE:
            mine = [p for p in probe if _owned_by(p, database, role)]
            return mine[:3]
        must = [
            models.FieldCondition(key="database", match=models.MatchValue(value=database)),
            models.FieldCondition(key="role", match=models.MatchValue(value=role)),
        ]
        return self._query(vector, limit=3, query_filter=models.Filter(must=must))

    def _query(
        self, vector: list[float], *, limit: int, query_filter: models.Filter | None = None
    ) -> list[models.ScoredPoint]:
        return self.client.query_points(
            self.dense_collection,
            query=vector,
            using="dense",
            query_filter=query_filter,
            limit=limit,
            score_threshold=self.similarity,
            with_payload=True,
        ).points

    def _embed(self, question: str) -> list[float] | None:
        """The question's vector: its text as asked (stripped), the very text that retrieval
        embeds for the same question, so one embedding call serves both."""
        if self.embedder is None:
            return None
        try:
            return self.embedder.embed([question.strip()])[0]
        except EmbeddingsUnavailable as exc:
            log.info("answer cache: exact matches only (%s)", exc)
            return None

    def _ensure_dense(self, size: int) -> None:
        if not self.client.collection_exists(self.dense_collection):
            self.client.create_collection(
                self.dense_collection,
                vectors_config={
                    "dense": models.VectorParams(size=size, distance=models.Distance.COSINE)
                },
            )

    @staticmethod
    def _key(database: str, role: str, question: str) -> str:
        name = f"{database}\x1f{role}\x1f{normalise_question(question)}"
        return str(uuid.uuid5(_NAMESPACE, name))


def _owned_by(point: models.ScoredPoint, database: str, role: str) -> bool:
    payload = point.payload or {}
    return payload.get("database") == database and payload.get("role") == role


def forget_database(client: QdrantClient, database: str) -> None:
    """Delete every cached answer of `database`, whatever embedding model stored it."""
    selector = models.FilterSelector(
        filter=models.Filter(
            must=[models.FieldCondition(key="database", match=models.MatchValue(value=database))]
        )
    )
    for collection in client.get_collections().collections:
        if collection.name.startswith("kk_answer_cache"):
            client.delete(collection.name, points_selector=selector)
