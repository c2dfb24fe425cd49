"""The small interfaces the pipeline depends on; adapters at the edges implement them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from backend.domain import Completion, QueryResult


class ChatModel(Protocol):
    """Turns a list of chat messages into one completion."""

    model_name: str

    def complete(self, messages: Sequence[tuple[str, str]]) -> Completion:
        """`messages` are (role, content) pairs; role is system, user or assistant.

        Raises `ModelUnavailable` when the model cannot be reached or is not pulled.
        """
        ...


class Embedder(Protocol):
    """Dense vectors for texts."""

    model_name: str

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Raises `EmbeddingsUnavailable` when the embedding model cannot be used."""
        ...


class SqlRunner(Protocol):
    """Runs one already-checked read-only statement."""

    dialect: str

    def run(self, sql: str, *, row_limit: int) -> QueryResult:
        """Raises `QueryFailed`, `QueryTimeout` or `DatabaseUnavailable`."""
        ...
