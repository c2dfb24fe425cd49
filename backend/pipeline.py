"""The question → answer pipeline: retrieve → prompt → generate → guard → run → (repair).

`Engine.ask` is the one call the UI, the CLI and the evaluation harness share. It never
raises for a bad question, bad SQL, a dead model or a dead database: every outcome is an
`Answer`, with the attempts made and a message a user can act on.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Literal

from backend.candidates import Candidate, Doubt, doubt, vote
from backend.context_policy import visible_examples, visible_notes
from backend.domain import (
    AccessPolicy,
    Actor,
    Answer,
    AppliedRule,
    Attempt,
    Completion,
    Example,
    QueryResult,
    Retrieval,
    ScoredTable,
    TableDoc,
    Turn,
)
from backend.errors import (
    KeskinubeError,
    QueryFailed,
    QueryTimeout,
    SqlRejected,
)
from backend.i18n import DEFAULT_LANGUAGE, Language, detect_language, normalise_language
from backend.i18n.message import Message
from backend.join_paths import promote_fk_neighbours
from backend.ports import (
    AnswerCache,
    ChatModel,
    PromptPrefiller,
    SamplingChatModel,
    SchemaIndex,
    SqlRunner,
)
from backend.prompts import (
    PromptParts,
    build_prompt,
    estimate_tokens,
    retry_message,
    stable_context_tokens,
)
from backend.schema_view import SchemaView
from backend.sql_extract import extract_chart, extract_sql
from backend.sql_guard import check_sql
from backend.sql_validate import validated_sql
from backend.sql_validate.catalog import join_paths
from backend.table_selection import (
    catalogue,
    merged,
    parse_selection,
    selection_messages,
)

log = logging.getLogger(__name__)

StepCallback = Callable[[str], None]
# Kept free for the conversation and the question when notes and examples go after the schema.
_QUESTION_ROOM = 1000
SchemaMode = Literal["auto", "retrieve", "full"]


@dataclass(frozen=True)
class EngineConfig:
    """Per-database knobs of the engine, taken from Settings by the wiring."""

    database: str
    row_limit: int = 1000
    max_retries: int = 2
    retrieval_k: int = 5
    num_ctx: int = 8192
    answer_reserve_tokens: int = 768
    schema_mode: SchemaMode = "auto"
    full_schema_max_tokens: int = 4000
    retrieved_schema_max_tokens: int = 1500
    examples_k: int = 3
    notes_k: int = 3
    # Ask the model for a chart proposal after the SQL (a few more output tokens).
    chart_suggestions: bool = False
    # With the whole schema in the prompt, every note and example goes after it when they
    # fit this many estimated tokens (0: never): see `Engine._context`.
    stable_context_max_tokens: int = 4000
    # When the answer is in doubt (no answer, an empty or all-NULL result, more rows than
    # any table read), this many more queries are sampled and the result most agree on
    # wins (`backend.candidates`); 0 turns it off.
    candidates: int = 0
    candidate_temperature: float = 0.7
    # In retrieve mode, the model first picks the question's tables from a one-line-a-table
    # catalogue (`backend.table_selection`): the whole visible catalogue when it fits
    # `catalogue_max_tokens` (cached), else the retrieval's top `selection_pool` tables.
    table_selection: bool = False
    selection_pool: int = 30
    catalogue_max_tokens: int = 4000


@dataclass
class _Run:
    """Mutable bookkeeping of one `ask`, turned into an immutable Answer at the end."""

    question: str
    attempts: list[Attempt] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    retrieval: Retrieval | None = None
    chart_proposal: str | None = None
    # A follow-up ("and in 2024?") means nothing without its conversation, which the cache
    # key does not hold: such a question neither reads nor writes the cache.
    cacheable: bool = True
    # The guard's statement of the try under way, once it passed the guard, and the
    # tables it reads.
    checked: str | None = None
    tables_read: frozenset[str] = frozenset()
    # Which sampled candidate the attempts being made belong to (0: the first query and
    # its repairs).
    candidate: int = 0
    timed_out: bool = False
    agreement: tuple[int, int] | None = None
    # The access rules the guard applied to the last statement it passed.
    rules: tuple[AppliedRule, ...] = ()

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - started

    def record(self, sql: str, failure: KeskinubeError | None = None) -> None:
        """The try that ran `sql` (or was refused), with the statement sent to the database."""
        executed, self.checked = self.checked, None
        if failure is None:
            self.attempts.append(
                Attempt(sql, None, "ok", executed=executed, candidate=self.candidate)
            )
            return
        stage = _stage_of(failure)
        self.attempts.append(Attempt(
            sql, str(failure), stage, failure.message,
            executed=executed if stage == "execute" else None,
            code=failure.code if isinstance(failure, QueryFailed) else None,
            candidate=self.candidate,
        ))  # fmt: skip

    def answer(self, *, sql: str | None = None, result: QueryResult | None = None,
               error: str | Message | None = None, cached: bool = False) -> Answer:  # fmt: skip
        return Answer(
            question=self.question, sql=sql, result=result, attempts=tuple(self.attempts),
            retrieval=self.retrieval, timings=dict(self.timings),
            prompt_tokens=self.prompt_tokens, completion_tokens=self.completion_tokens,
            cached=cached, error=None if error is None else str(error),
            error_message=error if isinstance(error, Message) else None,
            chart_proposal=self.chart_proposal if result is not None else None,
            agreement=self.agreement,
            rules=self.rules if result is not None else (),
        )  # fmt: skip


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
        run = _Run(question=question.strip(), cacheable=not conversation)
        if not run.question:
            return run.answer(error=Message.of("engine.ask.empty"))
        try:
            cached = self._from_cache(run, actor, step)
            if cached is not None:
                return cached
            return self._generate_and_run(run, actor, conversation, step)
        except KeskinubeError as exc:
            return run.answer(error=_message(exc))

    def run_sql(self, sql: str, actor: Actor, on_step: StepCallback | None = None) -> Answer:
        """Run SQL a user wrote or edited, through the same guard as the model's SQL."""
        step = on_step or (lambda _name: None)
        run = _Run(question="")
        try:
            checked, result = self._check_and_run(run, sql, actor, step, facts=False)
        except (SqlRejected, QueryFailed) as exc:
            run.record(sql, exc)
            return run.answer(sql=sql, error=_message(exc))
        except KeskinubeError as exc:
            return run.answer(sql=sql, error=_message(exc))
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

    def warm_up_prompt(self, actor: Actor) -> tuple[tuple[str, str], ...] | None:
        """What every prompt of `actor` starts with, or None when prompts share no long
        start (retrieved per question, with table selection off) or nothing is indexed."""
        view = self.schema()
        if not view.tables:
            return None
        if self._use_full_schema(view, actor.policy):
            return self._prompt(_Run(question="?"), actor, ())
        # Retrieved prompts differ per question; a whole catalogue does not.
        if not self.config.table_selection:
            return None
        whole = self._stable_catalogue(actor.policy)
        if whole is None:
            return None
        return selection_messages("?", stable_catalogue=whole, candidates=None)

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
            view = self._view = SchemaView(self.index.load_tables(self.config.database))
        return view

    def refresh(self) -> None:
        self._view = None

    # -- steps ---------------------------------------------------------------------

    def _from_cache(self, run: _Run, actor: Actor, step: StepCallback) -> Answer | None:
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
        self, run: _Run, actor: Actor, conversation: Sequence[Turn], step: StepCallback
    ) -> Answer:
        step("retrieve")
        with run.timed("retrieve"):
            messages = list(self._prompt(run, actor, conversation))
        # The model's table pick happened inside; its own stage, so timings add up.
        run.timings["retrieve"] -= run.timings.get("select", 0.0)
        first = self._write_and_repair(run, messages, actor, step)
        return self._second_opinion(run, messages, actor, step, first)

    def _write_and_repair(
        self, run: _Run, messages: list[tuple[str, str]], actor: Actor, step: StepCallback
    ) -> Answer:
        """The first query, and up to `max_retries` repairs told what went wrong."""
        messages = list(messages)
        failed: set[str] = set()
        for attempt_no in range(self.config.max_retries + 1):
            step("generate")
            completion = self._complete(run, messages)
            sql = extract_sql(completion.text)
            run.chart_proposal = extract_chart(completion.text)
            if sql is not None and _canonical(sql) in failed:
                # A small model that repeats a failed query will repeat it again: stop.
                repeated = Message.of("engine.ask.repeated")
                run.attempts.append(Attempt(sql, str(repeated), "generate", repeated))
                break
            answer, error = self._try(run, sql, actor, step)
            if answer is not None:
                return answer
            if sql is not None:
                failed.add(_canonical(sql))
            if attempt_no < self.config.max_retries:
                # The schema check's facts say more than a guess from the database's error.
                stage = run.attempts[-1].stage
                hint = column_hint(error, sql or "", self.tables()) if stage == "execute" else None
                messages += [("assistant", completion.text), ("user", retry_message(error, hint))]
        return _gave_up(run)

    def _second_opinion(
        self,
        run: _Run,
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
        wanted = self.config.candidates
        if wanted <= 0 or run.timed_out or not isinstance(self.model, SamplingChatModel):
            return first
        estimates = {name.lower(): t.row_estimate for name, t in self.tables().items()}
        read = [name.lower() for name in run.tables_read] if first.ok else []
        reason = doubt(first.result, tables_read=read, row_estimates=estimates)
        if reason is None:
            return first
        pool = [_Candidate(first if first.ok else None, reason)]
        # A draw repeating a query already tried votes as that query did, without a rerun.
        seen = {_canonical(a.sql): _Candidate(None, "failed") for a in run.attempts if a.sql}
        if first.ok:
            seen[_canonical(first.attempts[-1].sql or "")] = pool[0]
        for seed in range(1, wanted + 1):
            run.candidate = seed
            step("candidate")
            with run.timed("candidates"):
                completion = self.model.sample(
                    messages, temperature=self.config.candidate_temperature, seed=seed
                )
            run.prompt_tokens += completion.prompt_tokens
            run.completion_tokens += completion.completion_tokens
            sql = extract_sql(completion.text)
            if sql is None:
                pool.append(_Candidate(None, "failed"))
                continue
            run.chart_proposal = extract_chart(completion.text)
            key = _canonical(sql)
            if key not in seen:
                answer, _error = self._try(run, sql, actor, step, cache=False)
                if run.timed_out:
                    break
                ran = answer is not None and answer.ok
                read = [name.lower() for name in run.tables_read] if ran else []
                result = answer.result if answer is not None and ran else None
                seen[key] = _Candidate(
                    answer if ran else None,
                    doubt(result, tables_read=read, row_estimates=estimates),
                )
            pool.append(seen[key])
        run.candidate = 0
        return self._chosen(run, actor, pool)

    def _chosen(self, run: _Run, actor: Actor, pool: list[_Candidate]) -> Answer:
        outcomes = [
            Candidate(c.answer.sql or "", c.answer.result)
            if c.answer is not None and c.answer.ok
            else Candidate("", None)
            for c in pool
        ]
        chosen = vote(outcomes, [c.doubt for c in pool])
        winner = None if chosen is None else pool[chosen.index].answer
        if chosen is None or winner is None:
            return _gave_up(run)  # with every candidate's attempts, for the audit
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
        )

    def _try(
        self, run: _Run, sql: str | None, actor: Actor, step: StepCallback, *, cache: bool = True
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
            return run.answer(sql=sql, error=_message(exc)), str(exc)
        except (SqlRejected, QueryFailed) as exc:
            run.record(sql, exc)
            return None, str(exc)
        run.record(sql)
        if cache and self.cache is not None and run.cacheable:
            self.cache.store(self.config.database, actor.role, run.question, sql)
        return run.answer(sql=checked, result=result), ""

    def _prompt(
        self, run: _Run, actor: Actor, conversation: Sequence[Turn]
    ) -> tuple[tuple[str, str], ...]:
        view = self.schema()
        if not view.tables:
            raise KeskinubeError(Message.of("engine.schema.not_indexed"))
        run.retrieval, blocks = self._retrieve(run, run.question, actor, view)
        parts = PromptParts(
            dialect=self.runner.dialect,
            schema_blocks=blocks,
            conversation=conversation,
            question=run.question,
            question_language=detect_language(run.question, default=_language(actor)),
            chart_suggestions=self.config.chart_suggestions,
            join_paths=_join_paths(view, actor.policy, run.retrieval),
            today=self.today(),
        )
        parts = self._context(parts, actor.policy, full_schema=run.retrieval.mode == "full_schema")
        budget = self.config.num_ctx - self.config.answer_reserve_tokens
        return build_prompt(parts, budget_tokens=budget).messages

    def _context(
        self, parts: PromptParts, policy: AccessPolicy, *, full_schema: bool
    ) -> PromptParts:
        """Notes and examples: all of them after the schema, or the question's nearest.

        With the whole schema in the system message, that message is the same for every
        question and the model server's prompt cache serves it; notes and examples placed
        after it, in a fixed order, are served with it. Retrieved per question, they sit in
        the question's message and are evaluated again each time (measured on 2 cores with
        the 1.5B model: ~540 tokens, most of a question's time; bench/results/model_modes.md).
        A note or example that names a table or column the actor may not read is left out,
        as the schema leaves them out (`backend.context_policy`), in both placements: one
        cached prefix per access policy. They are listed for every question (two small
        scrolls) so that an example approved a moment ago is used by the next question.
        """
        database = self.config.database
        view = self.schema()
        tables = list(view.tables)

        def allowed(examples: list[Example]) -> list[Example]:
            return visible_examples(
                examples, policy, tables, known=view.known, dialect=self.runner.dialect
            )

        if full_schema and self.config.stable_context_max_tokens > 0:
            notes = visible_notes(self.index.list_notes(database), policy, tables)
            examples = allowed(self.index.list_examples(database))
            size = stable_context_tokens(notes, examples)
            schema = sum(estimate_tokens(block) for block in parts.schema_blocks)
            room = self.config.num_ctx - self.config.answer_reserve_tokens - _QUESTION_ROOM
            if size <= self.config.stable_context_max_tokens and schema + size <= room:
                return replace(parts, stable_notes=notes, stable_examples=examples)
        # The nearest few the policy allows: a few more are fetched, as some may be left out.
        question, examples_k, notes_k = parts.question, self.config.examples_k, self.config.notes_k
        found_examples = self.index.search_examples(database, question, k=3 * examples_k)
        found_notes = self.index.search_notes(database, question, k=3 * notes_k)
        return replace(
            parts,
            examples=allowed(found_examples)[:examples_k],
            notes=visible_notes(found_notes, policy, tables)[:notes_k],
        )

    def _retrieve(
        self, run: _Run, question: str, actor: Actor, view: SchemaView
    ) -> tuple[Retrieval, list[str]]:
        """The tables for the prompt and their DDL: the whole schema, or retrieved + fitted."""
        policy = actor.policy
        if self._use_full_schema(view, policy):
            names = sorted(view.visible(policy))
            ranked = tuple(ScoredTable(name, 1.0) for name in names)
            blocks = [view.block(name, policy).text for name in names]
            return Retrieval(tables=ranked, mode="full_schema"), blocks
        if self.config.table_selection:
            retrieval = self._select_tables(run, question, actor, view)
        else:
            retrieval = self.rank_tables(question, actor, k=self.config.retrieval_k)
        fit = view.fit(
            [t.name for t in retrieval.tables],
            policy,
            question=question,
            budget_tokens=self.config.retrieved_schema_max_tokens,
        )
        if fit.dropped or fit.compacted:
            log.debug("schema fitted to %d tokens: compacted %s, dropped %s",
                      fit.tokens, fit.compacted, fit.dropped)  # fmt: skip
        kept = tuple(t for t in retrieval.tables if t.name in fit.tables)
        return replace(retrieval, tables=kept, added_for_joins=fit.joins), list(fit.blocks)

    def choose_tables(self, question: str, actor: Actor) -> Retrieval:
        """The tables retrieve mode would give the SQL prompt: the model's pick from the
        catalogue (with `table_selection`), else the retrieval's top `retrieval_k`."""
        if not self.config.table_selection:
            return self.rank_tables(question, actor, k=self.config.retrieval_k)
        return self._select_tables(_Run(question=question), question, actor, self.schema())

    def _select_tables(self, run: _Run, question: str, actor: Actor, view: SchemaView) -> Retrieval:
        """The model's pick from the catalogue, then the retrieval's best others (`k` in all)."""
        k = self.config.retrieval_k
        deep = self.rank_tables(question, actor, k=max(k, self.config.selection_pool))
        ranked = [t.name for t in deep.tables]
        visible = view.visible(actor.policy)
        # Timed on its own, inside "retrieve" (the step the user sees it as).
        with run.timed("select"):
            completion = self.model.complete(self._selection_prompt(question, actor, ranked))
        run.prompt_tokens += completion.prompt_tokens
        run.completion_tokens += completion.completion_tokens
        chosen = parse_selection(completion.text, list(visible), limit=k)
        scores = {t.name: t for t in deep.tables}
        order = merged(chosen, ranked, k=k)
        tables = tuple(scores.get(name, ScoredTable(name, 0.0)) for name in order)
        return replace(deep, tables=tables, selected=tuple(chosen))

    def _selection_prompt(
        self, question: str, actor: Actor, ranked: Sequence[str]
    ) -> tuple[tuple[str, str], ...]:
        view, policy = self.schema(), actor.policy
        whole = self._stable_catalogue(policy)
        if whole is not None:
            return selection_messages(question, stable_catalogue=whole, candidates=None)
        visible = view.visible(policy)
        listed = catalogue([visible[name] for name in ranked if name in visible], policy)
        return selection_messages(question, stable_catalogue=None, candidates=listed)

    def _stable_catalogue(self, policy: AccessPolicy) -> str | None:
        """The whole catalogue `policy` may see, when it fits its budget (cached prefix)."""
        text = catalogue(self.schema().visible(policy).values(), policy)
        return text if estimate_tokens(text) <= self.config.catalogue_max_tokens else None

    def rank_tables(self, question: str, actor: Actor, *, k: int) -> Retrieval:
        """The `k` tables most relevant to `question` that `actor` may read (no LLM)."""
        deep = self.index.search_tables(
            self.config.database, question, k=max(4 * k, 20), policy=actor.policy
        )
        scores = {t.name: t for t in deep.tables}
        view = self.schema()
        order = promote_fk_neighbours(list(scores), view.tables, k=k, graph=view.graph)
        return replace(deep, tables=tuple(scores[name] for name in order))

    def _use_full_schema(self, view: SchemaView, policy: AccessPolicy) -> bool:
        if self.config.schema_mode != "auto":
            return self.config.schema_mode == "full"
        return view.fits_whole(policy, self.config.full_schema_max_tokens)

    def _complete(self, run: _Run, messages: Sequence[tuple[str, str]]) -> Completion:
        with run.timed("generate"):
            completion = self.model.complete(messages)
        run.prompt_tokens += completion.prompt_tokens
        run.completion_tokens += completion.completion_tokens
        return completion

    def _check_and_run(
        self, run: _Run, sql: str, actor: Actor, step: StepCallback, *, facts: bool = True
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


def _gave_up(run: _Run) -> Answer:
    # The most telling failure is the last one that got as far as running SQL.
    telling = next((a for a in reversed(run.attempts) if a.stage in {"check", "execute"}),
                   run.attempts[-1])  # fmt: skip
    reason = telling.message or telling.error or ""
    return run.answer(
        sql=telling.sql,
        error=Message.of("engine.ask.gave_up", tries=len(run.attempts), reason=reason),
    )


def _source_sql(answer: Answer) -> str | None:
    """The model's SQL behind `answer` (what the cache keeps), before the guard's rewrite."""
    return next((a.sql for a in reversed(answer.attempts) if a.stage == "ok"), None)


def _join_paths(view: SchemaView, policy: AccessPolicy, retrieval: Retrieval) -> list[str]:
    """Retrieved tables reached only through others: their key paths (issue 14, item 3)."""
    if not retrieval.added_for_joins:
        return []
    needed = [t.name for t in retrieval.tables]
    return join_paths(view, policy, needed, within=[*needed, *retrieval.added_for_joins])


def _canonical(sql: str) -> str:
    return " ".join(sql.lower().rstrip("; \n").split())


_UNKNOWN_COLUMN = re.compile(
    r"(?:no such column|unknown column|column not found)[:\s]*['`\"]?(?:\w+\.)?(\w+)", re.I
)


def column_hint(error: str, sql: str, tables: dict[str, TableDoc]) -> str | None:
    """For an unknown column, the closest real columns of the tables the query names."""
    match = _UNKNOWN_COLUMN.search(error)
    if match is None:
        return None
    wanted = match.group(1).lower()
    words = set(re.findall(r"\w+", sql.lower()))
    named = [t for name, t in tables.items() if name.lower() in words]
    candidates = {c.name: t.name for t in named for c in t.columns}
    close = difflib.get_close_matches(wanted, list(candidates), n=3, cutoff=0.5)
    close += [c for c in candidates if wanted in c.lower() and c not in close]
    if not close:
        return None
    shown = ", ".join(f"{candidates[c]}.{c}" for c in close[:3])
    return f"There is no column {wanted}; did you mean {shown}?"


def _language(actor: Actor) -> Language:
    return normalise_language(actor.language) or DEFAULT_LANGUAGE


def _message(exc: KeskinubeError) -> str | Message:
    """The error as a catalogue message when it has one (shown in the reader's language)."""
    return exc.message if exc.message is not None else str(exc)


def _stage_of(exc: Exception) -> Literal["check", "execute"]:
    return "check" if isinstance(exc, SqlRejected) else "execute"
