"""Deleting a user on SQLite and MariaDB: everything they own goes in one transaction, a
new account of the same name inherits nothing, audit history stays but is marked as the
deleted account's, and a failure at any step changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from appdb.tables import (
    answer_feedback,
    answer_runs,
    api_tokens,
    audit_log,
    conversation_turns,
    conversations,
    dashboard_tiles,
    dashboards,
    deleted_users,
    example_proposals,
    lockouts,
    login_attempts,
    row_filters,
    sessions,
)
from auth.audit import AuditFilter
from auth.errors import UserDeleteFailed
from auth.services import AuthServices
from auth.sessions import SessionStore
from auth.user_data import KINDS
from backend.conversations import ConversationStore
from backend.dashboards import DashboardStore
from backend.feedback import APPROVED, FeedbackStore
from backend.monitoring.runs import AnswerRun, Producer
from backend.monitoring.store import RunStore
from tests.support.auth_fixtures import GOOD_PASSWORD, ManualClock


class NoIndex:
    """Examples are never indexed here (no proposal is approved through the store)."""

    def index_examples(self, database: str, examples: Any, *, replace: bool = False) -> None:
        raise AssertionError("not expected")

    def remove_example(self, database: str, example: Any) -> None:
        raise AssertionError("not expected")


def give_data(auth: AuthServices, clock: ManualClock, username: str) -> list[str]:
    """Conversations with turns, a dashboard with tiles, votes, proposals (one approved),
    sessions, an API token, login attempts, a row filter and audit rows; returns the
    session ids."""
    user = auth.users.get_user(username)
    chats = ConversationStore(auth.engine, clock=clock)
    boards = DashboardStore(auth.engine, clock=clock)
    feedback = FeedbackStore(auth.engine, index=NoIndex(), database="demo", clock=clock)
    chat_ids = [chats.create(username, title).id for title in ("Sales", "Returns")]
    with auth.engine.begin() as conn:
        conn.execute(
            sa.insert(conversation_turns),
            [
                {
                    "conversation_id": chat_id,
                    "kind": "question",
                    "question": f"q{n}",
                    "sql": "SELECT 1",
                    "payload": '{"rows": [["secret", 1]]}',
                    "created_at": clock.now,
                }
                for chat_id in chat_ids
                for n in range(3)
            ],
        )
    board = boards.create(username, "Mine")
    with auth.engine.begin() as conn:
        conn.execute(
            sa.insert(dashboard_tiles),
            [
                {
                    "dashboard_id": board.id,
                    "position": n,
                    "title": f"t{n}",
                    "question": "q",
                    "sql": "SELECT 1",
                    "chart": "{}",
                    "created_at": clock.now,
                }
                for n in range(2)
            ],
        )
    producer = Producer("demo", "model", None, "0123456789ab", "auto", None)
    runs = RunStore(auth.engine, clock=clock)
    run_ids = [
        runs.record_run(
            AnswerRun(username, "page", f"revenue of {username}?", "answered", producer)
        )
        for _ in range(3)
    ]
    feedback.thumbs_up(username, f"revenue of {username}?", "SELECT 1", run_id=run_ids[0])
    approved = feedback.propose(username, f"orders of {username}?", "SELECT 2")
    with auth.engine.begin() as conn:
        conn.execute(
            sa.update(example_proposals)
            .where(example_proposals.c.id == approved.id)
            .values(status=APPROVED, reviewed_by="boss")
        )
    auth.policies.add_row_filter("orders", "region_id = 1", username=username, by="boss")
    auth.login.attempt(username, "wrong-password-1", client="203.0.113.5")
    assert auth.login.attempt(username, GOOD_PASSWORD, client="203.0.113.5").ok
    auth.tokens.create(username, "ci")
    store = SessionStore(auth.engine, clock=clock)
    return [store.start(user.id)[0] for _ in range(2)]


@pytest.fixture
def people(auth: AuthServices, clock: ManualClock) -> dict[str, list[str]]:
    auth.users.create_user("boss", role="admin", password=GOOD_PASSWORD)
    tokens = {}
    for name in ("ana", "bob"):
        auth.users.create_user(name, role="analyst", password=GOOD_PASSWORD)
        tokens[name] = give_data(auth, clock, name)
    return tokens


def owned_rows(auth: AuthServices, username: str) -> dict[str, int]:
    """Rows naming `username` in every table keyed by user (sessions by the current id)."""
    by_name = {
        conversations: conversations.c.username,
        dashboards: dashboards.c.owner,
        example_proposals: example_proposals.c.proposed_by,
        answer_feedback: answer_feedback.c.username,
        login_attempts: login_attempts.c.username,
        lockouts: lockouts.c.username,
        row_filters: row_filters.c.username,
        answer_runs: answer_runs.c.username,
    }
    with auth.engine.connect() as conn:
        found = {
            table.name: int(
                conn.execute(sa.select(sa.func.count()).where(column == username)).scalar() or 0
            )
            for table, column in by_name.items()
        }
        found["audit_log (unmarked)"] = int(
            conn.execute(
                sa.select(sa.func.count()).where(
                    audit_log.c.username == username, audit_log.c.deleted_user_id.is_(None)
                )
            ).scalar()
            or 0
        )
    return found


def table_sizes(auth: AuthServices) -> dict[str, int]:
    tables = (
        conversations,
        conversation_turns,
        dashboards,
        dashboard_tiles,
        example_proposals,
        answer_feedback,
        sessions,
        api_tokens,
        login_attempts,
        row_filters,
        deleted_users,
    )
    with auth.engine.connect() as conn:
        return {
            t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar() or 0)
            for t in tables
        }


def test_the_counts_shown_before_deleting_are_what_the_user_owns(
    auth: AuthServices, people: dict[str, list[str]]
) -> None:
    counts = auth.users.data_counts("ana")
    assert list(counts) == list(KINDS)
    assert counts == {
        "conversations": 2,
        "turns": 6,
        "dashboards": 1,
        "tiles": 2,
        "proposals": 1,
        "examples_kept": 1,
        "feedback": 1,
        "sessions": 2,
        "api_tokens": 1,
        "login_attempts": 2,
        "row_filters": 1,
        "audit_rows": counts["audit_rows"],
        "runs_kept": 3,
    }
    assert counts["audit_rows"] >= 2  # the failed and the good login


def test_delete_removes_everything_and_a_new_account_of_the_name_sees_nothing(
    auth: AuthServices, people: dict[str, list[str]], clock: ManualClock
) -> None:
    bob_before = owned_rows(auth, "bob")
    removed = auth.users.delete("ana", by="boss")
    assert removed["conversations"] == 2 and removed["turns"] == 6
    clock.advance(minutes=1)
    new = auth.users.create_user("ana", role="admin", password=GOOD_PASSWORD).user
    # Nothing of the old account reaches the new one, through any store.
    assert ConversationStore(auth.engine).list_for("ana") == []
    assert DashboardStore(auth.engine).list_for("ana") == []
    assert all(
        p.proposed_by != "ana"
        for s in ("pending", "approved", "rejected")
        for p in FeedbackStore(auth.engine, index=NoIndex(), database="demo").proposals(s)
    )
    assert [f for f in auth.policies.row_filters() if f.username == "ana"] == []
    assert auth.users.data_counts("ana") == dict.fromkeys(KINDS, 0)
    assert owned_rows(auth, "ana") == dict.fromkeys(owned_rows(auth, "ana"), 0)
    store = SessionStore(auth.engine, clock=clock)
    assert [store.resolve(token) for token in people["ana"]] == [None, None]
    assert store.open_count(new.id) == 0
    assert auth.tokens.list_for("ana") == []
    # The old account's question records stay for the figures, with no name on them.
    with auth.engine.connect() as conn:
        kept = conn.execute(
            sa.select(answer_runs.c.username).where(answer_runs.c.question == "revenue of ana?")
        ).all()
    assert kept == [(None,)] * 3
    # Bob's data is untouched, his sessions still work.
    assert owned_rows(auth, "bob") == bob_before
    assert all(store.resolve(token) is not None for token in people["bob"])
    assert [t.name for t in auth.tokens.list_for("bob")] == ["ci"]


def test_audit_history_stays_marked_with_a_never_reused_deletion_id(
    auth: AuthServices, people: dict[str, list[str]]
) -> None:
    history = auth.audit.query(AuditFilter(username="ana"), limit=100).total
    auth.users.delete("ana", by="boss")
    auth.users.create_user("ana", role="analyst", password=GOOD_PASSWORD)
    assert auth.login.attempt("ana", GOOD_PASSWORD).ok
    auth.users.delete("ana", by="boss")
    with auth.engine.connect() as conn:
        marks = conn.execute(
            sa.select(audit_log.c.deleted_user_id, sa.func.count())
            .where(audit_log.c.username == "ana")
            .group_by(audit_log.c.deleted_user_id)
        ).all()
        tombstones = conn.execute(
            sa.select(deleted_users.c.id, deleted_users.c.username, deleted_users.c.deleted_by)
        ).all()
    first, second = sorted(row[0] for row in tombstones)
    assert first != second
    assert dict(marks) == {first: history, second: 1}  # the second account's one login
    assert {(row[1], row[2]) for row in tombstones} == {("ana", "boss")}


def test_an_approved_example_stays_for_everyone_without_the_users_name(
    auth: AuthServices, people: dict[str, list[str]]
) -> None:
    auth.users.delete("ana", by="boss")
    approved = FeedbackStore(auth.engine, index=NoIndex(), database="demo").proposals(APPROVED)
    kept = [p for p in approved if p.question == "orders of ana?"]
    assert len(kept) == 1 and kept[0].proposed_by.startswith("#deleted-")
    assert kept[0].reviewed_by == "boss"


BLOCKED = [
    "conversation_turns",
    "dashboards",
    "example_proposals",
    "sessions",
    "api_tokens",
    "users",
]


@pytest.fixture
def failing_table(
    request: pytest.FixtureRequest, auth: AuthServices, people: dict[str, list[str]]
) -> Iterator[str]:
    """A trigger that makes every DELETE on one table fail, dropped afterwards."""
    table = request.param
    mysql = auth.engine.dialect.name in {"mysql", "mariadb"}
    body = (
        "FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'blocked by the test'"
        if mysql
        else "BEGIN SELECT RAISE(ABORT, 'blocked by the test'); END"
    )
    with auth.engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TRIGGER kk_block_delete BEFORE DELETE ON {table} {body}")
    yield table
    with auth.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS kk_block_delete")


@pytest.mark.parametrize("failing_table", BLOCKED, indirect=True)
def test_a_failing_step_rolls_the_whole_deletion_back(
    auth: AuthServices, people: dict[str, list[str]], clock: ManualClock, failing_table: str
) -> None:
    before_rows, before_sizes = owned_rows(auth, "ana"), table_sizes(auth)
    counts = auth.users.data_counts("ana")
    with pytest.raises(UserDeleteFailed, match="nothing was changed"):
        auth.users.delete("ana", by="boss")
    assert auth.users.find_user("ana") is not None
    assert owned_rows(auth, "ana") == before_rows
    assert table_sizes(auth) == before_sizes
    assert auth.users.data_counts("ana") == counts
    store = SessionStore(auth.engine, clock=clock)
    assert all(store.resolve(token) is not None for token in people["ana"])
