"""Remembers recent embeddings, so one question is embedded once per answer, not per use.

The answer cache, table retrieval, example and note retrieval each embed the same
question; over HTTP to Ollama that is several round trips for one vector.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

from backend.ports import Embedder


class MemoEmbedder:
    """An Embedder that keeps the last `size` single-text embeddings of another one."""

    def __init__(self, inner: Embedder, *, size: int = 512) -> None:
        self.inner = inner
        self.size = size
        self._memo: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def model_name(self) -> str:
        return self.inner.model_name

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if len(texts) != 1:  # bulk indexing: nothing to gain from remembering
            return self.inner.embed(texts)
        text = texts[0]
        with self._lock:
            if text in self._memo:
                self._memo.move_to_end(text)
                return [list(self._memo[text])]
        vector = self.inner.embed([text])[0]
        with self._lock:
            self._memo[text] = vector
            while len(self._memo) > self.size:
                self._memo.popitem(last=False)
        return [list(vector)]
