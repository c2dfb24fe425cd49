"""Chat history: each user's conversations and every answer in them, in the app database.

Tables `conversations` and `conversation_turns` are in `appdb.tables` with the rest of
the app database (SQLite by default, MySQL/MariaDB in compose); `appdb.migrate` creates
them. Rows keep the username (as `audit_log` does) rather than a foreign key, so history
survives nothing but its owner's own delete.

A turn stores enough to redraw the answer after a logout or a restart without running the
SQL again: the question, the SQL as written (model or user) and as run, the attempts,
timings, the result rows (at most the row limit) with their dtypes, the chart spec, the
summary, the access rules that shaped the result, and the error as a catalogue message
(shown in the reader's language when the turn is reopened). Every read and write takes the
username: one user never sees another's history.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa

from appdb.clock import Clock, utc_now
from appdb.schema import TEXT_LIMIT
from appdb.tables import CONVERSATION_TITLE_LENGTH, conversation_turns, conversations
from backend.charts import ChartSpec
from backend.charts.spec import spec_from_json, spec_to_json
from backend.domain import Answer, AppliedRule, Attempt, QueryResult, Turn
from backend.errors import KeskinubeError
from backend.frame_json import decode_frame, encode_frame
from backend.i18n.message import Message
from backend.sources.model import MAIN

TurnKind = Literal["question", "sql"]
TITLE_LENGTH = CONVERSATION_TITLE_LENGTH
DEFAULT_TITLE = "New conversation"
HISTORY_TURNS = 5  # earlier turns given to the model for a follow-up


class ConversationNotFound(KeskinubeError):
    """No conversation (or turn) with that id belongs to this user."""


@dataclass(frozen=True)
class Conversation:
    """One conversation's header; times are naive UTC."""

    id: int
    username: str
    title: str
    created_at: datetime
    updated_at: datetime
    # The data source its questions were asked of (`backend.sources`).
    source: str = MAIN


@dataclass(frozen=True, eq=False)
class ChatTurn:
    """One question (or hand-written SQL) and its answer, as stored."""

    id: int
    conversation_id: int
    kind: TurnKind
    answer: Answer
    written_sql: str | None
    chart: ChartSpec | None
    summary: str
    created_at: datetime
    # The question's run record (`backend.monitoring`), which its votes refer to; None for
    # SQL written by hand and for turns older than run records.
    run_id: int | None = None

    @property
    def question(self) -> str:
        return self.answer.question


def written_sql(answer: Answer) -> str | None:
    """The SQL the model wrote for `answer`, before the guard capped and rewrote it.

    This is what gets re-run (edited, exported, pinned, proposed as an example): the
    guard's output carries the page's row cap and the asker's row filters.
    """
    if answer.model_sql:
        return answer.model_sql  # chosen by a vote: not necessarily the last that worked
    ok = [attempt.sql for attempt in answer.attempts if attempt.stage == "ok" and attempt.sql]
    return ok[-1] if ok else answer.sql


class ConversationStore:
    """Create, list, rename and delete conversations; append and read their turns."""

    def __init__(self, engine: sa.Engine, *, clock: Clock = utc_now) -> None:
        self.engine = engine
        self.clock = clock

    # -- conversations -----------------------------------------------------------------

    def create(
        self, username: str, title: str = DEFAULT_TITLE, *, source: str = MAIN
    ) -> Conversation:
        now = self.clock()
        values = {"username": username, "title": _title(title), "created_at": now}
        values["source"] = source
        with self.engine.begin() as conn:
            inserted = conn.execute(
                sa.insert(conversations).values(**values, updated_at=now)
            ).inserted_primary_key
            assert inserted is not None  # a single-row INSERT always reports its key
            return self._get(conn, username, int(inserted[0]))

    def list_for(self, username: str, *, source: str | None = None) -> list[Conversation]:
        """The user's conversations (on `source` only, when given), most recently used
        first."""
        query = (
            sa.select(conversations)
            .where(conversations.c.username == username)
            .order_by(conversations.c.updated_at.desc(), conversations.c.id.desc())
        )
        if source is not None:
            query = query.where(conversations.c.source == source)
        with self.engine.connect() as conn:
            return [_to_conversation(row) for row in conn.execute(query).mappings()]

    def get(self, username: str, conversation_id: int) -> Conversation:
        with self.engine.connect() as conn:
            return self._get(conn, username, conversation_id)

    def rename(self, username: str, conversation_id: int, title: str) -> Conversation:
        with self.engine.begin() as conn:
            self._get(conn, username, conversation_id)
            conn.execute(
                sa.update(conversations)
                .where(conversations.c.id == conversation_id)
                .values(title=_title(title))
            )
            return self._get(conn, username, conversation_id)

    def delete(self, username: str, conversation_id: int) -> None:
        """Delete the conversation and every turn in it."""
        with self.engine.begin() as conn:
            self._get(conn, username, conversation_id)
            conn.execute(
                sa.delete(conversation_turns).where(
                    conversation_turns.c.conversation_id == conversation_id
                )
            )
            conn.execute(sa.delete(conversations).where(conversations.c.id == conversation_id))

    # -- turns -------------------------------------------------------------------------

    def append(
        self,
        username: str,
        conversation_id: int,
        answer: Answer,
        *,
        kind: TurnKind = "question",
        written: str | None = None,
        chart: ChartSpec | None = None,
        summary: str = "",
        run_id: int | None = None,
    ) -> ChatTurn:
        """Store one answer; the first question also names a still-untitled conversation.
        `run_id`: the question's run record, kept for the votes on this turn."""
        now = self.clock()
        values = {
            "conversation_id": conversation_id,
            "kind": kind,
            "question": _clip(answer.question),
            "written_sql": _clip(written if written is not None else written_sql(answer)),
            "sql": _clip(answer.sql),
            "error": _clip(answer.error),
            "payload": json.dumps(
                {**_payload(answer, chart, summary), "run_id": run_id}, allow_nan=False
            ),
            "created_at": now,
        }
        with self.engine.begin() as conn:
            conversation = self._get(conn, username, conversation_id)
            changes: dict[str, Any] = {"updated_at": now}
            if conversation.title == DEFAULT_TITLE and answer.question.strip():
                changes["title"] = _title(answer.question)
            conn.execute(
                sa.update(conversations)
                .where(conversations.c.id == conversation_id)
                .values(**changes)
            )
            new_id = conn.execute(sa.insert(conversation_turns).values(**values))
            inserted = new_id.inserted_primary_key
            assert inserted is not None  # a single-row INSERT always reports its key
            turn_id = int(inserted[0])
        return self.turn(username, turn_id)

    def turns(self, username: str, conversation_id: int) -> list[ChatTurn]:
        """Every turn of the conversation, oldest first."""
        query = (
            sa.select(conversation_turns)
            .where(conversation_turns.c.conversation_id == conversation_id)
            .order_by(conversation_turns.c.id)
        )
        with self.engine.connect() as conn:
            self._get(conn, username, conversation_id)
            return [_to_turn(row) for row in conn.execute(query).mappings()]

    def turn(self, username: str, turn_id: int) -> ChatTurn:
        query = (
            sa.select(conversation_turns)
            .join(conversations, conversations.c.id == conversation_turns.c.conversation_id)
            .where(conversation_turns.c.id == turn_id, conversations.c.username == username)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        if row is None:
            raise ConversationNotFound(Message.of("engine.conversations.answer_gone"))
        return _to_turn(row)

    def set_chart(self, username: str, turn_id: int, chart: ChartSpec, summary: str) -> None:
        """Keep the chart the user switched to (and its sentence) for the next visit."""
        current = self.turn(username, turn_id)
        with self.engine.begin() as conn:
            row = conn.execute(
                sa.select(conversation_turns.c.payload).where(conversation_turns.c.id == turn_id)
            ).scalar_one()
            payload = json.loads(row)
            payload["chart"], payload["summary"] = spec_to_json(chart), summary
            conn.execute(
                sa.update(conversation_turns)
                .where(conversation_turns.c.id == current.id)
                .values(payload=json.dumps(payload, allow_nan=False))
            )

    def history(
        self, username: str, conversation_id: int, *, limit: int = HISTORY_TURNS
    ) -> list[Turn]:
        """The last `limit` questions with the SQL that answered them, for follow-ups."""
        turns = [t for t in self.turns(username, conversation_id) if t.question.strip()]
        return [
            Turn(t.question, t.written_sql if t.answer.error is None else None)
            for t in turns[-limit:]
        ]

    def _get(self, conn: sa.Connection, username: str, conversation_id: int) -> Conversation:
        row = (
            conn.execute(
                sa.select(conversations).where(
                    conversations.c.id == conversation_id,
                    conversations.c.username == username,
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            raise ConversationNotFound(Message.of("engine.conversations.gone"))
        return _to_conversation(row)


# -- (de)serialisation -------------------------------------------------------------------


def _payload(answer: Answer, chart: ChartSpec | None, summary: str) -> dict[str, Any]:
    result = answer.result
    return {
        "result": None
        if result is None
        else {
            "frame": encode_frame(result.frame),
            "truncated": result.truncated,
            "elapsed_s": result.elapsed_s,
        },
        "chart": spec_to_json(chart),
        "summary": summary,
        "attempts": [asdict(attempt) for attempt in answer.attempts],
        "timings": {key: round(value, 4) for key, value in answer.timings.items()},
        "cached": answer.cached,
        "agreement": None if answer.agreement is None else list(answer.agreement),
        "model_sql": answer.model_sql,
        "prompt_tokens": answer.prompt_tokens,
        "completion_tokens": answer.completion_tokens,
        # The error as a catalogue message, so a reopened answer reads in today's language.
        "error_message": None if answer.error_message is None else answer.error_message.to_dict(),
        # The access rules that shaped the result, so the reopened answer still says so.
        "rules": [asdict(rule) for rule in answer.rules],
    }


def _agreement(stored: object) -> tuple[int, int] | None:
    if isinstance(stored, list) and len(stored) == 2:
        return (int(stored[0]), int(stored[1]))
    return None


def _to_turn(row: sa.RowMapping) -> ChatTurn:
    payload = json.loads(row["payload"])
    stored = payload.get("result")
    result = None
    if stored is not None:
        frame = decode_frame(stored["frame"])
        result = QueryResult(frame, bool(stored["truncated"]), float(stored["elapsed_s"]))
    answer = Answer(
        question=row["question"],
        sql=row["sql"],
        result=result,
        attempts=tuple(Attempt(**attempt) for attempt in payload.get("attempts", [])),
        timings=dict(payload.get("timings", {})),
        prompt_tokens=int(payload.get("prompt_tokens", 0)),
        completion_tokens=int(payload.get("completion_tokens", 0)),
        cached=bool(payload.get("cached", False)),
        agreement=_agreement(payload.get("agreement")),
        model_sql=payload.get("model_sql"),
        error=row["error"],
        error_message=_message(payload.get("error_message")),
        rules=_rules(payload.get("rules")),
    )
    return ChatTurn(
        id=int(row["id"]),
        conversation_id=int(row["conversation_id"]),
        kind="sql" if row["kind"] == "sql" else "question",
        answer=answer,
        written_sql=row["written_sql"],
        chart=spec_from_json(payload.get("chart")),
        summary=str(payload.get("summary", "")),
        created_at=row["created_at"],
        run_id=payload["run_id"] if isinstance(payload.get("run_id"), int) else None,
    )


def _message(data: object) -> Message | None:
    """A stored catalogue message; None for older turns, or anything unreadable."""
    if not isinstance(data, dict) or not isinstance(data.get("key"), str):
        return None
    try:
        return Message.from_dict(data)
    except (KeyError, TypeError, ValueError):
        return None


def _rules(data: object) -> tuple[AppliedRule, ...]:
    """Stored access rules; none for older turns, or anything unreadable."""
    if not isinstance(data, list):
        return ()
    rules = []
    for item in data:
        if isinstance(item, dict) and isinstance(item.get("table"), str):
            condition, description = item.get("condition"), item.get("description")
            rules.append(
                AppliedRule(
                    table=item["table"],
                    condition=condition if isinstance(condition, str) else None,
                    hidden_columns=tuple(str(c) for c in item.get("hidden_columns") or ()),
                    description=description if isinstance(description, str) else None,
                )
            )
    return tuple(rules)


def _to_conversation(row: sa.RowMapping) -> Conversation:
    return Conversation(
        id=int(row["id"]),
        username=row["username"],
        title=row["title"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        source=row["source"],
    )


def _title(text: str) -> str:
    cleaned = re.sub(r"\s+", " ", text).strip()
    if not cleaned:
        raise KeskinubeError(Message.of("engine.conversations.name_required"))
    return cleaned if len(cleaned) <= TITLE_LENGTH else cleaned[: TITLE_LENGTH - 1] + "…"


def _clip(text: str | None) -> str | None:
    if text is None or len(text) <= TEXT_LIMIT:
        return text
    return text[: TEXT_LIMIT - 1] + "…"
