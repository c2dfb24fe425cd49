"""Who may review examples (issue 18, item 6): an approved example reaches every role's
prompt, so only a reviewer (an admin) approves, rejects, removes or adds one; nobody
approves their own proposal; a non-reviewer lists only their own proposals.

Enforced by `FeedbackStore` itself: these tests call it directly, as a forged request
would, bypassing the page. Same real parts as tests/unit/test_feedback.py (app database on
SQLite and MariaDB, embedded Qdrant, the real guard).
"""
# Fixtures come from test_feedback; arguments naming them are not redefinitions.
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from backend.domain import Actor
from backend.errors import SqlRejected
from backend.feedback import (
    APPROVED,
    PENDING,
    REJECTED,
    FeedbackStore,
    ProposalError,
    ReviewRefused,
    can_review,
)
from backend.pipeline import Engine
from tests.unit.test_feedback import (  # noqa: F401 - fixtures
    ADMIN,
    QUESTION,
    SQL,
    as_reviewer,
    engine,
    feedback,
    indexed,
    qdrant_store,
    shop,
)
from vectorstore.store import QdrantSchemaStore

OTHER_ADMIN = Actor("olga", "admin")
ANALYST = Actor("ana", "analyst")

# Everyone who is not a reviewer, however they present themselves.
NOT_REVIEWERS: list[Any] = [
    Actor("ana", "analyst"),
    Actor("max", "manager"),
    Actor("root", "Admin"),  # roles are exact, lower-case
    Actor("root", "admin "),
    Actor("root", "administrator"),
    Actor("root", ""),
    Actor("root", "reviewer"),  # no such role (yet)
    "root",  # a bare username, as the old API took
    None,
    {"username": "root", "role": "admin"},
]


def _ids(value: Any) -> str:
    return repr(value)[:40]


def actions(feedback: FeedbackStore, engine: Engine, actor: Any) -> dict[str, Callable[[], Any]]:
    """Every review action, for one pending and one approved proposal, by `actor`."""
    pending = feedback.thumbs_up("ana", QUESTION, SQL)
    approved = feedback.thumbs_up("max", "Customers?", "SELECT COUNT(*) AS n FROM customers")
    feedback.approve(approved.id, ADMIN, check=as_reviewer(engine))
    check = as_reviewer(engine)
    return {
        "approve": lambda: feedback.approve(pending.id, actor, check=check),
        "approve_edited": lambda: feedback.approve(
            pending.id, actor, check=check, sql="SELECT 1 AS one", question="Planted?"
        ),
        "reject": lambda: feedback.reject(pending.id, actor),
        "remove": lambda: feedback.remove(approved.id, actor),
        "add": lambda: feedback.add_example(actor, "Planted?", "SELECT 1 AS one", check=check),
    }


@pytest.mark.parametrize("actor", NOT_REVIEWERS, ids=_ids)
@pytest.mark.parametrize("action", ["approve", "approve_edited", "reject", "remove", "add"])
def test_a_non_reviewer_calling_the_store_directly_is_refused(
    feedback: FeedbackStore,
    engine: Engine,
    qdrant_store: QdrantSchemaStore,
    actor: Any,
    action: str,
) -> None:
    calls = actions(feedback, engine, actor)
    before = indexed(qdrant_store)
    with pytest.raises(ReviewRefused) as refused:
        calls[action]()
    assert refused.value.render("en") == "Only an admin can review examples."
    assert refused.value.render("es") == "Solo un administrador puede revisar ejemplos."
    assert indexed(qdrant_store) == before  # nothing reached the prompts
    assert [p.question for p in feedback.proposals(PENDING)] == [QUESTION]
    assert [p.question for p in feedback.proposals(APPROVED)] == ["Customers?"]
    assert not can_review(actor)


@pytest.mark.parametrize(
    "reviewer", [ADMIN, Actor("ROOT", "admin"), Actor(" root ", "admin")], ids=_ids
)
@pytest.mark.parametrize("edited", [False, True])
def test_nobody_approves_their_own_proposal(
    feedback: FeedbackStore,
    engine: Engine,
    qdrant_store: QdrantSchemaStore,
    reviewer: Actor,
    edited: bool,
) -> None:
    own = feedback.thumbs_up("root", QUESTION, SQL)
    edits = {"sql": "SELECT 1 AS one", "question": "Else?"} if edited else {}
    with pytest.raises(ReviewRefused) as refused:
        feedback.approve(own.id, reviewer, check=as_reviewer(engine, reviewer), **edits)
    assert "own proposal" in str(refused.value)
    assert feedback.get(own.id).status == PENDING
    assert indexed(qdrant_store) == []
    # Another admin may; the author may still withdraw (reject) their own.
    approved = feedback.approve(own.id, OTHER_ADMIN, check=as_reviewer(engine, OTHER_ADMIN))
    assert (approved.status, approved.proposed_by, approved.reviewed_by) == (
        APPROVED,
        "root",
        "olga",
    )
    second = feedback.thumbs_up("root", "Segments?", "SELECT DISTINCT segment FROM customers")
    assert feedback.reject(second.id, ADMIN).status == REJECTED


def test_a_lone_admin_adds_an_example_as_their_own(
    feedback: FeedbackStore, engine: Engine, qdrant_store: QdrantSchemaStore
) -> None:
    added = feedback.add_example(ADMIN, f"  {QUESTION} ", SQL, check=as_reviewer(engine))
    assert (added.status, added.proposed_by, added.reviewed_by) == (APPROVED, "root", "root")
    assert [e.question for e in indexed(qdrant_store)] == [QUESTION]
    with pytest.raises(SqlRejected):
        feedback.add_example(ADMIN, "Bad?", "DELETE FROM customers", check=as_reviewer(engine))
    with pytest.raises(ProposalError):
        feedback.add_example(ADMIN, " ", SQL, check=as_reviewer(engine))
    assert [e.question for e in indexed(qdrant_store)] == [QUESTION]


@pytest.mark.parametrize("forged", [0, -1, 999_999, 2**62])
def test_a_forged_proposal_id_is_refused(
    feedback: FeedbackStore, engine: Engine, qdrant_store: QdrantSchemaStore, forged: int
) -> None:
    feedback.thumbs_up("ana", QUESTION, SQL)
    for action in (
        lambda: feedback.approve(forged, ADMIN, check=as_reviewer(engine)),
        lambda: feedback.reject(forged, ADMIN),
        lambda: feedback.remove(forged, ADMIN),
    ):
        with pytest.raises(ProposalError, match="no longer exists"):
            action()
    assert indexed(qdrant_store) == []


def test_an_id_from_another_database_or_review_state_is_refused(
    feedback: FeedbackStore,
    engine: Engine,
    app_engine: sa.Engine,
    qdrant_store: QdrantSchemaStore,
) -> None:
    elsewhere = FeedbackStore(app_engine, index=qdrant_store, database="other")
    foreign = elsewhere.propose("ana", QUESTION, SQL)
    with pytest.raises(ProposalError, match="no longer exists"):
        feedback.approve(foreign.id, ADMIN, check=as_reviewer(engine))
    done = feedback.thumbs_up("ana", "Segments?", "SELECT DISTINCT segment FROM customers")
    feedback.reject(done.id, ADMIN)
    with pytest.raises(ProposalError, match="already rejected"):
        feedback.approve(done.id, ADMIN, check=as_reviewer(engine))
    assert elsewhere.get(foreign.id).status == PENDING
    assert indexed(qdrant_store) == []


def test_a_non_reviewer_lists_only_their_own_proposals(
    feedback: FeedbackStore, engine: Engine
) -> None:
    mine = feedback.thumbs_up("ana", QUESTION, SQL)
    theirs = feedback.thumbs_up("max", "Staff?", "SELECT COUNT(*) AS n FROM staff")
    admins = feedback.thumbs_up("root", "Segments?", "SELECT DISTINCT segment FROM customers")
    approved_theirs = feedback.thumbs_up("bob", "Count?", "SELECT COUNT(*) AS n FROM customers")
    feedback.approve(approved_theirs.id, ADMIN, check=as_reviewer(engine))

    def ids(actor: Actor, status: str) -> list[int]:
        return [p.id for p in feedback.visible_to(actor, status)]  # type: ignore[arg-type]

    assert ids(ANALYST, PENDING) == [mine.id]
    assert ids(ANALYST, APPROVED) == []
    assert ids(Actor("max", "manager"), PENDING) == [theirs.id]
    assert ids(Actor("bob", "analyst"), APPROVED) == [approved_theirs.id]
    assert ids(Actor("nobody", "analyst"), PENDING) == []
    assert ids(ADMIN, PENDING) == [mine.id, theirs.id, admins.id]
    assert ids(ADMIN, APPROVED) == [approved_theirs.id]
