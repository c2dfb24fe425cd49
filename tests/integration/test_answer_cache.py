"""The semantic answer cache on embedded Qdrant, with a controllable test embedder."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from qdrant_client import QdrantClient

from backend.errors import EmbeddingsUnavailable
from vectorstore.cache import QdrantAnswerCache, literal_signature


class TopicEmbedder:
    """Questions about the same topic word get the same direction; others are orthogonal."""

    model_name = "topic"
    topics = ("revenue", "customers", "orders")

    def __init__(self) -> None:
        self.down = False

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if self.down:
            raise EmbeddingsUnavailable("embeddings are down")
        vectors = []
        for text in texts:
            hits = [1.0 if topic in text.lower() else 0.0 for topic in self.topics]
            vectors.append([*hits, 0.01])
        return vectors


@pytest.fixture
def cache() -> QdrantAnswerCache:
    return QdrantAnswerCache(QdrantClient(":memory:"), TopicEmbedder(), similarity=0.9)


def test_exact_question_hits_after_normalisation(cache: QdrantAnswerCache) -> None:
    cache.store("demo", "analyst", "How many customers?", "SELECT COUNT(*) FROM customers")
    assert cache.lookup("demo", "analyst", "  how many CUSTOMERS ") == (
        "SELECT COUNT(*) FROM customers"
    )


def test_paraphrase_hits_by_embedding(cache: QdrantAnswerCache) -> None:
    cache.store("demo", "analyst", "total revenue", "SELECT SUM(x) FROM t")
    assert (
        cache.lookup("demo", "analyst", "what is the total revenue we made")
        == "SELECT SUM(x) FROM t"
    )
    assert cache.lookup("demo", "analyst", "list the orders") is None


@pytest.mark.parametrize(
    ("stored", "asked"),
    [
        ("revenue in 2024", "revenue in 2025"),
        ("revenue last year", "revenue this year"),
        ("top 10 customers by revenue", "bottom 10 customers by revenue"),
        ("revenue of paid orders", "revenue of unpaid orders"),
        ("revenue for 'Spain'", "revenue for 'France'"),
    ],
)
def test_near_hit_needs_the_same_literals_and_pivot_words(
    cache: QdrantAnswerCache, stored: str, asked: str
) -> None:
    cache.store("demo", "analyst", stored, "SELECT 1")
    assert cache.lookup("demo", "analyst", asked) is None
    assert literal_signature(stored) != literal_signature(asked)


def test_roles_and_databases_do_not_share_answers(cache: QdrantAnswerCache) -> None:
    cache.store("demo", "analyst", "total revenue", "SELECT 1")
    assert cache.lookup("demo", "manager", "total revenue") is None
    assert cache.lookup("other", "analyst", "total revenue") is None


def test_many_close_entries_of_other_roles_do_not_hide_this_roles_answer(
    cache: QdrantAnswerCache,
) -> None:
    for number in range(12):  # more than the unfiltered first query reads
        cache.store("demo", f"role{number}", "total revenue", f"SELECT {number}")
    cache.store("demo", "analyst", "total revenue", "SELECT 'mine'")
    asked = "what is the total revenue we made"
    assert cache.lookup("demo", "analyst", asked) == "SELECT 'mine'"
    assert cache.lookup("demo", "role3", asked) == "SELECT 3"
    assert cache.lookup("demo", "nobody", asked) is None


def test_evict_removes_exact_and_near_entries(cache: QdrantAnswerCache) -> None:
    cache.store("demo", "analyst", "total revenue", "SELECT 1")
    cache.evict("demo", "analyst", "what is the total revenue we made")
    assert cache.lookup("demo", "analyst", "total revenue") is None


def test_exact_hits_survive_without_embeddings(cache: QdrantAnswerCache) -> None:
    assert isinstance(cache.embedder, TopicEmbedder)
    cache.embedder.down = True
    cache.store("demo", "analyst", "total revenue", "SELECT 1")
    assert cache.lookup("demo", "analyst", "Total revenue?") == "SELECT 1"
    assert cache.lookup("demo", "analyst", "what is the total revenue we made") is None
