"""Which tables a retrieved prompt shows: ranked by their words, or picked by the model.

Ranking asks the schema index for the tables nearest the question that the actor may read,
then promotes the foreign-key neighbours of the best ones (`backend.join_paths`), and
brings forward those the question's nearest approved examples read
(`backend.example_tables`; the prompt then shows those examples). With `question_names`
on, the model first lists the names a database would give the question's things
(`backend.question_names`) and both searches read them with the question. With table
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
from backend.question_names import names_messages, parse_names, widened
from backend.schema_view import SchemaView
from backend.table_selection import catalogue, merged, parse_selection, selection_messages

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

    def rank(self, question: str, actor: Actor, *, k: int, names: Sequence[str] = ()) -> Retrieval:
        """The `k` tables most relevant to `question` that `actor` may read, searched with
        the question and `names` (what the model says such things are called; no LLM here),
        and the nearest approved examples `actor` may see, found the same way."""
        query = widened(question, list(names))
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
        order = examples_first([*promoted, *found[head:]], read)[:k]
        return replace(deep, tables=tuple(scores[name] for name in order), examples=tuple(examples))

    def examples(self, query: str, policy: AccessPolicy) -> list[Example]:
        """The `examples_k` approved examples nearest `query` that `policy` may see (a few
        more are fetched, as some may be left out)."""
        k = self.config.examples_k
        if k <= 0:
            return []
        found = self.index.search_examples(self.config.database, query, k=3 * k)
        return self.schema().visible_examples(found, policy, self.dialect)[:k]

    def choose(self, question: str, actor: Actor, *, complete: Complete) -> Retrieval:
        """The tables retrieve mode gives the SQL prompt: the model's pick from the
        catalogue (with `table_selection`), else the retrieval's top `retrieval_k`."""
        names = self.names(question, complete=complete)
        if not self.config.table_selection:
            return self.rank(question, actor, k=self.config.retrieval_k, names=names)
        return self._select(question, actor, complete=complete, names=names)

    def names(self, question: str, *, complete: Complete) -> list[str]:
        """What the model says a database would call the things `question` is about (none
        with `question_names` off). A reply that lists nothing leaves the plain search."""
        if not self.config.question_names:
            return []
        return parse_names(complete(names_messages(question)).text)

    def selection_start(self, policy: AccessPolicy) -> Messages | None:
        """What every table-selection request of `policy` starts with (for the warm-up), or
        None when the whole catalogue does not fit and candidates are listed per question."""
        whole = self._stable_catalogue(policy)
        if whole is None:
            return None
        return selection_messages("?", stable_catalogue=whole, candidates=None)

    def _select(
        self, question: str, actor: Actor, *, complete: Complete, names: Sequence[str]
    ) -> Retrieval:
        """The model's pick from the catalogue, then the retrieval's best others (`k` in all)."""
        k = self.config.retrieval_k
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
