"""What the model is shown for a question: the schema, notes, examples and join paths.

The engine asks this module for a question's prompt and for the warm-up prompt; how that
prompt is put together is decided here:

- schema mode: the whole schema the actor may see when it fits (`full_schema_max_tokens`,
  or `schema_mode` says so), else the question's tables (`backend.table_retrieval`)
  fitted to `retrieved_schema_max_tokens`, with the key paths between them, the tables
  the approved examples read most first (`backend.example_tables.cache_order`); or, for a
  question about the role's core (`backend.schema_core`), the core whole;
- notes and examples: all of them after a whole schema or a core, where the model
  server's prompt cache serves them with it, or the question's nearest few (the examples
  are those the table ranking found, whose tables it brought forward);
- what a policy may see: a note or example naming what the actor may not read is left out
  (`backend.context_policy`), as the schema leaves it out.

A builder is cheap: the engine makes one per call from its current index, config, schema
view and runner dialect.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace

from backend.context_policy import visible_notes
from backend.domain import AccessPolicy, Actor, Example, Retrieval, ScoredTable, Turn
from backend.engine_config import EngineConfig
from backend.errors import KeskinubeError
from backend.example_tables import cache_order
from backend.i18n import DEFAULT_LANGUAGE, Language, detect_language, normalise_language
from backend.i18n.message import Message
from backend.ports import SchemaIndex
from backend.prompts import PromptParts, build_prompt, estimate_tokens, stable_context_tokens
from backend.schema_view import SchemaView
from backend.sql_validate.catalog import join_paths
from backend.table_retrieval import Complete, Messages, TableRetriever

log = logging.getLogger(__name__)

# Kept free for the conversation and the question when notes and examples go after the schema.
_QUESTION_ROOM = 1000
# Retrievals whose schema every question of a role shares: notes and examples follow it.
_SHARED = ("full_schema", "core")


class ContextBuilder:
    """Builds the prompts of one business database's questions."""

    def __init__(
        self,
        *,
        index: SchemaIndex,
        config: EngineConfig,
        schema: Callable[[], SchemaView],
        dialect: str,
        today: Callable[[], dt.date],
    ) -> None:
        self.index = index
        self.config = config
        self.schema = schema
        self.dialect = dialect
        self.today = today
        self.tables = TableRetriever(index=index, config=config, schema=schema, dialect=dialect)

    def retrieve(
        self, question: str, actor: Actor, *, complete: Complete
    ) -> tuple[Retrieval, list[str]]:
        """The tables for the prompt and their DDL: the whole schema, the role's core for a
        question about it, or retrieved + fitted.

        `complete` asks the model, for the table pick when table selection is on."""
        view = self.schema()
        if not view.tables:
            raise KeskinubeError(Message.of("engine.schema.not_indexed"))
        policy = actor.policy
        if self.full_schema(view, policy):
            return _whole_schema(view, policy)
        retrieval = self.tables.choose(question, actor, complete=complete)
        if retrieval.mode == "core":
            return retrieval, _blocks_by_text(view, policy, [t.name for t in retrieval.tables])
        fit = view.fit(
            [t.name for t in retrieval.tables],
            policy,
            question=question,
            budget_tokens=self.config.retrieved_schema_max_tokens,
        )
        if fit.dropped or fit.compacted:
            log.debug(
                "schema fitted to %d tokens: compacted %s, dropped %s",
                fit.tokens,
                fit.compacted,
                fit.dropped,
            )
        kept = tuple(t for t in retrieval.tables if t.name in fit.tables)
        return replace(retrieval, tables=kept, added_for_joins=fit.joins), list(fit.blocks)

    def prompt(
        self,
        question: str,
        actor: Actor,
        conversation: Sequence[Turn],
        retrieval: Retrieval,
        blocks: list[str],
    ) -> Messages:
        """The chat messages for `question`, given what `retrieve` found."""
        blocks, ranks = self._cache_order(retrieval, blocks, actor.policy)
        parts = PromptParts(
            dialect=self.dialect,
            schema_blocks=blocks,
            schema_ranks=ranks,
            conversation=conversation,
            question=question,
            question_language=detect_language(question, default=_language(actor)),
            chart_suggestions=self.config.chart_suggestions,
            join_paths=_join_paths(self.schema(), actor.policy, retrieval),
            today=self.today(),
        )
        parts = self._notes_and_examples(parts, actor.policy, retrieval)
        budget = self.config.num_ctx - self.config.answer_reserve_tokens
        return build_prompt(parts, budget_tokens=budget).messages

    def _cache_order(
        self, retrieval: Retrieval, blocks: list[str], policy: AccessPolicy
    ) -> tuple[list[str], list[int]]:
        """Retrieved tables' DDL with the tables the approved examples read most first
        (`backend.example_tables.cache_order`: a start many questions' prompts share), and
        each block's place in the ranking; the whole schema and a core as they are (a
        core's blocks ranked as the search ranked their tables)."""
        ranked = [*(t.name for t in retrieval.tables), *retrieval.added_for_joins]
        if retrieval.mode == "core":
            view = self.schema()
            place = {view.block(name, policy).text: i for i, name in enumerate(ranked)}
            return blocks, [place.get(block, len(place)) for block in blocks]
        if retrieval.mode in _SHARED or len(ranked) != len(blocks):
            return blocks, list(range(len(blocks)))
        examples = self._allowed(self.index.list_examples(self.config.database), policy)
        reads = self.schema().tables_read(examples, policy, self.dialect)
        order = cache_order(ranked, reads)
        place = {name: i for i, name in enumerate(ranked)}
        return [blocks[place[name]] for name in order], [place[name] for name in order]

    def warm_up_prompt(self, actor: Actor) -> Messages | None:
        """The long start `actor`'s prompts share, or None when there is none or nothing is
        indexed: the whole schema; else the role's core (what questions about it start
        with; the others are retrieved per question); else the whole table catalogue."""
        view = self.schema()
        if not view.tables:
            return None
        if self.full_schema(view, actor.policy):
            retrieval, blocks = _whole_schema(view, actor.policy)
            return self.prompt("?", actor, (), retrieval, blocks)
        core = self.tables.core(actor.policy)
        if core:
            ranked = tuple(ScoredTable(name, 1.0) for name in core)
            blocks = _blocks_by_text(view, actor.policy, core)
            return self.prompt("?", actor, (), Retrieval(ranked, mode="core"), blocks)
        # Retrieved prompts differ per question; a whole catalogue does not.
        if not self.config.table_selection:
            return None
        return self.tables.selection_start(actor.policy)

    def full_schema(self, view: SchemaView, policy: AccessPolicy) -> bool:
        """Whether `policy`'s prompts carry the whole schema it may see."""
        if self.config.schema_mode != "auto":
            return self.config.schema_mode == "full"
        return view.fits_whole(policy, self.config.full_schema_max_tokens)

    def _notes_and_examples(
        self, parts: PromptParts, policy: AccessPolicy, retrieval: Retrieval
    ) -> PromptParts:
        """Notes and examples: all of them after a whole schema or core, or the question's
        nearest (the examples found with the tables, whose tables the ranking brought forward).

        With the whole schema (or the core) in the system message, that message is the same
        for every question and the model server's prompt cache serves it; notes and examples
        placed after it, in a fixed order, are served with it. Retrieved per question, they sit in
        the question's message and are evaluated again each time (measured on 2 cores with
        the 1.5B model: ~540 tokens, most of a question's time; bench/results/model_modes.md).
        A note or example that names a table or column the actor may not read is left out,
        as the schema leaves them out (`backend.context_policy`), in both placements: one
        cached prefix per access policy. They are listed for every question (two small
        scrolls) so that an example approved a moment ago is used by the next question.
        """
        if retrieval.mode in _SHARED and self.config.stable_context_max_tokens > 0:
            stable = self._stable(parts, policy)
            if stable is not None:
                return stable
        examples = retrieval.examples
        if examples is None:
            examples = tuple(self.tables.examples(parts.question, policy))
        # The nearest few the policy allows: a few more are fetched, as some may be left out.
        notes_k = self.config.notes_k
        found_notes = self.index.search_notes(self.config.database, parts.question, k=3 * notes_k)
        return replace(
            parts,
            examples=list(examples),
            notes=visible_notes(found_notes, policy, list(self.schema().tables))[:notes_k],
        )

    def _stable(self, parts: PromptParts, policy: AccessPolicy) -> PromptParts | None:
        """`parts` with every note and example after the schema, or None when they don't fit."""
        database = self.config.database
        notes = visible_notes(self.index.list_notes(database), policy, list(self.schema().tables))
        examples = self._allowed(self.index.list_examples(database), policy)
        size = stable_context_tokens(notes, examples)
        schema = sum(estimate_tokens(block) for block in parts.schema_blocks)
        room = self.config.num_ctx - self.config.answer_reserve_tokens - _QUESTION_ROOM
        if size <= self.config.stable_context_max_tokens and schema + size <= room:
            return replace(parts, stable_notes=notes, stable_examples=examples)
        return None

    def _allowed(self, examples: list[Example], policy: AccessPolicy) -> list[Example]:
        return self.schema().visible_examples(examples, policy, self.dialect)


def _whole_schema(view: SchemaView, policy: AccessPolicy) -> tuple[Retrieval, list[str]]:
    """Every table `policy` may read, in name order (one stable text: one cached prefix)."""
    names = sorted(view.visible(policy))
    ranked = tuple(ScoredTable(name, 1.0) for name in names)
    return Retrieval(tables=ranked, mode="full_schema"), _blocks_by_text(view, policy, names)


def _blocks_by_text(view: SchemaView, policy: AccessPolicy, names: Sequence[str]) -> list[str]:
    """The DDL of `names` sorted by its text, as prompts always listed a whole schema (a
    quoted name sorts before the rest): one stable text, one cached prefix."""
    return sorted(view.block(name, policy).text for name in names)


def _join_paths(view: SchemaView, policy: AccessPolicy, retrieval: Retrieval) -> list[str]:
    """Retrieved tables reached only through others: their key paths (issue 14, item 3)."""
    if not retrieval.added_for_joins:
        return []
    needed = [t.name for t in retrieval.tables]
    return join_paths(view, policy, needed, within=[*needed, *retrieval.added_for_joins])


def _language(actor: Actor) -> Language:
    return normalise_language(actor.language) or DEFAULT_LANGUAGE
