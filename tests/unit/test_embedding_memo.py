"""MemoEmbedder: one question embedded once, bulk calls passed through."""

from __future__ import annotations

from collections.abc import Sequence

from backend.embedding_memo import MemoEmbedder


class CountingEmbedder:
    model_name = "counting"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return [[float(len(t)), 1.0] for t in texts]


def test_single_texts_are_embedded_once() -> None:
    inner = CountingEmbedder()
    memo = MemoEmbedder(inner)
    first = memo.embed(["how many orders"])
    first[0][0] = -1  # callers may not corrupt the memo
    assert memo.embed(["how many orders"]) == [[15.0, 1.0]]
    assert inner.calls == [["how many orders"]]
    assert memo.model_name == "counting"


def test_bulk_calls_pass_through_and_the_memo_is_bounded() -> None:
    inner = CountingEmbedder()
    memo = MemoEmbedder(inner, size=2)
    memo.embed(["a", "b"])
    for text in ("x", "y", "z", "x"):
        memo.embed([text])
    assert inner.calls == [["a", "b"], ["x"], ["y"], ["z"], ["x"]]
