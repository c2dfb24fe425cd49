"""One path from a question (or SQL) to a kept answer, for every door into the product.

The chat page, the CLI, the HTTP API and the MCP endpoint all answer through
`AnswerService`, so each answer goes through the same steps in the same order: the engine
(retrieve, write, check, run) → the chart → the sentence that sums it up → the plain-words
explanation of the SQL → the audit record (every try that reached the database, with the
door it came through) → for a question, the record of what produced the answer
(`backend.monitoring`) → the conversation store. None of the doors repeats a step.

An audit write that fails is handled here and only here: logged with its stack trace and
returned as `Reply.audit_warning` for the door to show; the answer itself is never lost.
A run record that cannot be written is only logged: it feeds the admin's figures, and the
asker could do nothing about it.
Storing the turn is different: a conversation the user cannot open again is an error the
door must report (`KeskinubeError` from the store), not a warning.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import IO, Literal, Protocol, get_args

from backend.charts import ChartSpec, chart_for
from backend.conversations import (
    ChatTurn,
    ConversationNotFound,
    ConversationStore,
    TurnKind,
    written_sql,
)
from backend.domain import Actor, Answer, Retrieval
from backend.explain import explain_sql
from backend.export import export_csv_to
from backend.i18n.message import Message
from backend.monitoring.runs import ModelVersion, RunLog, answer_run, producer_of
from backend.pipeline import Engine
from backend.sources.model import MAIN, UnknownSource
from backend.summary import summarise

log = logging.getLogger(__name__)

# The doors an answer comes through, recorded with each audited run.
Source = Literal["page", "cli", "api", "mcp", "tile", "export", "review"]
SOURCES: tuple[Source, ...] = get_args(Source)

StepListener = Callable[[str], None]


class AuditTrail(Protocol):
    """Where answers are recorded (`auth.audit.AuditLog`)."""

    def record_answer(
        self, username: str, answer: Answer, *, source: str, data_source: str
    ) -> None: ...


@dataclass(frozen=True)
class Reply:
    """An answer with everything a door shows beside it.

    `summary` is written in the language asked for; `explanation` is a catalogue message
    (the door renders it in its reader's language). `conversation_id` is set when the
    answer was stored, `turn` is the stored turn; `run_id` is the question's run record
    (`backend.monitoring`), which a thumbs up or down refers to.
    """

    answer: Answer
    chart: ChartSpec | None = None
    summary: str = ""
    explanation: Message | None = None
    conversation_id: int | None = None
    turn: ChatTurn | None = None
    audit_warning: Message | None = None
    run_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.answer.ok


class AnswerService:
    """Ask, run own SQL, re-run a pinned query, export — audited and stored the same way."""

    def __init__(
        self,
        engine: Engine,
        audit: AuditTrail,
        conversations: ConversationStore | None = None,
        *,
        currency: str = "",
        export_row_limit: int = 100_000,
        export_max_bytes: int | None = None,
        runs: RunLog | None = None,
        model: ModelVersion | None = None,
        data_source: str = MAIN,
    ) -> None:
        self.engine = engine
        # The data source `engine` answers on: new conversations are its, and a
        # conversation of another source is not continued here.
        self.data_source = data_source
        self.runs = runs
        self.model = model
        self.audit = audit
        self.conversations = conversations
        self.currency = currency
        self.export_row_limit = export_row_limit
        self.export_max_bytes = export_max_bytes

    # -- the doors' calls --------------------------------------------------------------

    def ask(
        self,
        actor: Actor,
        question: str,
        *,
        source: Source,
        conversation_id: int | None = None,
        keep: bool = True,
        language: str | None = None,
        on_step: StepListener | None = None,
    ) -> Reply:
        """Answer `question` for `actor` in the context of a conversation of theirs.

        With `keep`, the answer is stored in `conversation_id` (None: a new conversation).
        A question, and only a question, is recorded as a run (`backend.monitoring`): tiles,
        exports, reviews and SQL written by hand (`run_sql`, `export`) never reach the
        model, the prompt or the knowledge, and a tile runs again on every view, so
        counting them would bury how the model answers; the audit log keeps them.
        """
        self._check_source(actor)
        started = time.perf_counter()
        history = []
        if conversation_id is not None and self.conversations is not None:
            self._check_conversation(actor, conversation_id)
            history = self.conversations.history(actor.username, conversation_id)
        answer = self.engine.ask(question, actor, conversation=history, on_step=on_step)
        return self._finish(
            actor,
            answer,
            source=source,
            keep=keep,
            conversation_id=conversation_id,
            kind="question",
            language=language,
            on_step=on_step,
            started=started,
        )

    def run_sql(
        self,
        actor: Actor,
        sql: str,
        *,
        source: Source,
        question: str = "",
        conversation_id: int | None = None,
        keep: bool = True,
        language: str | None = None,
    ) -> Reply:
        """SQL the user wrote (or a pinned chart's, a reviewed example's) through the guard.

        `question` says what the SQL is for (a tile's title, an example's question); it is
        recorded with the run. Kept only with `keep` (own SQL in a conversation).
        """
        self._check_source(actor)
        answer = replace(self.engine.run_sql(sql, actor), question=question)
        return self._finish(
            actor,
            answer,
            source=source,
            keep=keep,
            conversation_id=conversation_id,
            kind="sql",
            written=sql,
            language=language,
        )

    def export(
        self,
        actor: Actor,
        sql: str,
        out: IO[bytes],
        *,
        question: str = "",
        source: Source = "export",
        language: str | None = None,
    ) -> Reply:
        """Write the CSV of `sql` (run again up to the export caps) into `out`, audited.

        Raises `backend.export.ExportFailed` with the guard's or the database's message;
        that refusal is audited too.
        """
        self._check_source(actor)
        language = language or actor.language
        try:
            answer = export_csv_to(
                self.engine,
                sql,
                actor,
                out,
                limit=self.export_row_limit,
                max_bytes=self.export_max_bytes,
                language=language,
            )
        except Exception as exc:
            refused = Answer(question=question, sql=sql, result=None, error=str(exc))
            self._audit(actor, refused, source)
            raise
        warning = self._audit(actor, replace(answer, question=question), source)
        return Reply(answer=answer, audit_warning=warning)

    def search_schema(self, actor: Actor, text: str, *, k: int = 5) -> Retrieval:
        """The tables `actor` may read that best match `text`, as the engine ranks them for
        a question (hybrid search, then foreign-key neighbours and the tables the nearest
        approved examples read brought forward)."""
        self._check_source(actor)
        return self.engine.rank_tables(text, actor, k=k)

    # -- the shared steps --------------------------------------------------------------

    def _finish(
        self,
        actor: Actor,
        answer: Answer,
        *,
        source: Source,
        keep: bool,
        conversation_id: int | None,
        kind: TurnKind,
        written: str | None = None,
        language: str | None = None,
        on_step: StepListener | None = None,
        started: float | None = None,
    ) -> Reply:
        """The shared steps; with `started` (a question's start), its run is recorded."""
        language = language or actor.language
        warning = self._audit(actor, answer, source)
        if on_step is not None and answer.ok:
            on_step("chart")
        chart, summary = self._present(answer, language)
        explanation = None
        shown_sql = written if written is not None else written_sql(answer)
        if answer.ok and shown_sql:
            explanation = explain_sql(shown_sql, self.dialect)
        # Before the turn is stored, so that the turn keeps the run's id for its votes.
        run_id = None if started is None else self._record_run(actor, answer, source, started)
        turn = None
        if keep and self.conversations is not None:
            if conversation_id is None:
                created = self.conversations.create(actor.username, source=self.data_source)
                conversation_id = created.id
            else:
                self._check_conversation(actor, conversation_id)
            turn = self.conversations.append(
                actor.username,
                conversation_id,
                answer,
                kind=kind,
                written=written,
                chart=chart,
                summary=summary,
                run_id=run_id,
            )
        else:
            conversation_id = None
        return Reply(
            answer=answer,
            chart=chart,
            summary=summary,
            explanation=explanation,
            conversation_id=conversation_id,
            turn=turn,
            audit_warning=warning,
            run_id=run_id,
        )

    def _check_source(self, actor: Actor) -> None:
        """`actor`'s rules are those of another data source: nothing runs with them here
        (a caller that mixed up sources, or a rule changed between two reads)."""
        if actor.source != self.data_source:
            log.warning(
                "refused %s: rules of source %s on source %s",
                actor.username,
                actor.source,
                self.data_source,
            )
            raise UnknownSource(Message.of("sources.unknown", name=self.data_source))

    def _check_conversation(self, actor: Actor, conversation_id: int) -> None:
        """A conversation of another data source is as good as gone here: its history
        and its answers belong to another database."""
        assert self.conversations is not None
        conversation = self.conversations.get(actor.username, conversation_id)
        if conversation.source != self.data_source:
            raise ConversationNotFound(Message.of("engine.conversations.gone"))

    @property
    def dialect(self) -> str:
        return self.engine.runner.dialect

    def _present(self, answer: Answer, language: str) -> tuple[ChartSpec | None, str]:
        if answer.result is None:
            return None, ""
        frame, shape = answer.result.frame, answer.result.shape
        chart = chart_for(frame, answer.chart_proposal, shape=shape)
        summary = summarise(
            frame,
            chart,
            answer.question,
            locale=language,
            currency=self.currency,
            truncated=answer.result.truncated,
            shape=shape,
        )
        return chart, summary

    def _audit(self, actor: Actor, answer: Answer, source: Source) -> Message | None:
        """Record the run; a failure is logged and returned as a warning, never raised."""
        try:
            self.audit.record_answer(
                actor.username, answer, source=source, data_source=self.data_source
            )
        except Exception:
            log.exception("audit write failed for %s (%s)", actor.username, source)
            return Message.of("audit.write_failed")
        return None

    def _similarity(self, answer: Answer) -> float | None:
        """How near the question is to the indexed tables and examples (question drift);
        None when embeddings were down for its retrieval, or the measure failed (logged)."""
        if answer.retrieval is not None and answer.retrieval.mode == "sparse":
            return None  # keyword search only: embedding the question would fail again
        try:
            return self.engine.similarity(answer.question)
        except Exception:
            log.warning("question similarity not measured", exc_info=True)
            return None

    def _record_run(
        self, actor: Actor, answer: Answer, source: Source, started: float
    ) -> int | None:
        """Record what produced `answer`; a failure is logged, never raised. None: no run
        log, or the write failed."""
        if self.runs is None:
            return None
        try:
            run = answer_run(
                answer,
                username=actor.username,
                source=source,
                producer=producer_of(self.engine, self.model),
                seconds=time.perf_counter() - started,
                similarity=self._similarity(answer),
            )
            return self.runs.record_run(run)
        except Exception:
            log.exception("run record failed for %s (%s)", actor.username, source)
            return None
