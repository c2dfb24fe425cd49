"""The fast sparse scorer for embedded Qdrant gives exactly qdrant-client's own scores."""

from __future__ import annotations

import random

import numpy as np
from qdrant_client import QdrantClient, models
from qdrant_client.http.models import SparseVector
from qdrant_client.local import local_collection
from qdrant_client.local.sparse_distances import calculate_distance_sparse

from vectorstore import local_sparse


def _vector(rng: random.Random, terms: int, vocabulary: int = 400) -> SparseVector:
    indices = sorted(rng.sample(range(vocabulary), terms))
    return SparseVector(indices=indices, values=[rng.uniform(0.0, 3.0) for _ in indices])


def test_scores_are_bit_identical_to_qdrant_clients_own() -> None:
    rng = random.Random(7)
    documents = [_vector(rng, rng.randint(1, 60)) for _ in range(300)]
    documents.append(SparseVector(indices=[], values=[]))
    for _ in range(20):
        query = _vector(rng, rng.randint(1, 25))
        fast = local_sparse.score_sparse(query, documents)
        assert fast is not None
        assert np.array_equal(fast, calculate_distance_sparse(query, documents))


def test_a_point_sharing_no_term_scores_minus_infinity_and_zero_products_count() -> None:
    documents = [
        SparseVector(indices=[1, 2], values=[1.0, 2.0]),
        SparseVector(indices=[3], values=[0.0]),
        SparseVector(indices=[9], values=[5.0]),
    ]
    query = SparseVector(indices=[2, 3], values=[0.5, 1.0])
    fast = local_sparse.score_sparse(query, documents)
    assert fast is not None
    assert list(fast) == [1.0, 0.0, float("-inf")]
    assert np.array_equal(fast, calculate_distance_sparse(query, documents))


def test_a_replaced_vector_is_seen_at_once() -> None:
    documents = [SparseVector(indices=[1], values=[1.0]), SparseVector(indices=[2], values=[1.0])]
    query = SparseVector(indices=[2], values=[1.0])
    assert list(_scores(query, documents)) == [float("-inf"), 1.0]
    documents[0] = SparseVector(indices=[2], values=[4.0])  # local mode stores a new object
    assert list(_scores(query, documents)) == [4.0, 1.0]


def _scores(query: SparseVector, documents: list[SparseVector]) -> np.ndarray:
    scores = local_sparse.score_sparse(query, documents)
    assert scores is not None
    return scores


def test_unusual_values_are_left_to_the_original_scorer() -> None:
    documents = [SparseVector.model_construct(indices=[1], values=[np.float32(1.0)])]
    query = SparseVector(indices=[1], values=[1.0])
    assert local_sparse.score_sparse(query, documents) is None


def test_install_is_idempotent_and_embedded_search_ranks_the_same() -> None:
    assert local_sparse.install() and local_sparse.install()
    assert local_collection.calculate_distance_sparse is not calculate_distance_sparse
    rng = random.Random(3)
    client = QdrantClient(":memory:")
    client.create_collection(
        "docs",
        vectors_config={},
        sparse_vectors_config={"sparse": models.SparseVectorParams(modifier=models.Modifier.IDF)},
    )
    points = [
        models.PointStruct(id=i, vector={"sparse": _vector(rng, rng.randint(1, 30), 60)})
        for i in range(120)
    ]
    client.upsert("docs", points)
    query = _vector(rng, 8, 60)
    fast = client.query_points("docs", query=query, using="sparse", limit=50).points
    local_collection.calculate_distance_sparse = calculate_distance_sparse
    try:
        slow = client.query_points("docs", query=query, using="sparse", limit=50).points
    finally:
        local_sparse.install()
    assert [(p.id, p.score) for p in fast] == [(p.id, p.score) for p in slow]
