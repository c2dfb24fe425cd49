"""`QdrantSchemaStore`: the schema, examples and notes of each database, in Qdrant.

Three collections per database (`kk_schema_<db>`, `kk_examples_<db>`, `kk_notes_<db>`),
all driven by the same `HybridCollection`: dense + sparse vectors, RRF fusion, and
incremental, idempotent writes. Search falls back to keyword (sparse) search when the
embedding model is missing or down, and says so in `Retrieval.warning`.

Only reviewed examples may be indexed: callers (the admin page, the demo loader) ensure
it; this module indexes whatever it is given.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from qdrant_client import QdrantClient, models

from backend.domain import AccessPolicy, Example, Note, Retrieval, ScoredTable, TableDoc
from backend.ports import Embedder
from vectorstore import local_sparse
from vectorstore.collection import HybridCollection, QueryVectors
from vectorstore.documents import (
    example_item,
    note_item,
    table_from_payload,
    table_items,
)
from vectorstore.sparse import SparseEncoder
from vectorstore.writer import IndexStats, Item, Progress

__all__ = [
    "INDEX_VERSION",
    "IndexStats",
    "QdrantSchemaStore",
    "collection_name",
    "drop_database",
]

# The key of the schema collection's metadata that holds the index version.
INDEX_VERSION = "index_version"

_UNSAFE = re.compile(r"[^a-z0-9]+")


def collection_name(kind: str, database: str) -> str:
    """`kk_<kind>_<db>`; a database name that had to be changed also gets a short hash."""
    slug = _UNSAFE.sub("_", database.lower()).strip("_")[:48] or "default"
    if slug != database:
        slug += "_" + hashlib.sha1(database.encode()).hexdigest()[:8]
    return f"kk_{kind}_{slug}"


def _policy_filter(policy: AccessPolicy | None) -> models.Filter | None:
    """Only allowed tables; no column point of a denied column."""
    if policy is None:
        return None
    must: list[models.Condition] = []
    if policy.allowed_tables is not None:
        allowed = sorted(policy.allowed_tables)
        must.append(models.FieldCondition(key="table_lc", match=models.MatchAny(any=allowed)))
    must_not: list[models.Condition] = [
        models.Filter(
            must=[
                models.FieldCondition(key="table_lc", match=models.MatchValue(value=table)),
                models.FieldCondition(key="column_lc", match=models.MatchValue(value=column)),
            ]
        )
        for table, column in sorted(policy.denied_columns)
    ]
    if not must and not must_not:
        return None
    return models.Filter(must=must or None, must_not=must_not or None)


class QdrantSchemaStore:
    """Indexes and searches schema, examples and notes; one client shared per process.

    `sparse` encodes the keyword half of every search: give it a glossary
    (`vectorstore.glossary`) so that Spanish questions search English names too.
    """

    def __init__(
        self,
        client: QdrantClient,
        embedder: Embedder | None,
        *,
        sparse: SparseEncoder | None = None,
    ) -> None:
        local_sparse.install()  # a no-op for a Qdrant server; see vectorstore.local_sparse
        self.client = client
        self.queries = QueryVectors(embedder)
        self.sparse = sparse or SparseEncoder()
        self._labels = _PointLabels()

    def _collection(self, kind: str, database: str) -> HybridCollection:
        name = collection_name(kind, database)
        return HybridCollection(self.client, self.queries, name, self.sparse)

    # -- schema ------------------------------------------------------------------------

    def index_tables(
        self, database: str, tables: Sequence[TableDoc], *, progress: Progress | None = None
    ) -> IndexStats:
        """Bring the index in line with `tables`: embed only what changed, drop what's gone.

        Statistics count tables (a wide table's column points ride along with it).
        """
        items = [item for table in tables for item in table_items(database, table)]
        collection = self._collection("schema", database)
        stats = collection.sync(items, remove_missing=True, progress=progress)
        version = _version(items)
        if collection.metadata().get(INDEX_VERSION) != version:
            collection.set_metadata({INDEX_VERSION: version})
        return stats

    def index_version(self, database: str) -> str | None:
        """The version of the indexed tables: a hash of every point's fingerprint, kept in
        the schema collection's metadata, so that every process on the same Qdrant can
        tell cheaply (one metadata read) that the schema was re-indexed; None before the
        first index run."""
        value = self._collection("schema", database).metadata().get(INDEX_VERSION)
        return str(value) if value else None

    def nearest_similarity(self, database: str, question: str) -> float | None:
        """The cosine similarity of `question` to the nearest indexed table (or column) or
        reviewed example, by their embeddings; None when neither can be compared (no
        embeddings). The question's vector is the one its retrieval already computed."""
        found = [
            score
            for kind in ("schema", "examples")
            if (score := self._collection(kind, database).nearest(question)) is not None
        ]
        return max(found) if found else None

    def search_tables(
        self, database: str, question: str, *, k: int = 5, policy: AccessPolicy | None = None
    ) -> Retrieval:
        """The `k` tables most relevant to `question` that `policy` allows, best first.

        Column points count for their table (its best hit). When the candidates hold fewer
        than `k` tables (many columns of one wide table), the search is repeated deeper.
        Each branch fetches `max(2k, 40)` candidates: deeper lists only add tail ranks to
        the fusion (Spider dev, hybrid, 876 tables: recall@5 0.931 with 8k, 0.933 with 2k;
        per database unchanged), and every candidate is materialised in Python in
        embedded mode. Only the head of the fused ranking is read (longer when it names
        too few tables): a smaller limit returns a prefix of the same ranking.
        """
        if policy is not None and policy.allowed_tables is not None and not policy.allowed_tables:
            return Retrieval((), "sparse", warning="no table is allowed for this role")
        collection = self._collection("schema", database)
        allowed = _policy_filter(policy)
        depth = max(2 * k, 40)
        head = min(depth, k)
        while True:
            hits = collection.search(
                question, limit=head, candidates=depth, query_filter=allowed, fields=False
            )
            labels = self._labels.of_all(collection, hits.ids)
            found = [(label, score) for label, (_, score) in zip(labels, hits.found, strict=True)]
            scored = _best_per_table(found, policy)
            if len(scored) >= k or len(hits.found) < head:
                return Retrieval(tuple(scored[:k]), hits.mode, warning=hits.warning)
            if head < depth:
                head = min(depth, head * 4)
            else:
                depth *= 4
                head = depth

    def load_tables(self, database: str) -> list[TableDoc]:
        """Every indexed table of `database`, sorted by name, exactly as indexed."""
        only_tables = models.Filter(
            must=[models.FieldCondition(key="kind", match=models.MatchValue(value="table"))]
        )
        records = self._collection("schema", database).scroll(["doc"], only_tables)
        tables = [table_from_payload((r.payload or {})["doc"]) for r in records]
        return sorted(tables, key=lambda t: t.name)

    # -- examples and notes ------------------------------------------------------------

    def index_examples(
        self, database: str, examples: Sequence[Example], *, replace: bool = False
    ) -> IndexStats:
        """Add reviewed examples (idempotent); with `replace`, drop every other example."""
        items = [example_item(database, e) for e in examples]
        return self._collection("examples", database).sync(items, remove_missing=replace)

    def search_examples(self, database: str, question: str, *, k: int = 3) -> list[Example]:
        hits = self._collection("examples", database).search(question, limit=k)
        return [Example(str(p["question"]), str(p["sql"])) for p, _ in hits.found]

    def list_examples(self, database: str) -> list[Example]:
        records = self._collection("examples", database).scroll(["question", "sql"])
        found = [Example(str(p["question"]), str(p["sql"])) for p in _payloads(records)]
        return sorted(found, key=lambda e: (e.question, e.sql))

    def remove_example(self, database: str, example: Example) -> None:
        self._collection("examples", database).delete([example_item(database, example).id])

    def index_notes(
        self, database: str, notes: Sequence[Note], *, replace: bool = False
    ) -> IndexStats:
        """Add notes (idempotent); with `replace`, drop every other note."""
        items = [note_item(database, n) for n in notes]
        return self._collection("notes", database).sync(items, remove_missing=replace)

    def search_notes(self, database: str, question: str, *, k: int = 3) -> list[Note]:
        hits = self._collection("notes", database).search(question, limit=k)
        return [
            Note(text=str(p["body"]), title=str(p.get("note_title", ""))) for p, _ in hits.found
        ]

    def list_notes(self, database: str) -> list[Note]:
        records = self._collection("notes", database).scroll(["body", "note_title"])
        found = [
            Note(text=str(p["body"]), title=str(p.get("note_title", "")))
            for p in _payloads(records)
        ]
        return sorted(found, key=lambda n: (n.title, n.text))

    def remove_note(self, database: str, note: Note) -> None:
        self._collection("notes", database).delete([note_item(database, note).id])

    def drop(self, database: str) -> None:
        """Delete every collection of `database` (the next index run starts from scratch)."""
        drop_database(self.client, database)


def drop_database(client: QdrantClient, database: str) -> None:
    """Delete the schema, example and note collections of `database`."""
    for kind in ("schema", "examples", "notes"):
        name = collection_name(kind, database)
        if client.collection_exists(name):
            client.delete_collection(name)


class _PointLabels:
    """Which table (and column) each schema point is, learned once per point.

    Search asks for no payload: in local mode every payload returned is filtered and
    deep-copied in Python, 160 of them per question. A point id is a hash of the database,
    table and column names (`documents.point_id`), so the label of an id never changes and
    is only looked up the first time it shows up.
    """

    def __init__(self) -> None:
        self._known: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def of_all(self, collection: HybridCollection, ids: Sequence[str]) -> list[dict[str, Any]]:
        missing = [pid for pid in ids if (collection.name, pid) not in self._known]
        if missing:
            records = collection.client.retrieve(
                collection.name, missing, with_payload=["table", "column"]
            )
            with self._lock:
                for record in records:
                    self._known[(collection.name, str(record.id))] = dict(record.payload or {})
        return [self._known.get((collection.name, pid), {}) for pid in ids]


def _best_per_table(
    found: list[tuple[dict[str, Any], float]], policy: AccessPolicy | None
) -> list[ScoredTable]:
    """First (best) hit of each table, skipping anything the policy hides."""
    scored: dict[str, ScoredTable] = {}
    for payload, score in found:
        table = str(payload.get("table", ""))
        if table and table not in scored and _visible(policy, table, payload.get("column")):
            scored[table] = ScoredTable(table, score)
    return list(scored.values())


def _visible(policy: AccessPolicy | None, table: str, column: object) -> bool:
    if policy is None:
        return True
    if not policy.allows_table(table):
        return False
    return not isinstance(column, str) or policy.allows_column(table, column)


def _version(items: Iterable[Item]) -> str:
    """A short hash of the points and their fingerprints (the order does not matter)."""
    lines = sorted(f"{item.id}|{item.fingerprint}" for item in items)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:12]


def _payloads(records: Iterable[models.Record]) -> list[dict[str, Any]]:
    return [r.payload for r in records if r.payload]
