"""The small interfaces the pipeline depends on; adapters at the edges implement them."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Protocol, runtime_checkable

import pandas as pd

from backend.domain import (
    AccessPolicy,
    Completion,
    Example,
    Note,
    QueryResult,
    Retrieval,
    TableDoc,
)


class ChatModel(Protocol):
    """Turns a list of chat messages into one completion."""

    model_name: str

    def complete(self, messages: Sequence[tuple[str, str]]) -> Completion:
        """`messages` are (role, content) pairs; role is system, user or assistant.

        Raises `ModelUnavailable` when the model cannot be reached or is not pulled.
        """
        ...


@runtime_checkable
class PromptPrefiller(Protocol):
    """A chat model whose server caches the prompt prefix it has evaluated (Ollama does)."""

    def prefill(self, messages: Sequence[tuple[str, str]]) -> None:
        """Have the server evaluate `messages`, generating next to nothing, so that the
        next prompt starting the same way is served from its cache. Raises
        `ModelUnavailable` like `complete`."""
        ...


@runtime_checkable
class SamplingChatModel(Protocol):
    """A chat model that can answer again with sampling, for more candidate queries."""

    def sample(
        self, messages: Sequence[tuple[str, str]], *, temperature: float, seed: int
    ) -> Completion:
        """Like `complete`, drawn at `temperature` with `seed` (the same seed, the same
        answer). The server's prompt cache still serves the shared prompt start."""
        ...


class Embedder(Protocol):
    """Dense vectors for texts."""

    @property
    def model_name(self) -> str:
        """Which model made the vectors (a read-only property satisfies it too)."""
        ...

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Raises `EmbeddingsUnavailable` when the embedding model cannot be used."""
        ...


class SqlRunner(Protocol):
    """Runs one already-checked read-only statement."""

    dialect: str

    def run(self, sql: str, *, row_limit: int) -> QueryResult:
        """Raises `QueryFailed`, `QueryTimeout` or `DatabaseUnavailable`."""
        ...

    def stream(
        self, sql: str, *, row_limit: int, chunk_rows: int
    ) -> Generator[pd.DataFrame, None, bool]:
        """The rows as frames of at most `chunk_rows` rows, fetched as they are consumed.

        At most `row_limit` rows; returns whether more existed. A result without rows
        yields one empty frame with the columns. Raises like `run`, while iterating too.
        """
        ...


class SchemaIndex(Protocol):
    """Where the schema, examples and notes are indexed and retrieved (Qdrant)."""

    def load_tables(self, database: str) -> list[TableDoc]:
        """Every indexed table of `database`, as indexed."""
        ...

    def search_tables(
        self, database: str, question: str, *, k: int = 5, policy: AccessPolicy | None = None
    ) -> Retrieval:
        """The `k` tables most relevant to `question` that `policy` allows, best first."""
        ...

    def search_examples(self, database: str, question: str, *, k: int = 3) -> list[Example]: ...

    def search_notes(self, database: str, question: str, *, k: int = 3) -> list[Note]: ...

    def list_examples(self, database: str) -> list[Example]:
        """Every indexed example of `database`, in a fixed order (by question)."""
        ...

    def list_notes(self, database: str) -> list[Note]:
        """Every indexed note of `database`, in a fixed order (by title, then text)."""
        ...


@runtime_checkable
class VersionedIndex(Protocol):
    """A schema index that says cheaply when its tables were re-indexed (by any process)."""

    def index_version(self, database: str) -> str | None:
        """Changes whenever the indexed tables do; None before the first index run."""
        ...


@runtime_checkable
class NearestIndex(Protocol):
    """A schema index that measures how near a question is to what it holds."""

    def nearest_similarity(self, database: str, question: str) -> float | None:
        """Cosine similarity to the nearest indexed table or reviewed example; None when
        it cannot be measured (no embeddings)."""
        ...


class AnswerCache(Protocol):
    """Question → SQL that already worked, per database and role."""

    def lookup(self, database: str, role: str, question: str) -> str | None: ...

    def store(self, database: str, role: str, question: str, sql: str) -> None: ...

    def evict(self, database: str, role: str, question: str) -> None: ...
