"""Sparse (BM25-style) encoding: identifier-aware tokens, stable indices, tf saturation."""

from __future__ import annotations

import zlib

from qdrant_client import models

from vectorstore.sparse import (
    SPARSE_VECTOR_PARAMS,
    encode_document,
    encode_query,
    stem,
    token_index,
    tokenize,
)


def test_identifier_spellings_give_the_same_tokens() -> None:
    assert tokenize("order_date") == ["order", "date"]
    assert tokenize("OrderDate") == ["order", "date"]
    assert tokenize("order dates") == ["order", "date"]
    assert tokenize("ORDER-DATE") == ["order", "date"]


def test_tokenizer_splits_acronyms_digits_and_punctuation() -> None:
    assert tokenize("HTTPStatus2xx") == ["http", "status", "2", "xx"]
    assert tokenize("q3_revenue.total") == ["q", "3", "revenue", "total"]


def test_stopwords_are_dropped_in_english_and_spanish() -> None:
    assert tokenize("What are the total sales by region?") == ["total", "sale", "region"]
    assert tokenize("¿Cuáles son las ventas por región?") == ["venta", "region"]


def test_plural_stemming_is_light() -> None:
    assert [stem(w) for w in ["orders", "categories", "boxes", "status", "address"]] == [
        "order",
        "category",
        "box",
        "status",
        "address",
    ]


def test_accents_are_folded() -> None:
    assert tokenize("categoría") == tokenize("categoria") == ["categoria"]


def test_token_indices_are_stable_across_processes() -> None:
    # CRC-32, not Python's per-process salted hash(): a golden value pins it
    assert token_index("order") == 4113142680
    assert token_index("order") == zlib.crc32(b"order")


def test_query_matches_identifier_in_document() -> None:
    document = encode_document("orders: id, customer_id, order_date, status")
    query = encode_query("order date")
    words = {token_index("order"), token_index("date")}
    assert words <= set(query.indices) & set(document.indices)
    assert set(query.values) == {1.0}


def test_title_matches_as_a_whole() -> None:
    orders = set(encode_document("orders", title="orders").indices)
    items = set(encode_document("order items", title="order_items").indices)
    question = set(encode_query("how many orders per month").indices)
    assert len(question & orders) == 2  # "order" and the title term
    assert len(question & items) == 1  # only the word "order"
    assert len(set(encode_query("order items sold").indices) & items) == 3


def test_document_term_frequency_saturates() -> None:
    once = dict(zip(*_pairs(encode_document("amount")), strict=True))
    many = dict(zip(*_pairs(encode_document("amount " * 9)), strict=True))
    index = token_index("amount")
    assert once[index] < many[index] < 2.2 * once[index]


def _pairs(vector: models.SparseVector) -> tuple[list[int], list[float]]:
    return list(vector.indices), list(vector.values)


def test_indices_are_sorted_and_unique() -> None:
    vector = encode_document("customer customers Customer_ID region regions")
    assert list(vector.indices) == sorted(set(vector.indices))


def test_query_of_only_stopwords_is_empty() -> None:
    assert encode_query("what is the").indices == []


def test_sparse_config_asks_qdrant_for_idf() -> None:
    assert SPARSE_VECTOR_PARAMS.modifier == models.Modifier.IDF
