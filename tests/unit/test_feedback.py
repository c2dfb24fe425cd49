"""Thumbs up/down and example review: only approved examples ever reach Qdrant.

Real parts: the app database (SQLite and MariaDB), embedded Qdrant (`:memory:`) behind the
real `QdrantSchemaStore`, the real guard and SQL runner on a small SQLite shop. The only
stand-ins implement our own ports: a hashing `Embedder` and a chat model that is never
called (reviews run SQL, they don't ask the model).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa
from qdrant_client import QdrantClient

from backend.adapters.sql_runner import SqlAlchemySqlRunner
from backend.domain import (
    AccessPolicy,
    Actor,
    Answer,
    ColumnDoc,
    Completion,
    Example,
    TableDoc,
)
from backend.engine_config import EngineConfig
from backend.errors import SqlRejected
from backend.feedback import (
    APPROVED,
    PENDING,
    REJECTED,
    FeedbackStore,
    ProposalError,
    ensure_tables,
    suggested_questions,
)
from backend.pipeline import Engine
from backend.schema import introspect
from tests.support.auth_fixtures import ManualClock
from vectorstore.store import QdrantSchemaStore, collection_name

DATABASE = "shop"
ADMIN = Actor("root", "admin")
ANALYST = Actor("ana", "analyst", AccessPolicy(denied_columns=frozenset({("staff", "salary")})))
QUESTION = "How many customers per segment?"
SQL = "SELECT segment, COUNT(*) AS customers FROM customers GROUP BY segment"


class HashingEmbedder:
    """Deterministic bag-of-words vectors (the `Embedder` port)."""

    model_name = "test-hash"

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._vector(text) for text in texts]

    def _vector(self, text: str) -> list[float]:
        vector = [0.0] * 64
        for word in text.lower().split():
            vector[zlib.crc32(word.encode()) % 64] += 1.0
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        return [v / norm for v in vector]


class SilentModel:
    """A `ChatModel` that must not be called."""

    model_name = "none"

    def complete(self, messages: Sequence[tuple[str, str]]) -> Completion:
        raise AssertionError("reviews must not ask the model")


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'shop.sqlite'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE customers (id INTEGER PRIMARY KEY, segment TEXT)")
        conn.exec_driver_sql("CREATE TABLE staff (id INTEGER PRIMARY KEY, salary REAL)")
        conn.exec_driver_sql("INSERT INTO customers VALUES (1, 'retail'), (2, 'smb')")
    yield engine
    engine.dispose()


@pytest.fixture
def qdrant_store(shop: sa.Engine) -> Iterator[QdrantSchemaStore]:
    client = QdrantClient(":memory:")
    store = QdrantSchemaStore(client, HashingEmbedder())
    store.index_tables(DATABASE, introspect(shop))
    yield store
    client.close()


@pytest.fixture
def engine(shop: sa.Engine, qdrant_store: QdrantSchemaStore) -> Engine:
    return Engine(
        model=SilentModel(),
        runner=SqlAlchemySqlRunner(shop, timeout_s=5),
        index=qdrant_store,
        config=EngineConfig(database=DATABASE),
    )


@pytest.fixture
def feedback(
    app_engine: sa.Engine, qdrant_store: QdrantSchemaStore, clock: ManualClock
) -> FeedbackStore:
    ensure_tables(app_engine)
    return FeedbackStore(app_engine, index=qdrant_store, database=DATABASE, clock=clock)


def indexed(store: QdrantSchemaStore) -> list[Example]:
    """Every example point in Qdrant for the shop database."""
    name = collection_name("examples", DATABASE)
    if not store.client.collection_exists(name):
        return []
    points, _ = store.client.scroll(name, limit=100, with_payload=True)
    payloads = [p.payload or {} for p in points]
    found = [Example(p["question"], p["sql"]) for p in payloads if p.get("kind") == "example"]
    return sorted(found, key=lambda e: (e.question, e.sql))


def as_reviewer(engine: Engine, actor: Actor = ADMIN) -> Callable[[str], Answer]:
    return lambda sql: engine.run_sql(sql, actor)


def test_thumbs_up_proposes_a_pending_example_that_is_not_indexed(
    feedback: FeedbackStore, qdrant_store: QdrantSchemaStore
) -> None:
    proposal = feedback.thumbs_up("ana", QUESTION, SQL)
    again = feedback.thumbs_up("ana", f"  {QUESTION} ", SQL)
    assert again.id == proposal.id  # the same pending pair is proposed once
    assert proposal.status == PENDING and proposal.proposed_by == "ana"
    assert [p.id for p in feedback.proposals(PENDING)] == [proposal.id]
    assert indexed(qdrant_store) == []
    assert [v["rating"] for v in feedback.votes()] == ["up", "up"]


def test_approval_indexes_the_example_for_retrieval(
    feedback: FeedbackStore, qdrant_store: QdrantSchemaStore, engine: Engine
) -> None:
    proposal = feedback.thumbs_up("ana", QUESTION, SQL)
    approved = feedback.approve(proposal.id, ADMIN, check=as_reviewer(engine))
    assert approved.status == APPROVED and approved.reviewed_by == "root"
    assert indexed(qdrant_store) == [Example(QUESTION, SQL)]
    assert qdrant_store.search_examples(DATABASE, "customers per segment", k=1) == [
        Example(QUESTION, SQL)
    ]
    assert feedback.proposals(PENDING) == []
    assert [p.id for p in feedback.proposals(APPROVED)] == [proposal.id]


def test_approval_with_edited_sql_indexes_the_edit(
    feedback: FeedbackStore, qdrant_store: QdrantSchemaStore, engine: Engine
) -> None:
    proposal = feedback.thumbs_up("ana", QUESTION, SQL)
    edited = SQL + " ORDER BY customers DESC"
    approved = feedback.approve(proposal.id, ADMIN, check=as_reviewer(engine), sql=edited)
    assert approved.sql == edited and approved.proposed_sql == SQL
    assert indexed(qdrant_store) == [Example(QUESTION, edited)]


@pytest.mark.parametrize(
    ("bad_sql", "reviewer"),
    [
        ("DELETE FROM customers", ADMIN),
        ("SELECT salary FROM staff", Actor("rita", "admin", ANALYST.policy)),
        ("SELECT no_such_column FROM customers", ADMIN),
    ],
)
def test_sql_that_fails_the_guard_or_the_database_is_never_approved(
    feedback: FeedbackStore,
    qdrant_store: QdrantSchemaStore,
    engine: Engine,
    bad_sql: str,
    reviewer: Actor,
) -> None:
    proposal = feedback.thumbs_up("ana", QUESTION, SQL)
    with pytest.raises(SqlRejected, match="Not approved"):
        feedback.approve(proposal.id, reviewer, check=as_reviewer(engine, reviewer), sql=bad_sql)
    assert feedback.get(proposal.id).status == PENDING
    assert indexed(qdrant_store) == []


def test_rejection_never_indexes(
    feedback: FeedbackStore, qdrant_store: QdrantSchemaStore, engine: Engine
) -> None:
    proposal = feedback.thumbs_up("ana", QUESTION, SQL)
    rejected = feedback.reject(proposal.id, ADMIN)
    assert rejected.status == REJECTED and rejected.reviewed_by == "root"
    with pytest.raises(ProposalError, match="already rejected"):
        feedback.approve(proposal.id, ADMIN, check=as_reviewer(engine))
    assert indexed(qdrant_store) == []
    assert feedback.thumbs_up("ana", QUESTION, SQL).id != proposal.id  # may be proposed again


def test_removing_an_approved_example_takes_it_out_of_qdrant(
    feedback: FeedbackStore, qdrant_store: QdrantSchemaStore, engine: Engine
) -> None:
    other = feedback.thumbs_up("bob", "How many customers?", "SELECT COUNT(*) FROM customers")
    proposal = feedback.thumbs_up("ana", QUESTION, SQL)
    for pending in (other, proposal):
        feedback.approve(pending.id, ADMIN, check=as_reviewer(engine))
    assert len(indexed(qdrant_store)) == 2
    removed = feedback.remove(proposal.id, ADMIN)
    assert removed.status == REJECTED
    assert indexed(qdrant_store) == [other.example]
    with pytest.raises(ProposalError):
        feedback.remove(proposal.id, ADMIN)


def test_thumbs_down_forgets_the_cached_answer_and_keeps_the_comment(
    feedback: FeedbackStore,
) -> None:
    forgotten: list[tuple[str, Actor]] = []
    feedback.thumbs_down(
        ANALYST,
        QUESTION,
        SQL,
        "  counts cancelled ones ",
        forget=lambda q, a: forgotten.append((q, a)),
    )
    assert forgotten == [(QUESTION, ANALYST)]
    [vote] = feedback.votes()
    assert vote["rating"] == "down" and vote["comment"] == "counts cancelled ones"
    assert vote["username"] == "ana" and vote["sql"] == SQL
    assert feedback.proposals(PENDING) == []


def test_proposals_belong_to_their_database(
    feedback: FeedbackStore, app_engine: sa.Engine, qdrant_store: QdrantSchemaStore
) -> None:
    feedback.thumbs_up("ana", QUESTION, SQL)
    elsewhere = FeedbackStore(app_engine, index=qdrant_store, database="other")
    assert elsewhere.proposals(PENDING) == []
    with pytest.raises(ProposalError):
        feedback.propose("ana", "  ", SQL)


# -- suggested questions ------------------------------------------------------------------

TABLES = [
    TableDoc(
        "orders",
        (
            ColumnDoc("order_id", "INTEGER", primary_key=True),
            ColumnDoc("order_date", "DATE"),
            ColumnDoc("status", "VARCHAR(20)", sample_values=("open", "paid", "shipped")),
            ColumnDoc("amount", "DECIMAL(10,2)"),
        ),
        row_estimate=5000,
    ),
    TableDoc(
        "staff",
        (ColumnDoc("id", "INTEGER", primary_key=True), ColumnDoc("salary", "DECIMAL(10,2)")),
        row_estimate=20,
    ),
]


def test_suggestions_prefer_examples_the_actor_may_run() -> None:
    examples = [
        Example("What do we pay our staff?", "SELECT salary FROM staff"),
        Example("Orders per status?", "SELECT status, COUNT(*) FROM orders GROUP BY status"),
    ]
    assert suggested_questions(TABLES, examples, actor=ANALYST)[0] == "Orders per status?"
    assert suggested_questions(TABLES, examples)[:2] == [e.question for e in examples]


def test_suggestions_from_the_schema_alone_are_deterministic() -> None:
    questions = suggested_questions(TABLES, actor=ANALYST)
    assert questions == [
        "How many orders were there per month?",
        "How many staff are there?",
        "What is the total amount per status?",
    ]
    assert suggested_questions(list(reversed(TABLES)), actor=ANALYST) == questions
    hidden = Actor("m", "manager", AccessPolicy(allowed_tables=frozenset({"staff"})))
    assert suggested_questions(TABLES, actor=hidden, count=5) == ["How many staff are there?"]


def test_suggestions_are_written_in_the_readers_language() -> None:
    questions = suggested_questions(TABLES, actor=ANALYST, language="es")
    assert questions == [
        "¿Cuántos registros de orders hubo por mes?",
        "¿Cuántos registros de staff hay?",
        "¿Cuál es el total de importe por estado?",
    ]


def test_review_errors_read_in_the_readers_language(
    feedback: FeedbackStore, engine: Engine
) -> None:
    proposal = feedback.thumbs_up("ana", QUESTION, SQL)
    feedback.reject(proposal.id, ADMIN)
    for action in (
        lambda: feedback.approve(proposal.id, ADMIN, check=as_reviewer(engine)),
        lambda: feedback.reject(proposal.id, ADMIN),
    ):
        with pytest.raises(ProposalError) as refused:
            action()
        assert refused.value.render("es").endswith(": ya está rechazado.")
    with pytest.raises(ProposalError) as not_approved:
        feedback.remove(proposal.id, ADMIN)
    assert not_approved.value.render("es") == (
        "No se puede retirar este ejemplo: ya está rechazado."
    )
    with pytest.raises(ProposalError) as empty:
        feedback.thumbs_up("ana", "  ", SQL)
    assert (str(empty.value), empty.value.render("es")) == (
        "An example needs a question.",
        "Un ejemplo necesita una pregunta.",
    )
    with pytest.raises(ProposalError) as no_sql:
        feedback.thumbs_up("ana", QUESTION, " ")
    assert no_sql.value.render("es") == "Un ejemplo necesita una consulta SQL."


def test_sql_that_fails_review_says_why_in_spanish(feedback: FeedbackStore, engine: Engine) -> None:
    proposal = feedback.thumbs_up("ana", QUESTION, SQL)
    with pytest.raises(SqlRejected) as caught:
        feedback.approve(
            proposal.id, ADMIN, check=as_reviewer(engine), sql="SELECT nope FROM customers"
        )
    assert caught.value.render("es").startswith(
        "No se ha aprobado: el SQL no pasa la comprobación: "
    )
