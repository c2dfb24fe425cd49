"""Runs a question set through the full engine (and optionally the LangChain baseline).

Per database: build the production services (`wiring.services`) on an in-memory Qdrant,
index the schema, and switch the answer cache off so no question is answered from an
earlier one. With `ollama_warm_up` on, as the app does at start, the model server then
evaluates the prompt start the eval role's questions share (`Engine.warm_up`), timed
apart: a question's seconds are then those a user sees once the app is up, not the one-off
start on a cold server. Then, question by question: run the gold SQL, ask the engine — a follow-up
gets its earlier questions and the engine's *predicted* SQL for them as the
conversation, as in the chat — and score the result by execution accuracy.

The LangChain baseline, when asked for, runs in a second pass over the same database
after the engine has answered every question, not question by question beside it: a
model server keeps the prompt prefix of the last request (llama.cpp and Ollama keep one
per slot), so interleaving the two systems' prompts would throw both caches away on every
question and slow both down by more than either costs alone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import sqlalchemy as sa
from qdrant_client import QdrantClient

from backend.config import Settings
from backend.domain import Actor, Turn
from backend.engine_config import EngineConfig, SchemaMode
from backend.errors import KeskinubeError
from backend.ports import SqlRunner
from backend.warm_up import warm_up_roles
from evaluation import baseline_langchain as lc
from evaluation.gold import GoldResult, run_gold
from evaluation.predictions import (
    baseline_prediction,
    engine_prediction,
    engine_steps,
    unavailable,
)
from evaluation.records import Prediction, QuestionRecord
from evaluation.sets import GoldQuestion, Selected, ancestors, database_url
from wiring.services import Services, build_services, index_database

log = logging.getLogger(__name__)

EVAL_ACTOR = Actor(username="eval", role="eval")
Progress = Callable[[QuestionRecord], None]


@dataclass(frozen=True)
class EvalOptions:
    """How to run: `database` is a URL or a template with `{db}`; see `keskinube eval`."""

    database: str
    schema_mode: SchemaMode | None = None
    rounding: bool = True
    baseline: bool = False


@dataclass(frozen=True)
class EvalResults:
    """The records in set order, the engine configuration the first database ran with, and
    the prompt starts the model server evaluated before the questions (`warm_up_starts`,
    0 when off, nothing to warm, or failed: logged) and their seconds (in no question's
    latency)."""

    records: tuple[QuestionRecord, ...]
    engine_config: EngineConfig | None
    warm_up_starts: int = 0
    warm_up_s: float = 0.0


def run_evaluation(
    selected: Sequence[Selected],
    settings: Settings,
    options: EvalOptions,
    *,
    progress: Progress | None = None,
    done: Mapping[str, QuestionRecord] | None = None,
) -> EvalResults:
    """Ask and score every selected question, database by database; the questions `done`
    holds (an earlier, stopped run's records: `evaluation.journal`) are not asked again."""
    by_id = {s.question.id: s.question for s in selected}
    records: dict[str, QuestionRecord] = dict(done or {})
    left = [item for item in selected if item.question.id not in records]
    config: EngineConfig | None = None
    warm_up_starts, warm_up_s = 0, 0.0
    for url, group in _by_database(left, options.database):
        run = _DatabaseRun(url, settings, options, by_id, records, progress)
        for record in run.run(group):
            records[record.question.id] = record
        config = config or run.engine_config
        warm_up_starts += run.warm_up_starts
        warm_up_s += run.warm_up_s
    ordered = tuple(records[s.question.id] for s in selected)
    return EvalResults(ordered, config, warm_up_starts, round(warm_up_s, 2))


def _by_database(selected: Sequence[Selected], template: str) -> list[tuple[str, list[Selected]]]:
    groups: dict[str, list[Selected]] = {}
    for item in selected:
        url = database_url(template, item.question.db, question_id=item.question.id)
        groups.setdefault(url, []).append(item)
    return list(groups.items())


class _DatabaseRun:
    """The questions of one database, with its services open.

    `progress` is called once per question, as soon as its record is final: after the
    engine's answer, or, with the baseline, after the baseline's answer in the second pass.
    """

    def __init__(
        self,
        url: str,
        settings: Settings,
        options: EvalOptions,
        by_id: dict[str, GoldQuestion],
        records: dict[str, QuestionRecord],
        progress: Progress | None = None,
    ) -> None:
        self.url = url
        self.settings = settings
        self.options = options
        self.by_id = by_id
        self.records = records
        self.progress = progress or (lambda _record: None)
        self.baseline: lc.LangChainBaseline | None = None
        self.baseline_error: str | None = None
        self.engine_config: EngineConfig | None = None
        self.warm_up_starts = 0
        self.warm_up_s = 0.0

    def run(self, group: Sequence[Selected]) -> list[QuestionRecord]:
        try:
            services = self._open()
        except (KeskinubeError, sa.exc.SQLAlchemyError) as exc:
            log.warning("skipping %s: %s", _shown(self.url), exc)
            reason = f"database unavailable: {exc}"
            skipped = [QuestionRecord(s.question, s.scored, skipped=reason) for s in group]
            for record in skipped:
                self.progress(record)
            return skipped
        try:
            golds: dict[str, GoldResult | None] = {}
            for item in group:
                record, golds[item.question.id] = self._question(services, item)
                self.records[item.question.id] = record
                if not self.options.baseline:
                    self.progress(record)
            if self.options.baseline:
                self._open_baseline()
                for item in group:
                    self._baseline_pass(services.engine.runner, item.question, golds)
            return [self.records[item.question.id] for item in group]
        finally:
            services.close()
            if self.baseline is not None:
                self.baseline.close()

    def _baseline_pass(
        self, runner: SqlRunner, question: GoldQuestion, golds: dict[str, GoldResult | None]
    ) -> None:
        record = self.records[question.id]
        prediction = self._baseline_prediction(runner, question, golds[question.id])
        record = replace(record, baseline=prediction)
        self.records[question.id] = record
        self.progress(record)

    def _open(self) -> Services:
        services = build_services(self.settings, database_url=self.url, qdrant=_memory_qdrant())
        try:
            services.engine.cache = None  # each question is answered from scratch
            if self.options.schema_mode is not None:
                config = replace(services.engine.config, schema_mode=self.options.schema_mode)
                services.engine.config = config
            index_database(services)
            self.engine_config = services.engine.config
            if self.settings.ollama_warm_up:
                started = time.perf_counter()
                self.warm_up_starts = warm_up_roles(services.engine, [EVAL_ACTOR])
                self.warm_up_s = time.perf_counter() - started
        except BaseException:
            services.close()
            raise
        return services

    def _open_baseline(self) -> None:
        s = self.settings
        model = lc.ModelSettings(
            base_url=s.ollama_base_url,
            model=s.ollama_model,
            num_ctx=s.ollama_num_ctx,
            timeout_s=s.ollama_timeout_s,
            keep_alive=s.ollama_keep_alive,
        )
        try:
            self.baseline = lc.LangChainBaseline(
                database_url=self.url, model=model, top_k=s.row_limit
            )
        except Exception as exc:  # reflection errors of any kind: record, score the engine
            log.warning("LangChain baseline unavailable for %s: %s", _shown(self.url), exc)
            self.baseline_error = f"baseline unavailable: {exc}"

    def _question(
        self, services: Services, item: Selected
    ) -> tuple[QuestionRecord, GoldResult | None]:
        """The engine's scored answer, and the gold result (kept for the baseline pass)."""
        question = item.question
        gold, gold_error = self._gold(services.engine.runner, question)
        started = time.perf_counter()
        answer = services.engine.ask(question.question, EVAL_ACTOR, self._conversation(question))
        latency = time.perf_counter() - started
        rounding = self.options.rounding
        steps = engine_steps(
            answer,
            services.engine.runner,
            gold,
            row_limit=self.settings.row_limit,
            rounding=rounding,
        )
        engine = engine_prediction(answer, latency, gold, rounding=rounding, steps=steps)
        record = QuestionRecord(
            question=question,
            scored=item.scored,
            gold_rows=len(gold.table.rows) if gold is not None else None,
            gold_error=gold_error,
            engine=engine,
        )
        return record, gold

    def _gold(
        self, runner: SqlRunner, question: GoldQuestion
    ) -> tuple[GoldResult | None, str | None]:
        limit = self.settings.row_limit
        try:
            gold = run_gold(runner, question.gold_sql, dialect=runner.dialect, row_limit=limit)
        except KeskinubeError as exc:
            log.warning("gold SQL of %s failed: %s", question.id, exc)
            return None, str(exc)
        return gold, None

    def _conversation(self, question: GoldQuestion) -> list[Turn]:
        turns = []
        for earlier in ancestors(question, self.by_id):
            record = self.records.get(earlier.id)
            sql = record.engine.sql if record is not None and record.engine is not None else None
            turns.append(Turn(earlier.question, sql))
        return turns

    def _baseline_prediction(
        self, runner: SqlRunner, question: GoldQuestion, gold: GoldResult | None
    ) -> Prediction:
        if self.baseline is None:
            return unavailable(self.baseline_error or "baseline unavailable")
        earlier = [q.question for q in ancestors(question, self.by_id)]
        output = self.baseline.generate(lc.question_text(question.question, earlier))
        return baseline_prediction(
            output,
            runner,
            gold,
            row_limit=self.settings.row_limit,
            rounding=self.options.rounding,
            question=question.question,
        )


def _memory_qdrant() -> QdrantClient:
    return QdrantClient(":memory:")


def _shown(url: str) -> str:
    return sa.make_url(url).render_as_string(hide_password=True)
