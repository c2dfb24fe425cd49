"""The retriever's ranking with the question's things and values, over a scripted index.

The search itself is measured against a real index elsewhere (integration tests, `bench
scale`); here the index answers each search text with a fixed ranking, so that what the
retriever does with those rankings is pinned: which searches it makes, and where a thing's
or a value's table lands.
"""

from __future__ import annotations

from backend.domain import (
    AccessPolicy,
    Actor,
    ColumnDoc,
    Completion,
    Example,
    ForeignKey,
    Note,
    Retrieval,
    ScoredTable,
    TableDoc,
)
from backend.engine_config import EngineConfig
from backend.question_names import QuestionNames, names_messages
from backend.schema_view import SchemaView
from backend.table_retrieval import TableRetriever

TABLES = [
    TableDoc("owners", (ColumnDoc("id", "INT"), ColumnDoc("owner_name", "TEXT"))),
    TableDoc(
        "vessels",
        (ColumnDoc("id", "INT"), ColumnDoc("owner_id", "INT")),
        foreign_keys=(ForeignKey(("owner_id",), "owners", ("id",)),),
    ),
    TableDoc(
        "berths",
        (
            ColumnDoc("id", "INT"),
            ColumnDoc("vessel_id", "INT"),
            ColumnDoc("quay", "TEXT", sample_values=("North Pier", "South Pier")),
        ),
        foreign_keys=(ForeignKey(("vessel_id",), "vessels", ("id",)),),
    ),
    TableDoc("owner_accounts", (ColumnDoc("id", "INT"), ColumnDoc("owner_login", "TEXT"))),
    TableDoc("owner_profiles", (ColumnDoc("id", "INT"), ColumnDoc("owner_bio", "TEXT"))),
]
QUESTION = "Which owners moor their boats here?"
REPLY = "owners: owners, owner accounts\nmoor: berths, quays"
WHOLE = ["owners", "owner_accounts", "owner_profiles", "vessels", "berths"]
ANA = Actor("ana", "analyst")


class ScriptedIndex:
    """The `SchemaIndex` port answering each search text with a fixed ranking (the whole
    question's ranking for any text it was not told), and recording the texts."""

    def __init__(self, rankings: dict[str, list[str]]) -> None:
        self.rankings = rankings
        self.searched: list[str] = []

    def search_tables(
        self, database: str, question: str, *, k: int = 5, policy: AccessPolicy | None = None
    ) -> Retrieval:
        self.searched.append(question)
        names = self.rankings.get(question, WHOLE)
        # A thing's search answers as told, hidden tables too: the retriever must keep
        # them out on its own.
        told = question in self.rankings
        allowed = [n for n in names if told or policy is None or policy.allows_table(n)]
        ranked = tuple(ScoredTable(n, 1.0 / (i + 1)) for i, n in enumerate(allowed[:k]))
        return Retrieval(ranked, "hybrid")

    def load_tables(self, database: str) -> list[TableDoc]:
        return TABLES

    def search_examples(self, database: str, question: str, *, k: int = 3) -> list[Example]:
        return []

    def list_examples(self, database: str) -> list[Example]:
        return []

    def search_notes(self, database: str, question: str, *, k: int = 3) -> list[Note]:
        return []


THINGS = {"owners\nowner accounts": ["owners"], "moor\nberths, quays": ["owner_profiles", "berths"]}


def _retriever(rankings: dict[str, list[str]] = THINGS) -> tuple[TableRetriever, ScriptedIndex]:
    index = ScriptedIndex(rankings)
    view = SchemaView(TABLES)
    config = EngineConfig(database="harbour", schema_mode="retrieve", question_names=True)
    return TableRetriever(index=index, config=config, schema=lambda: view, dialect="mysql"), index


def _rank(question: str, names: QuestionNames, k: int, actor: Actor = ANA) -> list[str]:
    retriever, _ = _retriever()
    return [t.name for t in retriever.rank(question, actor, k=k, names=names).tables]


def test_each_thing_is_searched_alone_and_its_joined_table_comes_second() -> None:
    retriever, index = _retriever()
    reply = QuestionNames.of(REPLY)
    found = retriever.rank(QUESTION, ANA, k=3, names=reply)
    assert index.searched[1:] == ["owners\nowner accounts", "moor\nberths, quays"]
    # berths: its thing's first table near owners; vessels joins the two.
    assert [t.name for t in found.tables] == ["owners", "berths", "vessels"]
    assert [t.score for t in found.tables] == [1.0, 0.2, 0.25], "the search's own scores"


def test_without_the_things_the_whole_search_decides() -> None:
    reply = QuestionNames.of(REPLY)
    without = QuestionNames(reply.names, ())
    assert _rank(QUESTION, without, k=3) == ["owners", "owner_accounts", "owner_profiles"]


def test_the_model_s_reply_reaches_the_ranking_through_choose() -> None:
    retriever, _ = _retriever()
    asked: list[object] = []

    def complete(messages: object) -> Completion:
        asked.append(messages)
        return Completion(REPLY)

    chosen = retriever.choose(QUESTION, ANA, complete=complete)
    assert asked == [names_messages(QUESTION)]
    assert [t.name for t in chosen.tables][:3] == ["owners", "berths", "vessels"]


def test_a_value_the_question_says_brings_its_table_without_names() -> None:
    said = _rank("Which owners moor at the North Pier?", QuestionNames(), k=2)
    assert said == ["owners", "berths"]
    assert _rank("Which owners moor at the north end?", QuestionNames(), k=2) == [
        "owners",
        "owner_accounts",
    ]


def test_a_value_or_thing_the_asker_may_not_see_brings_nothing() -> None:
    no_quay = Actor("cleo", "clerk", AccessPolicy(denied_columns=frozenset({("berths", "quay")})))
    assert _rank("Which owners moor at the North Pier?", QuestionNames(), 2, no_quay) == [
        "owners",
        "owner_accounts",
    ]
    no_berths = Actor(
        "cleo", "clerk", AccessPolicy(allowed_tables=frozenset({"owners", "owner_accounts"}))
    )
    found = _rank(QUESTION, QuestionNames.of(REPLY), 3, no_berths)
    assert found == ["owners", "owner_accounts"]
