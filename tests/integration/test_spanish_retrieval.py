"""Spanish questions over the English demo schema, keyword (sparse-only) retrieval.

The demo database is built and indexed as the product does (sample values, the demo's
comments) in embedded Qdrant with no embedding model, so only the sparse side searches:
without the glossary a Spanish question shares no word with the schema; with it, the
right tables come back. English questions rank exactly as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from qdrant_client import QdrantClient

from backend.schema import introspect
from demo_data import build_demo_database
from vectorstore.glossary import load_glossary
from vectorstore.sparse import SparseEncoder
from vectorstore.store import QdrantSchemaStore
from wiring.services import demo_comments

DEMO_GLOSSARY = Path(__file__).resolve().parents[2] / "backend" / "demo" / "glossary.yaml"
DB = "demo"

# Not the benchmark's questions (bench/golden/demo_es.jsonl): these are only for the tests.
SPANISH = {
    "¿Qué transportistas tardan más en entregar los paquetes?": {"shipments"},
    "Reembolsos por motivo de devolución": {"returns"},
    "¿Cuántos empleados tiene cada oficina?": {"employees", "offices"},
    "Facturación por familia de producto": {"order_items", "product_categories"},
    "Proveedores con el plazo de entrega más largo": {"suppliers"},
    "Pagos con tarjeta del último trimestre": {"payments"},
    "Clientes sin gestor de cuenta asignado": {"customers"},
    "Sueldo medio de los comerciales por región": {"employees", "regions"},
}
ENGLISH = [
    "Which carriers take longest to deliver parcels?",
    "Refunds by return reason",
    "Average salary of sales reps per region",
]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[QdrantClient]:
    url = f"sqlite:///{tmp_path_factory.mktemp('spanish') / 'demo.sqlite'}"
    build_demo_database(url, orders=1500)
    engine = sa.create_engine(url)
    tables = [demo_comments(t) for t in introspect(engine)]
    engine.dispose()
    qdrant = QdrantClient(location=":memory:")
    QdrantSchemaStore(qdrant, None).index_tables(DB, tables)  # no embedder: sparse only
    yield qdrant
    qdrant.close()


@pytest.fixture(scope="module")
def store(client: QdrantClient) -> QdrantSchemaStore:
    return QdrantSchemaStore(client, None)


@pytest.fixture(scope="module")
def glossary_store(client: QdrantClient) -> QdrantSchemaStore:
    """The same index, searched with the demo glossary (documents are never expanded)."""
    return QdrantSchemaStore(client, None, sparse=SparseEncoder(load_glossary(DEMO_GLOSSARY)))


def _top(store: QdrantSchemaStore, question: str) -> list[str]:
    retrieval = store.search_tables(DB, question, k=5)
    assert retrieval.mode == "sparse"
    return [t.name for t in retrieval.tables]


@pytest.mark.parametrize(("question", "gold"), sorted(SPANISH.items()))
def test_spanish_question_finds_its_tables_through_the_glossary(
    glossary_store: QdrantSchemaStore, question: str, gold: set[str]
) -> None:
    top = _top(glossary_store, question)
    assert gold <= set(top), top


def test_without_the_glossary_spanish_questions_find_almost_nothing(
    store: QdrantSchemaStore,
) -> None:
    found = [q for q, gold in SPANISH.items() if gold <= set(_top(store, q))]
    assert len(found) <= 1, found


def test_english_questions_rank_the_same_with_the_glossary(
    store: QdrantSchemaStore, glossary_store: QdrantSchemaStore
) -> None:
    before = {q: _top(store, q) for q in ENGLISH}
    assert {q: _top(glossary_store, q) for q in ENGLISH} == before
    assert all(before.values())
