"""Which tables a retrieved prompt shows: ranked by their words, or picked by the model.

Ranking asks the schema index for the tables nearest the question that the actor may read,
then promotes the foreign-key neighbours of the best ones (`backend.join_paths`). With
`question_names` on, the model first lists the names a database would give the question's
things (`backend.question_names`) and the search reads them with the question (in hybrid
search, each thing is searched on its own too, and the rankings fused). With table
selection on, the model then picks from a one-line-a-table catalogue
(`backend.table_selection`) and its pick leads. The caller passes the model calls in
(`complete`), so that they are timed and counted with the rest of the question's calls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from backend.domain import AccessPolicy, Actor, Completion, Retrieval, ScoredTable
from backend.engine_config import EngineConfig
from backend.join_paths import promote_fk_neighbours
from backend.ports import SchemaIndex
from backend.prompts import estimate_tokens
from backend.question_names import Thing, names_messages, parse_things, widened
from backend.schema_view import SchemaView
from backend.table_selection import catalogue, merged, parse_selection, selection_messages

Messages = tuple[tuple[str, str], ...]
# Things searched one by one; a question about more is rare, a longer reply is noise.
MAX_THINGS = 5
# Reciprocal-rank fusion's damping constant (Cormack et al. 2009 use 60).
RRF_K = 60
# The search of the whole question and every name counts as much as two things' own: it
# holds the question's relations between things, which no single thing's search sees.
WHOLE_WEIGHT = 2.0
Complete = Callable[[Sequence[tuple[str, str]]], Completion]


class TableRetriever:
    """Ranks and selects the tables of one business database for a question."""

    def __init__(
        self, *, index: SchemaIndex, config: EngineConfig, schema: Callable[[], SchemaView]
    ) -> None:
        self.index = index
        self.config = config
        self.schema = schema

    def rank(
        self, question: str, actor: Actor, *, k: int, things: Sequence[Thing] = ()
    ) -> Retrieval:
        """The `k` tables most relevant to `question` that `actor` may read, searched with
        the question and the names of its `things` (what the model says such things are
        called; no LLM here). With two things or more and embeddings, each thing is also
        searched on its own and the rankings fused, so that a question about clients and
        their orders does not fill the top with look-alikes of clients alone. Keyword-only
        search keeps the one search: there a thing's few words pull up every table that
        happens to use them (both measured in `python -m bench scale`; README)."""
        depth = max(4 * k, 20)
        names = [name for thing in things for name in thing.names]
        deep = self._search(widened(question, names), actor, depth)
        if len(things) > 1 and deep.mode == "hybrid":
            rankings = [deep.tables] + [
                self._search(thing.query(), actor, depth).tables for thing in things[:MAX_THINGS]
            ]
            deep = replace(deep, tables=fused(rankings, weights=[WHOLE_WEIGHT]))
        scores = {t.name: t for t in deep.tables}
        view = self.schema()
        order = promote_fk_neighbours(list(scores), view.tables, k=k, graph=view.graph)
        return replace(deep, tables=tuple(scores[name] for name in order))

    def _search(self, text: str, actor: Actor, depth: int) -> Retrieval:
        return self.index.search_tables(self.config.database, text, k=depth, policy=actor.policy)

    def choose(self, question: str, actor: Actor, *, complete: Complete) -> Retrieval:
        """The tables retrieve mode gives the SQL prompt: the model's pick from the
        catalogue (with `table_selection`), else the retrieval's top `retrieval_k`."""
        things = self.things(question, complete=complete)
        if not self.config.table_selection:
            return self.rank(question, actor, k=self.config.retrieval_k, things=things)
        return self._select(question, actor, complete=complete, things=things)

    def things(self, question: str, *, complete: Complete) -> list[Thing]:
        """What the model says `question` is about and what a database would call each
        (none with `question_names` off). A reply that lists nothing leaves the plain
        search."""
        if not self.config.question_names:
            return []
        return parse_things(complete(names_messages(question)).text)

    def selection_start(self, policy: AccessPolicy) -> Messages | None:
        """What every table-selection request of `policy` starts with (for the warm-up), or
        None when the whole catalogue does not fit and candidates are listed per question."""
        whole = self._stable_catalogue(policy)
        if whole is None:
            return None
        return selection_messages("?", stable_catalogue=whole, candidates=None)

    def _select(
        self, question: str, actor: Actor, *, complete: Complete, things: Sequence[Thing]
    ) -> Retrieval:
        """The model's pick from the catalogue, then the retrieval's best others (`k` in all)."""
        k = self.config.retrieval_k
        deep = self.rank(question, actor, k=max(k, self.config.selection_pool), things=things)
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


def fused(
    rankings: Sequence[Sequence[ScoredTable]], *, weights: Sequence[float] = ()
) -> tuple[ScoredTable, ...]:
    """Weighted reciprocal-rank fusion of `rankings` (each best first): a table scores
    the sum of weight / (RRF_K + rank) over the rankings that hold it; `weights` are
    those of the first rankings, the others weigh 1. Ties keep the earlier rankings'
    order."""
    scores: dict[str, float] = {}
    for i, ranking in enumerate(rankings):
        weight = weights[i] if i < len(weights) else 1.0
        for rank, table in enumerate(ranking, start=1):
            scores[table.name] = scores.get(table.name, 0.0) + weight / (RRF_K + rank)
    order = sorted(scores, key=lambda name: -scores[name])
    return tuple(ScoredTable(name, scores[name]) for name in order)
