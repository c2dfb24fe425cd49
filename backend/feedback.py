"""Feedback on answers and the review of example proposals; questions to suggest.

- Thumbs up on an answer proposes its question → SQL pair as an example (*pending*).
- Thumbs down (optionally with a comment) evicts the answer from the semantic cache (the
  caller's `forget`) and is kept in `answer_feedback` and the log.
- Either vote keeps the id of the answer's run record (`backend.monitoring`), when it has
  one, so the monitoring figures count it under the model and prompt that answered.
- An analyst or admin reviews proposals: *approve* (optionally editing the question or the
  SQL; the SQL must pass the guard and run first) indexes the example in Qdrant for
  retrieval; *reject* never indexes it; *remove* takes an approved example back out of
  Qdrant and marks it rejected. Only approved examples are ever indexed.

Tables `example_proposals` and `answer_feedback` are in `appdb.tables`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal, Protocol

import sqlalchemy as sa

from appdb.clock import Clock, utc_now
from appdb.schema import TEXT_LIMIT
from appdb.tables import answer_feedback, example_proposals
from backend.charts.names import in_sentence
from backend.domain import Actor, Answer, Example, TableDoc
from backend.errors import KeskinubeError, SqlRejected
from backend.i18n import Translator
from backend.i18n.message import Message
from backend.sql_guard import check_sql

log = logging.getLogger(__name__)

Status = Literal["pending", "approved", "rejected"]
# Final, so each keeps its literal type and passes as a `Status`.
PENDING: Final = "pending"
APPROVED: Final = "approved"
REJECTED: Final = "rejected"
# A status inside a sentence, in the reader's language ('already approved' / 'ya aprobado').
_STATUS_WORDS: dict[str, Message] = {
    PENDING: Message.of("engine.feedback.status.pending"),
    APPROVED: Message.of("engine.feedback.status.approved"),
    REJECTED: Message.of("engine.feedback.status.rejected"),
}
# Who may review (approve, reject, remove, add): an approved example reaches every role's
# prompt, so reviewing is an admin's job; a new reviewer role would be added here. Spelt
# as `auth.roles.ADMIN` is (the core sits below auth; a test keeps them in step).
REVIEWER_ROLES: frozenset[str] = frozenset({"admin"})
SqlCheck = Callable[[str], Answer]
"""Runs SQL through the guard for the reviewer (e.g. `Engine.run_sql` bound to an actor)."""


class ExampleIndex(Protocol):
    """Where approved examples go (`vectorstore.store.QdrantSchemaStore`)."""

    def index_examples(
        self, database: str, examples: Sequence[Example], *, replace: bool = False
    ) -> Any: ...

    def remove_example(self, database: str, example: Example) -> None: ...


class ProposalError(KeskinubeError):
    """A proposal can't be made, found or reviewed; the message says why."""


class ReviewRefused(ProposalError):
    """The actor may not review this proposal: not a reviewer, or it is their own."""


def can_review(actor: Actor) -> bool:
    """Whether `actor` may review proposals (approve, reject, remove, add examples)."""
    return isinstance(actor, Actor) and actor.role in REVIEWER_ROLES


@dataclass(frozen=True)
class Proposal:
    """A question → SQL pair proposed as an example, and where its review stands."""

    id: int
    database: str
    question: str
    proposed_sql: str
    sql: str
    status: Status
    proposed_by: str
    proposed_at: datetime
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None

    @property
    def example(self) -> Example:
        return Example(question=self.question, sql=self.sql)


class FeedbackStore:
    """Thumbs up/down and example review for one business database."""

    def __init__(
        self, engine: sa.Engine, *, index: ExampleIndex, database: str, clock: Clock = utc_now
    ) -> None:
        self.engine, self.index, self.database, self.clock = engine, index, database, clock

    # -- thumbs --------------------------------------------------------------------------

    def thumbs_up(
        self, username: str, question: str, sql: str, *, run_id: int | None = None
    ) -> Proposal:
        """Record the vote and propose the pair (the same pending pair is proposed once);
        `run_id`: the answer's run record, when it has one."""
        self._record(username, "up", question, sql, None, run_id)
        return self.propose(username, question, sql)

    def thumbs_down(
        self,
        actor: Actor,
        question: str,
        sql: str | None,
        comment: str = "",
        *,
        forget: Callable[[str, Actor], None],
        run_id: int | None = None,
    ) -> None:
        """Never serve this answer from the cache again; keep the comment for review."""
        forget(question, actor)
        self._record(actor.username, "down", question, sql, comment.strip() or None, run_id)
        log.info("thumbs down from %s on %r: %s", actor.username, question, comment or "-")

    def votes(self, *, limit: int = 100) -> list[dict[str, Any]]:
        """The latest votes, newest first (for admins and tests)."""
        query = (
            sa.select(answer_feedback)
            .order_by(answer_feedback.c.at.desc(), answer_feedback.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    # -- proposals -----------------------------------------------------------------------

    def propose(self, username: str, question: str, sql: str) -> Proposal:
        question, sql = _required(question, "question"), _required(sql, "sql")
        same = self._where(
            example_proposals.c.question == question,
            example_proposals.c.proposed_sql == sql,
            example_proposals.c.status.in_([PENDING, APPROVED]),
        )
        with self.engine.begin() as conn:
            existing = conn.execute(same).mappings().first()
            if existing is not None:
                return _to_proposal(existing)
            values = {
                "database": self.database,
                "question": question,
                "proposed_sql": sql,
                "sql": sql,
                "status": PENDING,
                "proposed_by": username,
                "proposed_at": self.clock(),
            }
            new_id = conn.execute(sa.insert(example_proposals).values(**values))
            inserted = new_id.inserted_primary_key
            assert inserted is not None  # a single-row INSERT always reports its key
            return self._get(conn, int(inserted[0]))

    def proposals(self, status: Status) -> list[Proposal]:
        """This database's proposals in `status`, oldest first (for the system: retrieval,
        suggestions; a page lists `visible_to` its reader)."""
        query = self._where(example_proposals.c.status == status).order_by(example_proposals.c.id)
        with self.engine.connect() as conn:
            return [_to_proposal(row) for row in conn.execute(query).mappings()]

    def visible_to(self, viewer: Actor, status: Status) -> list[Proposal]:
        """The proposals in `status` that `viewer` may see: all of them for a reviewer,
        else only the viewer's own (a proposal's SQL names what its author can read)."""
        mine = [] if can_review(viewer) else [example_proposals.c.proposed_by == viewer.username]
        query = self._where(example_proposals.c.status == status, *mine).order_by(
            example_proposals.c.id
        )
        with self.engine.connect() as conn:
            return [_to_proposal(row) for row in conn.execute(query).mappings()]

    def get(self, proposal_id: int) -> Proposal:
        with self.engine.connect() as conn:
            return self._get(conn, proposal_id)

    def approve(
        self,
        proposal_id: int,
        reviewer: Actor,
        *,
        check: SqlCheck,
        sql: str | None = None,
        question: str | None = None,
    ) -> Proposal:
        """Check the (edited) SQL with `check`, then index the example and mark it approved.

        Only a reviewer (`REVIEWER_ROLES`) may approve, and never their own proposal: an
        admin's proposal waits for another admin (a lone admin adds examples directly,
        `add_example`, recorded as their own work).
        """
        current = self.get(proposal_id)
        _require_reviewer(reviewer, "approve")
        _require_not_own(current, reviewer)
        _require_status(current, PENDING, "approve")
        final_sql = _required(sql if sql is not None else current.sql, "sql")
        final_question = _required(
            question if question is not None else current.question, "question"
        )
        answer = check(final_sql)
        if not answer.ok:
            reason = answer.error_message or answer.error or ""
            raise SqlRejected(Message.of("engine.feedback.sql_fails", reason=reason))
        with self._reviewing(proposal_id, PENDING, "approve") as conn:
            conn.execute(
                self._review(proposal_id, APPROVED, reviewer.username).values(
                    sql=final_sql, question=final_question
                )
            )
            # Inside the transaction: if Qdrant fails, the proposal stays pending.
            self.index.index_examples(self.database, [Example(final_question, final_sql)])
        return self.get(proposal_id)

    def reject(self, proposal_id: int, reviewer: Actor) -> Proposal:
        """Mark a pending proposal rejected (a reviewer's; rejecting one's own is allowed:
        it only ever keeps an example out)."""
        _require_reviewer(reviewer, "reject")
        with self._reviewing(proposal_id, PENDING, "reject") as conn:
            conn.execute(self._review(proposal_id, REJECTED, reviewer.username))
        return self.get(proposal_id)

    def remove(self, proposal_id: int, reviewer: Actor) -> Proposal:
        """Take an approved example out of retrieval (it is marked rejected)."""
        _require_reviewer(reviewer, "remove")
        with self._reviewing(proposal_id, APPROVED, "remove") as conn:
            approved = self._get(conn, proposal_id)
            conn.execute(self._review(proposal_id, REJECTED, reviewer.username))
            self.index.remove_example(self.database, approved.example)
        return self.get(proposal_id)

    def add_example(self, author: Actor, question: str, sql: str, *, check: SqlCheck) -> Proposal:
        """A reviewer's own example, approved at once and recorded as theirs
        (`proposed_by` = `reviewed_by` = the author): no proposal of anyone else's is
        approved under their name. The SQL must pass `check`, as for an approval."""
        _require_reviewer(author, "add")
        question, sql = _required(question, "question"), _required(sql, "sql")
        answer = check(sql)
        if not answer.ok:
            reason = answer.error_message or answer.error or ""
            raise SqlRejected(Message.of("engine.feedback.sql_fails", reason=reason))
        now = self.clock()
        values = {
            "database": self.database,
            "question": question,
            "proposed_sql": sql,
            "sql": sql,
            "status": APPROVED,
            "proposed_by": author.username,
            "proposed_at": now,
            "reviewed_by": author.username,
            "reviewed_at": now,
        }
        with self.engine.begin() as conn:
            new_id = conn.execute(sa.insert(example_proposals).values(**values))
            # Inside the transaction: if Qdrant fails, nothing is recorded.
            self.index.index_examples(self.database, [Example(question, sql)])
            inserted = new_id.inserted_primary_key
            assert inserted is not None  # a single-row INSERT always reports its key
            return self._get(conn, int(inserted[0]))

    # -- helpers -------------------------------------------------------------------------

    def _where(self, *conditions: sa.ColumnElement[bool]) -> sa.Select[Any]:
        return sa.select(example_proposals).where(
            example_proposals.c.database == self.database, *conditions
        )

    def _get(self, conn: sa.Connection, proposal_id: int) -> Proposal:
        row = conn.execute(self._where(example_proposals.c.id == proposal_id)).mappings().first()
        if row is None:
            raise ProposalError(Message.of("engine.feedback.proposal_gone"))
        return _to_proposal(row)

    def _review(self, proposal_id: int, status: Status, reviewer: str) -> sa.Update:
        return (
            sa.update(example_proposals)
            .where(example_proposals.c.id == proposal_id)
            .values(status=status, reviewed_by=reviewer, reviewed_at=self.clock())
        )

    @contextmanager
    def _reviewing(
        self, proposal_id: int, expected: Status, action: str
    ) -> Iterator[sa.Connection]:
        """A transaction in which the proposal is still in `expected` status."""
        with self.engine.begin() as conn:
            _require_status(self._get(conn, proposal_id), expected, action)
            yield conn

    def _record(
        self,
        username: str,
        rating: str,
        question: str,
        sql: str | None,
        comment: str | None,
        run_id: int | None,
    ) -> None:
        values = {
            "at": self.clock(),
            "username": username,
            "rating": rating,
            "question": _clip(question) or "",
            "sql": _clip(sql),
            "comment": _clip(comment),
            "run_id": run_id,
        }
        with self.engine.begin() as conn:
            conn.execute(sa.insert(answer_feedback).values(**values))


def _require_reviewer(actor: Actor, action: str) -> None:
    if not can_review(actor):
        name = getattr(actor, "username", actor)
        log.warning("example %s refused: %r is not a reviewer", action, name)
        raise ReviewRefused(Message.of("engine.feedback.not_reviewer"))


def _require_not_own(proposal: Proposal, reviewer: Actor) -> None:
    if proposal.proposed_by.strip().casefold() == reviewer.username.strip().casefold():
        log.warning("self-approval refused: %s, proposal %s", reviewer.username, proposal.id)
        raise ReviewRefused(Message.of("engine.feedback.own_proposal"))


def _require_status(proposal: Proposal, expected: Status, action: str) -> None:
    if proposal.status != expected:
        raise ProposalError(
            Message.of(f"engine.feedback.cannot_{action}", status=_STATUS_WORDS[proposal.status])
        )


def _to_proposal(row: sa.RowMapping) -> Proposal:
    return Proposal(**{field: row[field] for field in Proposal.__dataclass_fields__})


def _required(text: str, what: Literal["sql", "question"]) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise ProposalError(Message.of(f"engine.feedback.{what}_required"))
    if len(cleaned) > TEXT_LIMIT:
        raise ProposalError(Message.of(f"engine.feedback.{what}_too_long"))
    return cleaned


def _clip(text: str | None) -> str | None:
    return text if text is None or len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


# -- questions to suggest to a new user ----------------------------------------------------

_TEXT_TYPE = re.compile(r"char|text|string|enum", re.IGNORECASE)
_DATE_TYPE = re.compile(r"date|time", re.IGNORECASE)
_NUMBER_TYPE = re.compile(r"dec|num|float|double|real|money", re.IGNORECASE)
_NOT_CATEGORY = re.compile(r"(^|_)(name|email|phone|address|description|comment|notes?|url)$")


def suggested_questions(
    tables: Sequence[TableDoc],
    examples: Sequence[Example] = (),
    *,
    actor: Actor | None = None,
    dialect: str = "sqlite",
    count: int = 3,
    language: str | None = "en",
) -> list[str]:
    """Up to `count` questions a new user could ask, deterministic for the same input.

    Reviewed examples come first, in order, when their SQL passes the guard for `actor`;
    then questions made from the visible tables' names and columns, one table at a time
    (largest first), so any connected schema gets sensible suggestions. Those are written
    in `language` ('¿Cuántos registros de orders hay?'); examples stay as reviewed.
    """
    schema = {t.name: list(t.column_names) for t in tables}
    picked: list[str] = []
    for example in examples:
        fresh = len(picked) < count and example.question not in picked
        if fresh and _passes_guard(example.sql, schema, actor, dialect):
            picked.append(example.question)
    for question in _schema_questions(tables, actor, Translator(language)):
        if len(picked) < count and question not in picked:
            picked.append(question)
    return picked


def _passes_guard(
    sql: str, schema: dict[str, list[str]], actor: Actor | None, dialect: str
) -> bool:
    try:
        if actor is None:
            check_sql(sql, schema=schema, dialect=dialect, row_limit=1000)
        else:
            check_sql(
                sql,
                schema=schema,
                dialect=dialect,
                row_limit=1000,
                policy=actor.policy,
                user_attributes=dict(actor.attributes),
            )
    except SqlRejected:
        return False
    return True


def _schema_questions(
    tables: Sequence[TableDoc], actor: Actor | None, tr: Translator
) -> Iterator[str]:
    """Round robin over the visible tables: each table's best question first."""
    visible = [t for t in tables if actor is None or actor.policy.allows_table(t.name)]
    visible.sort(key=lambda t: (-(t.row_estimate or 0), t.name))
    per_table = [list(_table_questions(t, actor, tr)) for t in visible]
    for rank in range(max((len(q) for q in per_table), default=0)):
        for questions in per_table:
            if rank < len(questions):
                yield questions[rank]


def _table_questions(table: TableDoc, actor: Actor | None, tr: Translator) -> Iterator[str]:
    noun = table.name.replace("_", " ").strip()
    allowed = [
        c for c in table.columns if actor is None or actor.policy.allows_column(table.name, c.name)
    ]
    keys = [
        c
        for c in allowed
        if c.primary_key or c.name.lower() == "id" or c.name.lower().endswith("_id")
    ]
    plain = [c for c in allowed if c not in keys]
    dates = [c for c in plain if _DATE_TYPE.search(c.type)]
    categories = [
        c
        for c in plain
        if _TEXT_TYPE.search(c.type)
        and not _NOT_CATEGORY.search(c.name.lower())
        and len(c.sample_values) >= 2
    ]
    measures = [c for c in plain if _NUMBER_TYPE.search(c.type)]
    if dates:
        yield tr("engine.suggest.per_month", table=noun)
    if categories:
        per = in_sentence(categories[0].name, tr.language)
        if measures:
            yield tr(
                "engine.suggest.total_per",
                measure=in_sentence(measures[0].name, tr.language),
                per=per,
            )
        yield tr("engine.suggest.count_per", table=noun, per=per)
    yield tr("engine.suggest.count", table=noun)
