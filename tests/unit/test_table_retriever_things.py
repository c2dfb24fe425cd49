"""Per-thing searches in retrieve mode (`TableRetriever.rank`): each thing the model
listed is searched on its own beside the whole question, and the rankings fused, but
only when the search is hybrid (keyword search over a thing's few words is measured to
pull look-alikes up)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from backend.domain import (
    AccessPolicy,
    Actor,
    ColumnDoc,
    Retrieval,
    RetrievalMode,
    ScoredTable,
    TableDoc,
)
from backend.engine_config import EngineConfig
from backend.question_names import Thing
from backend.schema_view import SchemaView
from backend.table_retrieval import MAX_THINGS, TableRetriever
from testkit.stubs import TablesInMemory

ACTOR = Actor(username="ana", role="analyst")
NAMES = ("customers", "client_certificates", "client_sessions", "bookings", "quays")
TABLES = [TableDoc(name, (ColumnDoc("id", "INT", False, None, True),)) for name in NAMES]
QUESTION = "Which clients made the most reservations?"
THINGS = [
    Thing("clients", ("customers", "buyers")),
    Thing("reservations", ("bookings", "orders")),
]
WHOLE = f"{QUESTION}\ncustomers, buyers, bookings, orders"


class ScriptedSearch(TablesInMemory):
    """Rankings given per search text; every search is recorded."""

    def __init__(self, rankings: Mapping[str, Sequence[str]], mode: RetrievalMode) -> None:
        super().__init__(TABLES)
        self.rankings = rankings
        self.mode = mode
        self.searched: list[str] = []

    def search_tables(
        self, database: str, question: str, *, k: int = 5, policy: AccessPolicy | None = None
    ) -> Retrieval:
        self.searched.append(question)
        names = self.rankings[question][:k]
        tables = tuple(ScoredTable(name, 1.0 - i / 10) for i, name in enumerate(names))
        return Retrieval(tables, self.mode)


RANKINGS = {
    WHOLE: ["client_certificates", "customers", "client_sessions", "bookings", "quays"],
    "clients: customers, buyers": ["customers"],
    "reservations: bookings, orders": ["bookings", "quays", "customers"],
}


def _rank(index: ScriptedSearch, things: Sequence[Thing], k: int = 2) -> list[str]:
    view = SchemaView(TABLES)
    retriever = TableRetriever(index=index, config=EngineConfig(database="db"), schema=lambda: view)
    return [t.name for t in retriever.rank(QUESTION, ACTOR, k=k, things=things).tables]


def test_in_hybrid_search_each_thing_gets_its_own_search_and_the_rankings_are_fused() -> None:
    index = ScriptedSearch(RANKINGS, "hybrid")
    assert _rank(index, THINGS) == ["customers", "bookings"]
    assert index.searched == [WHOLE, "clients: customers, buyers", "reservations: bookings, orders"]


def test_keyword_search_keeps_the_one_search_of_everything() -> None:
    index = ScriptedSearch(RANKINGS, "sparse")
    assert _rank(index, THINGS) == ["client_certificates", "customers"]
    assert index.searched == [WHOLE]


def test_one_thing_is_searched_with_the_question_only() -> None:
    index = ScriptedSearch({f"{QUESTION}\ncustomers, buyers": ["customers"]}, "hybrid")
    assert _rank(index, THINGS[:1], k=1) == ["customers"]
    assert len(index.searched) == 1


def test_a_long_list_of_things_is_cut() -> None:
    things = [Thing(f"w{i}", (f"n{i}",)) for i in range(MAX_THINGS + 3)]
    whole = f"{QUESTION}\n" + ", ".join(f"n{i}" for i in range(MAX_THINGS + 3))
    rankings = {whole: ["customers"], **{t.query(): ["quays"] for t in things}}
    index = ScriptedSearch(rankings, "hybrid")
    _rank(index, things, k=1)
    assert len(index.searched) == 1 + MAX_THINGS
