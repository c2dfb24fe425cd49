"""Stand-ins for the engine's ports where a test or benchmark must not retrieve or ask."""

from __future__ import annotations

from collections.abc import Sequence

from backend.domain import AccessPolicy, Completion, Example, Note, Retrieval, TableDoc


class TablesInMemory:
    """The `SchemaIndex` port over introspected tables; retrieval must not happen."""

    def __init__(self, tables: list[TableDoc]) -> None:
        self.tables = tables

    def load_tables(self, database: str) -> list[TableDoc]:
        return self.tables

    def search_tables(
        self, database: str, question: str, *, k: int = 5, policy: AccessPolicy | None = None
    ) -> Retrieval:
        raise AssertionError("this path never retrieves")

    def search_examples(self, database: str, question: str, *, k: int = 3) -> list[Example]:
        return []

    def search_notes(self, database: str, question: str, *, k: int = 3) -> list[Note]:
        return []


class SilentModel:
    """The `ChatModel` port for paths that must never ask the model."""

    model_name = "none"

    def complete(self, messages: Sequence[tuple[str, str]]) -> Completion:
        raise AssertionError("this path never asks the model")
