"""QdrantSchemaStore on embedded Qdrant: hybrid retrieval, incremental indexing, fallbacks.

The embedders here implement our own `Embedder` port (mocks stop at our ports): a
deterministic bag-of-words hashing embedder with a few synonyms, so the dense side knows
something the keyword side does not, and one whose model is always unavailable.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa
from qdrant_client import QdrantClient, models

from backend.domain import AccessPolicy, ColumnDoc, Example, ForeignKey, Note, TableDoc
from backend.errors import EmbeddingsUnavailable, IndexBusy
from backend.schema import introspect
from backend.schema_render import humanize
from vectorstore.client import open_qdrant
from vectorstore.sparse import tokenize
from vectorstore.store import QdrantSchemaStore, collection_name

SYNONYMS = {"client": "customer", "revenue": "amount", "staff": "employee", "seller": "rep"}


class BagOfWordsEmbedder:
    """Hashes (synonym-mapped) tokens into a normalised vector; counts what it embeds."""

    def __init__(self, dim: int = 256, model_name: str = "test-bow") -> None:
        self.dim, self.model_name = dim, model_name
        self.embedded = 0

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.embedded += len(texts)
        return [self._vector(text) for text in texts]

    def _vector(self, text: str) -> list[float]:
        vector = [0.0] * self.dim
        for token in tokenize(text):
            token = SYNONYMS.get(token, token)
            vector[zlib.crc32(token.encode()) % self.dim] += 1.0
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        return [v / norm for v in vector]


class UnavailableEmbedder:
    model_name = "test-bow"

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        raise EmbeddingsUnavailable("Ollama is not reachable (test)")


def _table(name: str, comment: str, columns: str, *refs: str) -> TableDoc:
    """`columns`: space-separated names; an `<ref>_id` column and FK for each ref."""
    cols = [ColumnDoc("id", "INT", nullable=False, primary_key=True)]
    cols += [ColumnDoc(f"{ref.rstrip('s')}_id", "INT") for ref in refs]
    cols += [ColumnDoc(c, "VARCHAR(40)") for c in columns.split()]
    fks = tuple(ForeignKey((f"{ref.rstrip('s')}_id",), ref, ("id",)) for ref in refs)
    return TableDoc(name, tuple(cols), comment, fks)


SALES_SPEC = [  # name, comment, columns, referenced tables
    ("regions", "Sales regions (EMEA, APAC, ...)", "name code", ()),
    ("customers", "Companies that buy from us", "name segment country", ("regions",)),
    ("sales_reps", "Account managers who sell to customers", "full_name quota", ("regions",)),
    ("categories", "Product categories such as Electronics", "name", ()),
    ("suppliers", "Vendors we buy products from", "name country lead_time_days", ()),
    ("products", "Catalogue of items we sell", "name unit_price", ("categories", "suppliers")),
    ("orders", "Customer orders", "order_date status", ("customers", "sales_reps")),
    ("order_items", "Lines of an order", "quantity unit_price discount", ("orders", "products")),
    ("payments", "Payments received for orders", "paid_at amount method", ("orders",)),
    (
        "shipments",
        "Deliveries of orders by carrier",
        "carrier shipped_at delivered_at",
        ("orders",),
    ),
    ("warehouses", "Storage sites", "name city", ()),
    ("inventory", "Stock per product and warehouse", "on_hand", ("products", "warehouses")),
    ("returns", "Returned items and refunds", "reason refund_amount", ("order_items",)),
    ("promotions", "Discount codes and campaigns", "code percent_off starts_on", ("orders",)),
]
SALES = [_table(name, comment, columns, *refs) for name, comment, columns, refs in SALES_SPEC]

QUESTIONS = {
    "which products are low in stock in each warehouse": "inventory",
    "top 10 customers by number of orders": "customers",
    "average delivery time per carrier": "shipments",
    "which sales rep has the highest quota": "sales_reps",
    "total refunds for returned items by reason": "returns",
    "products in the Electronics category": "categories",
    "payment methods used last month": "payments",
    "which supplier has the longest lead time": "suppliers",
    "discount codes used in orders": "promotions",
    "orders per order date": "orders",
    "quantity sold per product line": "order_items",
}


@pytest.fixture
def client() -> Iterator[QdrantClient]:
    qdrant = open_qdrant(url=None, path=":memory:")
    yield qdrant
    qdrant.close()


@pytest.fixture
def embedder() -> BagOfWordsEmbedder:
    return BagOfWordsEmbedder()


@pytest.fixture
def store(client: QdrantClient, embedder: BagOfWordsEmbedder) -> QdrantSchemaStore:
    return QdrantSchemaStore(client, embedder)


def _names(store: QdrantSchemaStore, question: str, **kwargs: object) -> list[str]:
    return [t.name for t in store.search_tables("sales", question, **kwargs).tables]  # type: ignore[arg-type]


@pytest.mark.parametrize(("question", "expected"), sorted(QUESTIONS.items()))
def test_hybrid_retrieval_finds_the_right_table(
    store: QdrantSchemaStore, question: str, expected: str
) -> None:
    store.index_tables("sales", SALES)
    retrieval = store.search_tables("sales", question, k=3)
    assert retrieval.mode == "hybrid" and retrieval.warning is None
    assert expected in [t.name for t in retrieval.tables]
    scores = [t.score for t in retrieval.tables]
    assert scores == sorted(scores, reverse=True)


def test_tables_indexed_after_a_search_are_found_by_the_next_one(
    store: QdrantSchemaStore,
) -> None:
    store.index_tables("sales", SALES[:-1])
    assert "promotions" not in _names(store, "discount codes used in orders", k=3)
    store.index_tables("sales", SALES)
    assert "promotions" in _names(store, "discount codes used in orders", k=3)


def test_a_shallow_head_ranks_like_the_whole_fused_list(store: QdrantSchemaStore) -> None:
    store.index_tables("sales", SALES)
    collection = store._collection("schema", "sales")
    for question in QUESTIONS:
        whole = collection.search(question, limit=40, fields=["table"])
        head = collection.search(question, limit=6, candidates=40, fields=False)
        assert head.ids == whole.ids[:6]
        assert [s for _, s in head.found] == [s for _, s in whole.found[:6]]


def test_dense_side_finds_synonyms_keyword_search_misses(client: QdrantClient) -> None:
    QdrantSchemaStore(client, BagOfWordsEmbedder()).index_tables("sales", SALES)
    hybrid = QdrantSchemaStore(client, BagOfWordsEmbedder())
    sparse = QdrantSchemaStore(client, None)
    assert "customers" in _names(hybrid, "client list", k=2)
    assert "customers" not in _names(sparse, "client list", k=2)


def test_reindexing_an_unchanged_schema_embeds_nothing(
    store: QdrantSchemaStore, embedder: BagOfWordsEmbedder
) -> None:
    first = store.index_tables("sales", SALES)
    assert (first.added, first.updated, first.removed, first.embedded) == (14, 0, 0, 14)
    embedder.embedded = 0
    again = store.index_tables("sales", SALES)
    assert (again.added, again.updated, again.unchanged, again.removed) == (0, 0, 14, 0)
    assert again.embedded == 0 and embedder.embedded == 0


def test_changed_table_is_updated_and_dropped_table_removed(store: QdrantSchemaStore) -> None:
    store.index_tables("sales", SALES)
    changed = [*SALES[:-1], TableDoc("promotions", SALES[-1].columns, "Vouchers and coupons")]
    stats = store.index_tables("sales", changed)
    assert (stats.added, stats.updated, stats.unchanged, stats.embedded) == (0, 1, 13, 1)
    stats = store.index_tables("sales", changed[1:])
    assert (stats.removed, stats.unchanged, stats.embedded) == (1, 13, 0)
    loaded = {t.name: t for t in store.load_tables("sales")}
    assert "regions" not in loaded and loaded["promotions"].comment == "Vouchers and coupons"


def test_load_tables_rebuilds_the_indexed_table_docs(store: QdrantSchemaStore) -> None:
    tables = [*SALES, TableDoc("t", (ColumnDoc("x", "ENUM('a','b')", sample_values=("a",)),))]
    store.index_tables("sales", tables)
    assert store.load_tables("sales") == sorted(tables, key=lambda t: t.name)
    assert store.load_tables("other") == []


def test_progress_is_reported(store: QdrantSchemaStore) -> None:
    calls: list[tuple[int, int]] = []
    store.index_tables("sales", SALES, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (14, 14)


def _wide_table() -> TableDoc:
    columns = [ColumnDoc("id", "INT", nullable=False, primary_key=True)]
    columns += [ColumnDoc(f"attr_{i:03d}", "INT", comment=f"metric {i}") for i in range(198)]
    columns.append(ColumnDoc("loyalty_tier", "VARCHAR(10)", comment="Bronze, silver or gold"))
    return TableDoc("customer_profile", tuple(columns), "Everything known about a customer")


def test_wide_table_is_found_by_one_of_its_columns(
    store: QdrantSchemaStore, client: QdrantClient
) -> None:
    stats = store.index_tables("sales", [*SALES, _wide_table()])
    assert stats.added == 15 and stats.embedded == 15 + 200
    kinds = models.Filter(
        must=[models.FieldCondition(key="kind", match=models.MatchValue(value="column"))]
    )
    assert client.count(collection_name("schema", "sales"), count_filter=kinds).count == 200
    assert _names(store, "loyalty tier", k=3)[0] == "customer_profile"
    retrieval = store.search_tables("sales", "customer loyalty tier", k=5)
    assert len({t.name for t in retrieval.tables}) == len(retrieval.tables)  # one hit per table


def test_columns_of_one_wide_table_do_not_crowd_out_other_tables(
    store: QdrantSchemaStore,
) -> None:
    columns = [ColumnDoc("id", "INT", nullable=False, primary_key=True)]
    columns += [ColumnDoc(f"amount_{i:03d}", "DECIMAL(12,2)") for i in range(199)]
    store.index_tables("sales", [*SALES, TableDoc("ledger", tuple(columns), "Amounts")])
    names = _names(store, "amount", k=3)
    assert names[0] == "ledger" and len(names) == 3  # payments and returns, found deeper


def test_wide_table_change_reembeds_only_the_changed_column(
    store: QdrantSchemaStore, embedder: BagOfWordsEmbedder
) -> None:
    wide = _wide_table()
    store.index_tables("sales", [wide])
    columns = (*wide.columns[:-1], ColumnDoc("loyalty_tier", "VARCHAR(10)", comment="Tier"))
    embedder.embedded = 0
    stats = store.index_tables("sales", [TableDoc(wide.name, columns, wide.comment)])
    assert (stats.updated, stats.embedded, embedder.embedded) == (1, 2, 2)


def test_without_embeddings_indexing_and_search_fall_back_to_keywords(
    client: QdrantClient,
) -> None:
    down = QdrantSchemaStore(client, UnavailableEmbedder())
    stats = down.index_tables("sales", SALES)
    assert stats.sparse_only and stats.added == 14 and stats.embedded == 0
    assert "keyword search only" in (stats.warning or "")
    retrieval = down.search_tables("sales", "average delivery time per carrier", k=3)
    assert retrieval.mode == "sparse" and "keyword" in (retrieval.warning or "")
    assert retrieval.tables[0].name == "shipments"
    nothing = QdrantSchemaStore(client, None).search_tables("sales", "carrier", k=3)
    assert nothing.mode == "sparse" and nothing.tables[0].name == "shipments"


def test_dense_vectors_are_filled_in_when_embeddings_come_back(client: QdrantClient) -> None:
    down = QdrantSchemaStore(client, UnavailableEmbedder())
    down.index_tables("sales", SALES)
    still_down = down.index_tables("sales", SALES)  # nothing is rewritten sparse-only again
    assert (still_down.updated, still_down.unchanged, still_down.sparse_only) == (0, 14, True)
    assert "keyword search only" in (still_down.warning or "")
    embedder = BagOfWordsEmbedder()
    up = QdrantSchemaStore(client, embedder)
    stats = up.index_tables("sales", SALES)
    assert (stats.updated, stats.embedded, stats.sparse_only) == (14, 14, False)
    assert up.search_tables("sales", "client list", k=2).mode == "hybrid"
    assert "customers" in _names(up, "client list", k=2)
    assert up.index_tables("sales", SALES).embedded == 0


def test_another_embedding_model_rebuilds_the_dense_vectors(client: QdrantClient) -> None:
    QdrantSchemaStore(client, BagOfWordsEmbedder(dim=64, model_name="a")).index_tables(
        "sales", SALES
    )
    store_b = QdrantSchemaStore(client, BagOfWordsEmbedder(dim=32, model_name="b"))
    old = store_b.search_tables("sales", "carrier", k=3)
    assert old.mode == "sparse" and "re-index" in (old.warning or "")
    stats = store_b.index_tables("sales", SALES)
    assert (stats.updated, stats.embedded) == (14, 14)
    assert store_b.search_tables("sales", "carrier", k=3).mode == "hybrid"
    assert store_b.load_tables("sales") == sorted(SALES, key=lambda t: t.name)


def test_policy_filtered_retrieval_never_returns_forbidden_tables(store: QdrantSchemaStore) -> None:
    store.index_tables("sales", [*SALES, _wide_table()])
    allowed = frozenset({"orders", "products", "categories", "regions", "customer_profile"})
    policy = AccessPolicy(
        allowed_tables=allowed, denied_columns=frozenset({("customer_profile", "loyalty_tier")})
    )
    for question in [*QUESTIONS, "loyalty tier", "customers"]:
        names = _names(store, question, k=5, policy=policy)
        assert set(names) <= allowed, question
    assert _names(store, "order date", k=1, policy=policy) == ["orders"]
    nobody = store.search_tables("sales", "orders", policy=AccessPolicy(allowed_tables=frozenset()))
    assert nobody.tables == () and nobody.warning == "no table is allowed for this role"


def test_searching_an_unindexed_database_returns_nothing(store: QdrantSchemaStore) -> None:
    retrieval = store.search_tables("nowhere", "orders")
    assert retrieval.tables == () and retrieval.warning


def test_collection_names_are_sanitised_and_distinct() -> None:
    assert collection_name("schema", "sales") == "kk_schema_sales"
    odd = collection_name("schema", "mysql://db:3306/Sales")
    assert odd.startswith("kk_schema_mysql_db_3306_sales_") and odd.isascii()
    assert odd != collection_name("schema", "mysql://db:3306/sales")


def test_examples_round_trip(store: QdrantSchemaStore, embedder: BagOfWordsEmbedder) -> None:
    examples = [
        Example("Revenue by region in 2024", "SELECT r.name, SUM(p.amount) FROM ..."),
        Example("Top customers by order count", "SELECT c.name, COUNT(*) FROM ..."),
        Example("Average delivery time per carrier", "SELECT carrier, AVG(...) FROM ..."),
    ]
    assert store.index_examples("sales", examples).added == 3
    embedder.embedded = 0
    assert store.index_examples("sales", examples).unchanged == 3 and embedder.embedded == 0
    found = store.search_examples("sales", "which carrier delivers fastest on average", k=1)
    assert found == [examples[2]]
    store.remove_example("sales", examples[2])
    assert examples[2] not in store.search_examples("sales", "carrier delivery time", k=3)
    store.index_examples("sales", examples[:1], replace=True)
    assert store.search_examples("sales", "customers orders revenue", k=3) == examples[:1]


def test_notes_round_trip(store: QdrantSchemaStore) -> None:
    notes = [
        Note("Revenue means the sum of paid payments, excluding refunds.", "Revenue"),
        Note("Fiscal year starts on April 1st.", "Fiscal year"),
    ]
    store.index_notes("sales", notes)
    assert store.search_notes("sales", "what was revenue last quarter", k=1) == [notes[0]]
    assert store.search_notes("sales", "fiscal year 2024", k=1) == [notes[1]]
    store.remove_note("sales", notes[1])
    assert notes[1] not in store.search_notes("sales", "fiscal year 2024", k=2)
    assert store.search_notes("elsewhere", "revenue") == []


def test_local_folder_persists_and_second_opener_gets_index_busy(tmp_path: Path) -> None:
    path = str(tmp_path / "qdrant")
    first = open_qdrant(url=None, path=path)
    try:
        QdrantSchemaStore(first, BagOfWordsEmbedder()).index_tables("sales", SALES)
        with pytest.raises(IndexBusy, match="in use by another Keskinube process") as busy:
            open_qdrant(url=None, path=path)
        assert path in str(busy.value) and "QDRANT_URL" in str(busy.value)
    finally:
        first.close()
    reopened = open_qdrant(url=None, path=path)
    try:
        store = QdrantSchemaStore(reopened, BagOfWordsEmbedder())
        assert store.load_tables("sales") == sorted(SALES, key=lambda t: t.name)
        assert store.index_tables("sales", SALES).embedded == 0
        assert _names(store, "carrier", k=1) == ["shipments"]
    finally:
        reopened.close()


def test_demo_schema_tables_are_retrievable_by_name(
    tmp_path: Path, store: QdrantSchemaStore
) -> None:
    demo = pytest.importorskip("backend.demo.schema")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'demo.sqlite'}")
    demo.metadata.create_all(engine)
    tables = introspect(engine)
    engine.dispose()
    store.index_tables("demo", tables)
    for table in tables:
        found = [t.name for t in store.search_tables("demo", humanize(table.name), k=3).tables]
        assert table.name in found, (table.name, found)
