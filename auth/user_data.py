"""Everything the app database keeps about one user, counted and removed in one transaction.

Rows name their user by username (conversations, dashboards, proposals, feedback, login
attempts, locks, row filters, audit) or by id (sessions, API tokens). A new account may take
a deleted one's username, so deleting a user removes all of it — nothing is left for the
new account to inherit — except what is history or shared:

* audit rows keep their username text (what happened, and who did it) and are stamped with
  the never-reused id of a `deleted_users` row, which separates them from a later account
  of the same name;
* an approved example serves every role's prompts: it stays, with `proposed_by` replaced by
  `#deleted-<that id>` (no username can start with `#`); pending and rejected proposals go;
* the run records of their questions (`answer_runs`) feed the monitoring figures, which
  must not change when someone leaves: they stay, with no username (the question's text
  stays too, as in the audit log).

`delete_user_data` runs inside the caller's transaction (`UserStore.delete`), so a failure
anywhere rolls every step back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
    users,
)
from backend.feedback import APPROVED

# What the admin page lists, in this order (catalogue keys admin.users.delete.item.<kind>);
# lockouts go with login attempts but are not listed.
KINDS = (
    "conversations",
    "turns",
    "dashboards",
    "tiles",
    "proposals",
    "examples_kept",
    "feedback",
    "sessions",
    "api_tokens",
    "login_attempts",
    "row_filters",
    "audit_rows",
    "runs_kept",
)
# Kept, no longer linked to the account (updated, not deleted).
KEPT = frozenset({"examples_kept", "audit_rows", "runs_kept"})
# Deleted in this order (children first).
_DELETED = (
    "turns",
    "conversations",
    "tiles",
    "dashboards",
    "proposals",
    "feedback",
    "sessions",
    "api_tokens",
    "login_attempts",
    "lockouts",
    "row_filters",
)


@dataclass(frozen=True)
class Owner:
    """Whose data: the account's id and username."""

    user_id: int
    username: str


def _conversation_ids(owner: Owner) -> sa.Select[tuple[int]]:
    return sa.select(conversations.c.id).where(conversations.c.username == owner.username)


def _dashboard_ids(owner: Owner) -> sa.Select[tuple[int]]:
    return sa.select(dashboards.c.id).where(dashboards.c.owner == owner.username)


def _own_proposals(owner: Owner, *, approved: bool) -> sa.ColumnElement[bool]:
    status = example_proposals.c.status
    return sa.and_(
        example_proposals.c.proposed_by == owner.username,
        status == APPROVED if approved else status != APPROVED,
    )


def _where(owner: Owner) -> dict[str, tuple[sa.Table, sa.ColumnElement[bool]]]:
    """Each kind's table and the condition that selects the owner's rows in it."""
    return {
        "turns": (
            conversation_turns,
            conversation_turns.c.conversation_id.in_(_conversation_ids(owner)),
        ),
        "conversations": (conversations, conversations.c.username == owner.username),
        "tiles": (dashboard_tiles, dashboard_tiles.c.dashboard_id.in_(_dashboard_ids(owner))),
        "dashboards": (dashboards, dashboards.c.owner == owner.username),
        "proposals": (example_proposals, _own_proposals(owner, approved=False)),
        "examples_kept": (example_proposals, _own_proposals(owner, approved=True)),
        "feedback": (answer_feedback, answer_feedback.c.username == owner.username),
        "sessions": (sessions, sessions.c.user_id == owner.user_id),
        "api_tokens": (api_tokens, api_tokens.c.user_id == owner.user_id),
        "login_attempts": (login_attempts, login_attempts.c.username == owner.username),
        "lockouts": (lockouts, lockouts.c.username == owner.username),
        "row_filters": (row_filters, row_filters.c.username == owner.username),
        "audit_rows": (
            audit_log,
            sa.and_(audit_log.c.username == owner.username, audit_log.c.deleted_user_id.is_(None)),
        ),
        "runs_kept": (answer_runs, answer_runs.c.username == owner.username),
    }


def count_user_data(conn: sa.Connection, owner: Owner) -> dict[str, int]:
    """How many rows of each kind (`KINDS`) belong to `owner`."""
    where = _where(owner)
    counts: dict[str, int] = {}
    for kind in KINDS:
        table, condition = where[kind]
        query = sa.select(sa.func.count()).select_from(table).where(condition)
        counts[kind] = int(conn.execute(query).scalar() or 0)
    return counts


def delete_user_data(
    conn: sa.Connection, owner: Owner, *, at: datetime, by: str | None = None
) -> dict[str, int]:
    """Delete `owner`'s account and data in the caller's transaction; returns the counts.

    Children go before their parents (turns, then conversations) so that the steps work
    the same with or without foreign keys. Raises whatever a step raises: the caller's
    transaction then rolls everything back.
    """
    counts = count_user_data(conn, owner)
    where = _where(owner)
    tombstone = conn.execute(
        sa.insert(deleted_users).values(
            user_id=owner.user_id, username=owner.username, deleted_at=at, deleted_by=by
        )
    ).inserted_primary_key
    assert tombstone is not None  # a single-row INSERT always reports its key
    deleted_id = int(tombstone[0])
    table, condition = where["audit_rows"]
    conn.execute(sa.update(table).where(condition).values(deleted_user_id=deleted_id))
    table, condition = where["examples_kept"]
    conn.execute(sa.update(table).where(condition).values(proposed_by=f"#deleted-{deleted_id}"))
    table, condition = where["runs_kept"]
    conn.execute(sa.update(table).where(condition).values(username=None))
    for kind in _DELETED:
        table, condition = where[kind]
        conn.execute(sa.delete(table).where(condition))
    conn.execute(sa.delete(users).where(users.c.id == owner.user_id))
    return counts
