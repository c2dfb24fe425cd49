"""Which tables a retrieved prompt shows: ranked by their words, or picked by the model.

Ranking asks the schema index for the tables nearest the question that the actor may read,
then promotes the foreign-key neighbours of the best ones (`backend.join_paths`), and
brings forward those the question's nearest approved examples read
(`backend.example_tables`; the prompt then shows those examples). A question whose best
match is a table of the role's core (`backend.schema_core`: the tables the approved
examples read) gets the core whole instead (mode "core"). With `question_names`
on, the model first lists the names a database would give the question's things
(`backend.question_names`) and both searches read them with the question; each thing it
lists is also searched alone, and its table joins the ranking when it is near the
question's best ones (`backend.thing_tables`). The table of a value the question says
(`backend.value_tables`) joins it the same way, with or without names. With table
selection on, the model then picks from a one-line-a-table catalogue
(`backend.table_selection`) and its pick leads. The caller passes the model calls in
(`complete`), so that they are timed and counted with the rest of the question's calls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from backend.domain import AccessPolicy, Actor, Completion, Example, Retrieval, ScoredTable
from backend.engine_config import EngineConfig
from backend.example_tables import SEARCH_DEPTH, examples_first
from backend.join_paths import promote_fk_neighbours
from backend.ports import SchemaIndex
from backend.prompts import estimate_tokens
from backend.question_names import QuestionNames, names_messages, widened
from backend.schema_core import about_core, core_tables
from backend.schema_render import visible_foreign_keys
from backend.schema_view import SchemaView
from backend.table_selection import catalogue, merged, parse_selection, selection_messages
from backend.thing_tables import DEPTH, things_first
from backend.value_tables import said_values

Messages = tuple[tuple[str, str], ...]
Complete = Callable[[Sequence[tuple[str, str]]], Completion]


class TableRetriever:
    """Ranks and selects the tables of one business database for a question."""

    def __init__(
        self,
        *,
        index: SchemaIndex,
        config: EngineConfig,
        schema: Callable[[], SchemaView],
        dialect: str,
    ) -> None:
        self.index = index
        self.config = config
        self.schema = schema
        self.dialect = dialect

    def rank(
        self,
        question: str,
        actor: Actor,
        *,
        k: int,
        names: QuestionNames | None = None,
        core: Sequence[str] = (),
    ) -> Retrieval:
        """The `k` tables most relevant to `question` that `actor` may read, searched with
        the question and its `names` (what the model says its things are and are called; no
        LLM here), and the nearest approved examples `actor` may see, found the same way;
        then each thing's own table near those (`backend.thing_tables`), and each table
        holding a value the question says (`backend.value_tables`). When the question
        is about `core` (`backend.schema_core.about_core`), the whole `core` instead, in the
        search's order (mode "core")."""
        names = names or QuestionNames()
        query = widened(question, list(names.names))
        examples = self.examples(query, actor.policy)
        view = self.schema()
        read = view.tables_read(examples, actor.policy, self.dialect)
        head = max(4 * k, 20)
        # Deeper only when an example may bring a table forward: otherwise the search's
        # own ranking, unchanged (a deeper search fuses more candidates).
        depth = max(head, SEARCH_DEPTH) if read else head
        deep = self.index.search_tables(self.config.database, query, k=depth, policy=actor.policy)
        scores = {t.name: t for t in deep.tables}
        found = list(scores)
        promoted = promote_fk_neighbours(found[:head], view.tables, k=head, graph=view.graph)
        ranked = [*promoted, *found[head:]]
        order = self._things_first(examples_first(ranked, read), question, names, actor.policy)[:k]
        if about_core(promoted, order, core, view.graph_for(actor.policy)):
            inside = {name.lower() for name in core}
            order = [name for name in ranked if name.lower() in inside]
            found_here = {name.lower() for name in order}
            order += [name for name in core if name.lower() not in found_here]
            tables = tuple(scores.get(name, ScoredTable(name, 0.0)) for name in order)
            return replace(deep, tables=tables, mode="core", examples=tuple(examples))
        tables = tuple(scores.get(name, ScoredTable(name, 0.0)) for name in order)
        return replace(deep, tables=tables, examples=tuple(examples))

    def _things_first(
        self, order: list[str], question: str, names: QuestionNames, policy: AccessPolicy
    ) -> list[str]:
        """`order` with the table of each thing the question is about, or of each value it
        says, near its best ones (`backend.thing_tables`, `backend.value_tables`)."""
        view = self.schema()
        search = self.index.search_tables
        database = self.config.database
        hits = [
            [t.name for t in search(database, thing, k=DEPTH, policy=policy).tables]
            for thing in names.things
        ]
        rank = {name: i for i, name in enumerate(order)}
        hits += [
            sorted(tables, key=lambda name: rank.get(name, len(rank)))
            for tables in said_values(question, view.values(policy))
        ]
        if not hits:
            return order
        return things_first(order, hits, view.graph_for(policy), view.visible(policy))

    def core(self, policy: AccessPolicy) -> tuple[str, ...]:
        """The role's core (`backend.schema_core`): the tables the approved examples
        `policy` may see read, as many as `core_schema_max_tokens` allows; none when 0."""
        budget = self.config.core_schema_max_tokens
        if budget <= 0:
            return ()
        view = self.schema()
        examples = view.visible_examples(
            self.index.list_examples(self.config.database), policy, self.dialect
        )
        counts = view.tables_read(examples, policy, self.dialect)
        visible = view.visible(policy)
        spelled = {name.lower(): name for name in visible}
        # The keys the role's DDL shows (a key on a denied column refers to nothing).
        references = {
            name: [
                spelled.get(fk.ref_table.lower(), fk.ref_table)
                for fk in visible_foreign_keys(table, policy)
            ]
            for name in counts
            if (table := view.tables.get(name)) is not None
        }
        wanted = {*counts, *(ref for refs in references.values() for ref in refs)}
        sizes = {name: view.block(name, policy).tokens for name in wanted if name in visible}
        return core_tables(counts, sizes, budget_tokens=budget, references=references)

    def examples(self, query: str, policy: AccessPolicy) -> list[Example]:
        """The `examples_k` approved examples nearest `query` that `policy` may see (a few
        more are fetched, as some may be left out)."""
        k = self.config.examples_k
        if k <= 0:
            return []
        found = self.index.search_examples(self.config.database, query, k=3 * k)
        return self.schema().visible_examples(found, policy, self.dialect)[:k]

    def choose(self, question: str, actor: Actor, *, complete: Complete) -> Retrieval:
        """The tables retrieve mode gives the SQL prompt: the role's core for a question
        about it, else the model's pick from the catalogue (with `table_selection`), else
        the retrieval's top `retrieval_k`."""
        k = self.config.retrieval_k
        core = self.core(actor.policy)
        if core and self.config.question_names:
            # A question the plain search already finds about the core needs no names: one
            # model call less, and a model server that keeps one prompt start keeps the
            # core's (the names prompt would take its place).
            plain = self.rank(question, actor, k=k, core=core)
            if plain.mode == "core":
                return plain
        names = self.names(question, complete=complete)
        if not self.config.table_selection:
            return self.rank(question, actor, k=k, names=names, core=core)
        return self._select(question, actor, complete=complete, names=names, core=core)

    def names(self, question: str, *, complete: Complete) -> QuestionNames:
        """What the model says the things `question` is about are, and what a database
        would call them (none with `question_names` off). A reply that lists nothing
        leaves the plain search."""
        if not self.config.question_names:
            return QuestionNames()
        return QuestionNames.of(complete(names_messages(question)).text)

    def selection_start(self, policy: AccessPolicy) -> Messages | None:
        """What every table-selection request of `policy` starts with (for the warm-up), or
        None when the whole catalogue does not fit and candidates are listed per question."""
        whole = self._stable_catalogue(policy)
        if whole is None:
            return None
        return selection_messages("?", stable_catalogue=whole, candidates=None)

    def _select(
        self,
        question: str,
        actor: Actor,
        *,
        complete: Complete,
        names: QuestionNames,
        core: Sequence[str],
    ) -> Retrieval:
        """The model's pick from the catalogue, then the retrieval's best others (`k` in all);
        a question about the core gets the core, with no pick to make."""
        k = self.config.retrieval_k
        if core:
            # Decided on the `k` tables the question would be shown, as without selection.
            first = self.rank(question, actor, k=k, names=names, core=core)
            if first.mode == "core":
                return first
        deep = self.rank(question, actor, k=max(k, self.config.selection_pool), names=names)
        ranked = [t.name for t in deep.tables]
        visible = self.schema().visible(actor.policy)
        completion = complete(self._selection_prompt(question, actor.policy, ranked))
        chosen = parse_selection(completion.text, list(visible), limit=k)
        scores = {t.name: t for t in deep.tables}
        order = merged(chosen, ranked, k=k)
        tables = tuple(scores.get(name, ScoredTable(name, 0.0)) for name in order)
        return replace(deep, tables=tables, selected=tuple(chosen))

    def _selection_prompt(
        self, question: str, policy: AccessPolicy, ranked: Sequence[str]
    ) -> Messages:
        whole = self._stable_catalogue(policy)
        if whole is not None:
            return selection_messages(question, stable_catalogue=whole, candidates=None)
        visible = self.schema().visible(policy)
        listed = catalogue([visible[name] for name in ranked if name in visible], policy)
        return selection_messages(question, stable_catalogue=None, candidates=listed)

    def _stable_catalogue(self, policy: AccessPolicy) -> str | None:
        """The whole catalogue `policy` may see, when it fits its budget (cached prefix)."""
        text = catalogue(self.schema().visible(policy).values(), policy)
        return text if estimate_tokens(text) <= self.config.catalogue_max_tokens else None
