"""The question → answer pipeline: retrieve → prompt → generate → guard → run → (repair).

`Engine.ask` is the one call the UI, the CLI and the evaluation harness share. It never
raises for a bad question, bad SQL, a dead model or a dead database: every outcome is an
`Answer`, with the attempts made and a message a user can act on.

This module is the orchestration only: what the prompt shows is decided by
`backend.context_builder`, what a run records by `backend.run_record`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial

from backend.candidates import Candidate, Doubt, canonical_sql, doubt, vote
from backend.context_builder import ContextBuilder
from backend.domain import (
    Actor,
    Answer,
    Attempt,
    Completion,
    QueryResult,
    Retrieval,
    TableDoc,
    Turn,
)
from backend.engine_config import EngineConfig
from backend.errors import (
    KeskinubeError,
    QueryFailed,
    QueryTimeout,
    SqlRejected,
)
from backend.i18n.message import Message
from backend.ports import (
    AnswerCache,
    ChatModel,
    NearestIndex,
    PromptPrefiller,
    SamplingChatModel,
    SchemaIndex,
    SqlRunner,
    VersionedIndex,
)
from backend.prompts import retry_message, said_beside_question
from backend.repair_hint import column_hint
from backend.run_record import RunRecord, error_message, gave_up
from backend.schema_view import SchemaView
from backend.sql_extract import extract_chart, extract_sql
from backend.sql_guard import check_sql
from backend.sql_validate import validated_sql
from backend.table_retrieval import Messages
from backend.unasked_values import unasked_values

log = logging.getLogger(__name__)

StepCallback = Callable[[str], None]


class Engine:
    """Answers questions about one business database."""

    def __init__(
        self,
        *,
        model: ChatModel,
        runner: SqlRunner,
        index: SchemaIndex,
        config: EngineConfig,
        cache: AnswerCache | None = None,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self.model = model
        self.today = today
        self.runner = runner
        self.index = index
        self.config = config
        self.cache = cache
        self._view: SchemaView | None = None
        self._knowledge_version: str | None = None
        self._loaded_version: str | None = None  # the index version `_view` was loaded at

    # -- public API ---------------------------------------------------------------

    def ask(
        self,
        question: str,
        actor: Actor,
        conversation: Sequence[Turn] = (),
        on_step: StepCallback | None = None,
    ) -> Answer:
        """Answer `question` for `actor`; `conversation` holds earlier turns for follow-ups."""
        step = on_step or (lambda _name: None)
        run = RunRecord(question=question.strip(), cacheable=not conversation)
        if not run.question:
            return run.answer(error=Message.of("engine.ask.empty"))
        self.follow_index()
        try:
            cached = self._from_cache(run, actor, step)
            if cached is not None:
                return cached
            return self._generate_and_run(run, actor, conversation, step)
        except KeskinubeError as exc:
            return run.answer(error=error_message(exc))

    def run_sql(self, sql: str, actor: Actor, on_step: StepCallback | None = None) -> Answer:
        """Run SQL a user wrote or edited, through the same guard as the model's SQL."""
        step = on_step or (lambda _name: None)
        run = RunRecord(question="")
        self.follow_index()
        try:
            checked, result = self._check_and_run(run, sql, actor, step, facts=False)
        except (SqlRejected, QueryFailed) as exc:
            run.record(sql, exc)
            return run.answer(sql=sql, error=error_message(exc))
        except KeskinubeError as exc:
            return run.answer(sql=sql, error=error_message(exc))
        run.record(sql)
        return run.answer(sql=checked, result=result)

    def warm_up(self, actor: Actor) -> bool:
        """Have the model server evaluate, and cache, what `actor`'s prompts start with.

        With the whole schema in the prompt, that shared start is nearly all of it (the
        demo: ~5.4k tokens with its notes and examples, 2.5 to 4 minutes on 2 CPU cores);
        done once, before the first question, that question is answered as fast as the
        next ones. False when there is nothing worth it (`warm_up_prompt`), the model
        cannot prefill, or it failed (logged).
        """
        messages = self.warm_up_prompt(actor)
        if messages is None or not isinstance(self.model, PromptPrefiller):
            return False
        try:
            self.model.prefill(messages)
        except KeskinubeError as exc:
            log.warning("model warm-up for role %s failed: %s", actor.role, exc)
            return False
        return True

    def warm_up_prompt(self, actor: Actor) -> Messages | None:
        """The long start `actor`'s prompts share — the whole schema, the role's core (which
        questions about it start with), or the table catalogue — or None when there is none
        (retrieved per question, no core, table selection off) or nothing is indexed."""
        return self._context().warm_up_prompt(actor)

    def choose_tables(self, question: str, actor: Actor) -> Retrieval:
        """The tables retrieve mode would give the SQL prompt: the role's core for a
        question about it, else the model's pick from the catalogue (with
        `table_selection`), else the retrieval's top `retrieval_k`."""
        return self._context().tables.choose(question, actor, complete=self.model.complete)

    def rank_tables(self, question: str, actor: Actor, *, k: int) -> Retrieval:
        """The `k` tables most relevant to `question` that `actor` may read (no LLM)."""
        return self._context().tables.rank(question, actor, k=k)

    def forget(self, question: str, actor: Actor) -> None:
        """Thumbs-down: never serve this question's SQL from the cache again."""
        if self.cache is not None:
            self.cache.evict(self.config.database, actor.role, question.strip())

    def tables(self) -> dict[str, TableDoc]:
        """The indexed schema, loaded once per engine (call `refresh` after re-indexing)."""
        return self.schema().tables

    def schema(self) -> SchemaView:
        """The indexed schema with what is derived from it once (FK graph, DDL, guard)."""
        view = self._view
        if view is None:
            # Read before the tables: a re-index in between is seen at the next question.
            self._loaded_version = self._index_version()
            view = self._view = SchemaView(self.index.load_tables(self.config.database))
        return view

    def refresh(self) -> None:
        self._view = None
        self._knowledge_version = None

    def follow_index(self) -> None:
        """Forget the loaded schema when the index has been re-indexed since it was loaded,
        by this process or another on the same Qdrant (one metadata read), so that the next
        question reads the new schema with no restart."""
        if self._view is None or not isinstance(self.index, VersionedIndex):
            return
        if self._index_version() != self._loaded_version:
            log.info("the schema of %s was re-indexed: reloading it", self.config.database)
            self.refresh()

    def similarity(self, question: str) -> float | None:
        """How near `question` is to what the engine knows: the cosine similarity of its
        embedding to the nearest indexed table (or column) and reviewed example. None when
        it cannot be measured (no embeddings, or an index that cannot tell)."""
        if not isinstance(self.index, NearestIndex):
            return None
        return self.index.nearest_similarity(self.config.database, question.strip())

    def knowledge_version(self) -> str | None:
        """A short hash of what the engine knows of the database: every indexed table's
        fingerprint (columns, keys, descriptions, synonyms) and the notes. Computed once
        per loaded schema (`refresh` after re-indexing makes a new one); None when nothing
        can be loaded. Approved examples are left out: approving one reloads nothing."""
        version = self._knowledge_version
        if version is None:
            try:
                tables = self.tables().values()
                notes = self.index.list_notes(self.config.database)
            except KeskinubeError as exc:
                log.info("no knowledge version: %s", exc)
                return None
            parts = sorted(t.fingerprint() for t in tables)
            parts += sorted(f"note|{n.title}|{n.text}" for n in notes)
            digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()
            version = self._knowledge_version = digest[:12]
        return version

    def _index_version(self) -> str | None:
        if not isinstance(self.index, VersionedIndex):
            return None
        try:
            return self.index.index_version(self.config.database)
        except Exception as exc:  # Qdrant down: the retrieval will say so, not this check
            log.info("index version unavailable: %s", exc)
            return self._loaded_version

    # -- steps ---------------------------------------------------------------------

    def _from_cache(self, run: RunRecord, actor: Actor, step: StepCallback) -> Answer | None:
        if self.cache is None or not run.cacheable:
            return None
        with run.timed("cache"):
            sql = self.cache.lookup(self.config.database, actor.role, run.question)
        if sql is None:
            return None
        try:
            checked, result = self._check_and_run(run, sql, actor, step)
        except (SqlRejected, QueryFailed) as exc:
            log.info("cached SQL no longer works, asking the model: %s", exc)
            run.record(sql, exc)  # it may have run: audited with the model's tries
            self.cache.evict(self.config.database, actor.role, run.question)
            return None
        run.record(sql)
        return run.answer(sql=checked, result=result, cached=True)

    def _generate_and_run(
        self, run: RunRecord, actor: Actor, conversation: Sequence[Turn], step: StepCallback
    ) -> Answer:
        step("retrieve")
        with run.timed("retrieve"):
            messages = self._prompt(run, actor, conversation)
        # The model's table pick happened inside; its own stage, so timings add up.
        run.timings["retrieve"] -= run.timings.get("select", 0.0)
        first = self._write_and_repair(run, messages, actor, step)
        return self._second_opinion(run, messages, actor, step, first)

    def _prompt(
        self, run: RunRecord, actor: Actor, conversation: Sequence[Turn]
    ) -> list[tuple[str, str]]:
        """The question's tables (`run.retrieval`, kept even if the prompt then fails), then
        the prompt; the model's table pick, when asked, is timed and counted as "select"."""
        context = self._context()
        pick = partial(self._complete, run, stage="select")
        run.retrieval, blocks = context.retrieve(run.question, actor, complete=pick)
        return list(context.prompt(run.question, actor, conversation, run.retrieval, blocks))

    def _write_and_repair(
        self, run: RunRecord, messages: list[tuple[str, str]], actor: Actor, step: StepCallback
    ) -> Answer:
        """The first query, and up to `max_retries` repairs told what went wrong."""
        messages = list(messages)
        failed: set[str] = set()
        for attempt_no in range(self.config.max_retries + 1):
            step("generate")
            completion = self._complete(run, messages)
            sql = extract_sql(completion.text)
            run.chart_proposal = extract_chart(completion.text)
            if sql is not None and canonical_sql(sql) in failed:
                # A small model that repeats a failed query will repeat it again: stop.
                repeated = Message.of("engine.ask.repeated")
                run.attempts.append(Attempt(sql, str(repeated), "generate", repeated))
                break
            answer, error = self._try(run, sql, actor, step)
            if answer is not None:
                return answer
            if sql is not None:
                failed.add(canonical_sql(sql))
            if attempt_no < self.config.max_retries:
                # The schema check's facts say more than a guess from the database's error.
                stage = run.attempts[-1].stage
                hint = column_hint(error, sql or "", self.tables()) if stage == "execute" else None
                messages += [("assistant", completion.text), ("user", retry_message(error, hint))]
        return gave_up(run)

    def _second_opinion(
        self,
        run: RunRecord,
        messages: Sequence[tuple[str, str]],
        actor: Actor,
        step: StepCallback,
        first: Answer,
    ) -> Answer:
        """When `first` is in doubt, sample more queries and keep what most results say.

        The candidates are drawn from the first prompt, not from the repair conversation:
        a small model told its error tends to patch the wrong query, while a fresh draw
        often writes a simpler, right one. Each is checked, guarded and run like the
        first (and audited); one that fails just gets no vote.
        """
        model = self.model
        if self.config.candidates <= 0 or run.timed_out or not isinstance(model, SamplingChatModel):
            return first
        estimates = {name.lower(): t.row_estimate for name, t in self.tables().items()}
        read = [name.lower() for name in run.tables_read] if first.ok else []
        said = said_beside_question(messages)
        written = first.attempts[-1].sql if first.ok and first.attempts else None
        reason = doubt(
            first.result,
            tables_read=read,
            row_estimates=estimates,
            unasked=self._unasked(run, written, said),
        )
        if reason is None:
            return first
        pool = [_Candidate(first if first.ok else None, reason)]
        # A draw repeating a query already tried votes as that query did, without a rerun.
        seen = {canonical_sql(a.sql): _Candidate(None, "failed") for a in run.attempts if a.sql}
        if first.ok:
            seen[canonical_sql(first.attempts[-1].sql or "")] = pool[0]
        for seed in range(1, self.config.candidates + 1):
            run.candidate = seed
            step("candidate")
            drawn = self._draw(run, model, messages, actor, step, seed, seen, estimates, said)
            if drawn is None:  # it timed out: the database is too slow for more
                break
            pool.append(drawn)
        run.candidate = 0
        return self._chosen(run, actor, pool)

    def _draw(
        self,
        run: RunRecord,
        model: SamplingChatModel,
        messages: Sequence[tuple[str, str]],
        actor: Actor,
        step: StepCallback,
        seed: int,
        seen: dict[str, _Candidate],
        estimates: dict[str, int | None],
        said: str,
    ) -> _Candidate | None:
        """One sampled query, run unless `seen` (then it votes as before); None: timed out."""
        started = time.perf_counter()
        with run.timed("candidates"):
            temperature = self.config.candidate_temperature
            completion = model.sample(messages, temperature=temperature, seed=seed)
        run.prompt_tokens += completion.prompt_tokens
        run.completion_tokens += completion.completion_tokens
        sql = extract_sql(completion.text)
        drawn: _Candidate | None = _Candidate(None, "failed")
        if sql is not None:
            run.chart_proposal = extract_chart(completion.text)
            drawn = self._vote_of(run, sql, actor, step, seen, estimates, said)
        run.drew(sql, started)
        return drawn

    def _vote_of(
        self,
        run: RunRecord,
        sql: str,
        actor: Actor,
        step: StepCallback,
        seen: dict[str, _Candidate],
        estimates: dict[str, int | None],
        said: str,
    ) -> _Candidate | None:
        key = canonical_sql(sql)
        if key not in seen:
            answer, _error = self._try(run, sql, actor, step, cache=False)
            if run.timed_out:
                return None
            ran = answer is not None and answer.ok
            read = [name.lower() for name in run.tables_read] if ran else []
            result = answer.result if answer is not None and ran else None
            unasked = self._unasked(run, sql, said) if ran else ()
            seen[key] = _Candidate(
                answer if ran else None,
                doubt(result, tables_read=read, row_estimates=estimates, unasked=unasked),
            )
        return seen[key]

    def _unasked(self, run: RunRecord, sql: str | None, said: str) -> tuple[str, ...]:
        """The values `sql` (as the model wrote it: a role's row filters are not the
        model's) filters on that neither the question nor the prompt beside it names."""
        if sql is None:
            return ()
        return unasked_values(sql, question=run.question, context=said, dialect=self.runner.dialect)

    def _chosen(self, run: RunRecord, actor: Actor, pool: list[_Candidate]) -> Answer:
        outcomes = [
            Candidate(c.answer.sql or "", c.answer.result)
            if c.answer is not None and c.answer.ok
            else Candidate("", None)
            for c in pool
        ]
        chosen = vote(outcomes, [c.doubt for c in pool])
        winner = None if chosen is None else pool[chosen.index].answer
        if chosen is None or winner is None:
            return gave_up(run)  # with every candidate's attempts, for the audit
        run.agreement = (chosen.agreeing, len(pool))
        source = _source_sql(winner)
        if chosen.index != 0 and source is not None and self.cache is not None and run.cacheable:
            self.cache.store(self.config.database, actor.role, run.question, source)
        return replace(
            winner,
            attempts=tuple(run.attempts),
            timings=dict(run.timings),
            prompt_tokens=run.prompt_tokens,
            completion_tokens=run.completion_tokens,
            agreement=run.agreement,
            model_sql=source,
            draws=tuple(run.draws),
        )

    def _try(
        self,
        run: RunRecord,
        sql: str | None,
        actor: Actor,
        step: StepCallback,
        *,
        cache: bool = True,
    ) -> tuple[Answer | None, str]:
        """One attempt: an Answer when it worked (or cannot be retried), else the error."""
        if sql is None:
            no_sql = Message.of("engine.ask.no_sql")
            run.attempts.append(Attempt(None, str(no_sql), "generate", no_sql))
            return None, str(no_sql)
        try:
            checked, result = self._check_and_run(run, sql, actor, step)
        except QueryTimeout as exc:
            run.record(sql, exc)
            run.timed_out = True
            return run.answer(sql=sql, error=error_message(exc)), str(exc)
        except (SqlRejected, QueryFailed) as exc:
            run.record(sql, exc)
            return None, str(exc)
        run.record(sql)
        if cache and self.cache is not None and run.cacheable:
            self.cache.store(self.config.database, actor.role, run.question, sql)
        return run.answer(sql=checked, result=result), ""

    def _complete(
        self, run: RunRecord, messages: Sequence[tuple[str, str]], *, stage: str = "generate"
    ) -> Completion:
        with run.timed(stage):
            completion = self.model.complete(messages)
        run.prompt_tokens += completion.prompt_tokens
        run.completion_tokens += completion.completion_tokens
        return completion

    def _context(self) -> ContextBuilder:
        # Made per call, not kept: the bench and tests swap `config` or `runner` on a live
        # engine, and the prompt must follow.
        return ContextBuilder(
            index=self.index,
            config=self.config,
            schema=self.schema,
            dialect=self.runner.dialect,
            today=self.today,
        )

    def _check_and_run(
        self, run: RunRecord, sql: str, actor: Actor, step: StepCallback, *, facts: bool = True
    ) -> tuple[str, QueryResult]:
        """Repair and check `sql` against the schema (with `facts`, a query that does not fit
        raises SqlInvalid, stating why, without running), then guard and run it."""
        step("check")
        run.checked = None
        with run.timed("check"):
            view, dialect = self.schema(), self.runner.dialect
            sql = validated_sql(sql, view=view, dialect=dialect, policy=actor.policy, report=facts)
            checked = check_sql(
                sql,
                schema=view.known,
                dialect=dialect,
                row_limit=self.config.row_limit + 1,
                policy=actor.policy,
                user_attributes=dict(actor.attributes),
            )
        run.checked, run.tables_read, run.rules = checked.sql, checked.tables, checked.rules
        step("execute")
        with run.timed("execute"):
            result = self.runner.run(checked.sql, row_limit=self.config.row_limit)
        return checked.sql, result


@dataclass(frozen=True)
class _Candidate:
    """An answer in the vote (None: its query failed) and why it is in doubt."""

    answer: Answer | None
    doubt: Doubt | None


def _source_sql(answer: Answer) -> str | None:
    """The model's SQL behind `answer` (what the cache keeps), before the guard's rewrite."""
    return next((a.sql for a in reversed(answer.attempts) if a.stage == "ok"), None)
