"""The indexed schema of one database, with what the engine derives from it once.

Every question is answered against the same schema until it is re-indexed, so its
foreign-key graph, the guard's table lookup, each role's visible tables, sample values and
each table's prompt DDL (per access policy) are computed on first use and then reused:
per question, the engine only does the work that depends on the question — such as
fitting the retrieved tables into the prompt's schema budget (`fit`). `Engine.refresh` drops the
view after re-indexing.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Sequence

from backend.context_policy import visible_examples
from backend.domain import AccessPolicy, Example, TableDoc
from backend.example_tables import tables_read
from backend.join_paths import Graph, expand_join_paths, fk_graph, restrict
from backend.prompts import estimate_tokens
from backend.schema_budget import Block, SchemaFit, fit_schema
from backend.schema_render import question_columns, render_table
from backend.sql_guard import KnownTables
from backend.value_tables import ValueIndex, value_index

_MAX_POLICIES = 64  # distinct access policies remembered (one per role, in practice)
_MAX_EXAMPLE_SETS = 1024  # (examples, policy) verdicts remembered


class SchemaView:
    """Tables by name, the FK graph, the guard's lookup, and memoised DDL per policy."""

    def __init__(self, tables: Iterable[TableDoc]) -> None:
        self.tables: dict[str, TableDoc] = {table.name: table for table in tables}
        self.graph: Graph = fk_graph(self.tables)
        self.known = KnownTables.from_schema(
            {name: table.column_names for name, table in self.tables.items()}
        )
        self._lock = threading.Lock()
        self._visible: dict[AccessPolicy, tuple[dict[str, TableDoc], Graph]] = {}
        self._blocks: dict[tuple[str, AccessPolicy, bool], Block] = {}
        self._fits_whole: dict[tuple[AccessPolicy, int], bool] = {}
        self._examples: dict[tuple[tuple[Example, ...], AccessPolicy, str], list[Example]] = {}
        self._read: dict[tuple[tuple[Example, ...], AccessPolicy, str], Counter[str]] = {}
        self._values: dict[AccessPolicy, ValueIndex] = {}

    def visible(self, policy: AccessPolicy) -> dict[str, TableDoc]:
        """The tables `policy` may read, by name."""
        return self._visible_and_graph(policy)[0]

    def graph_for(self, policy: AccessPolicy) -> Graph:
        """The FK graph among the tables `policy` may read."""
        return self._visible_and_graph(policy)[1]

    def _visible_and_graph(self, policy: AccessPolicy) -> tuple[dict[str, TableDoc], Graph]:
        found = self._visible.get(policy)
        if found is None:
            visible = {n: t for n, t in self.tables.items() if policy.allows_table(n)}
            everything = len(visible) == len(self.tables)
            graph = self.graph if everything else restrict(self.graph, visible)
            found = (visible, graph)
            with self._lock:
                if len(self._visible) >= _MAX_POLICIES:
                    self._visible.clear()
                self._visible[policy] = found
        return found

    def values(self, policy: AccessPolicy) -> ValueIndex:
        """The sample values `policy` may see, to match a question's words against
        (`backend.value_tables`)."""
        found = self._values.get(policy)
        if found is None:
            found = value_index(self.tables.values(), policy)
            with self._lock:
                if len(self._values) >= _MAX_POLICIES:
                    self._values.clear()
                self._values[policy] = found
        return found

    def block(self, name: str, policy: AccessPolicy, *, compact: bool = False) -> Block:
        """The prompt DDL of table `name` for `policy` (full or compact), with its tokens."""
        key = (name, policy, compact)
        found = self._blocks.get(key)
        if found is None:
            text = render_table(self.tables[name], policy=policy, compact=compact)
            found = Block(text, estimate_tokens(text))
            with self._lock:
                if len(self._blocks) >= _MAX_POLICIES * max(1, len(self.tables)):
                    self._blocks.clear()
                self._blocks[key] = found
        return found

    def visible_examples(
        self, examples: Sequence[Example], policy: AccessPolicy, dialect: str
    ) -> list[Example]:
        """The `examples` a prompt for `policy` may carry (`context_policy`), worked out once
        per list of examples and policy: the guard checks each example's SQL (a few ms
        each), too slow to repeat for every question of a role with rules."""
        key = (tuple(examples), policy, dialect)
        found = self._examples.get(key)
        if found is None:
            tables = list(self.tables)
            found = visible_examples(examples, policy, tables, known=self.known, dialect=dialect)
            with self._lock:
                if len(self._examples) >= _MAX_EXAMPLE_SETS:
                    self._examples.clear()
                self._examples[key] = found
        return list(found)

    def tables_read(
        self, examples: Sequence[Example], policy: AccessPolicy, dialect: str
    ) -> Counter[str]:
        """How many of `examples` read each table under `policy` (`backend.example_tables`),
        worked out once per list of examples and policy, as `visible_examples` is."""
        key = (tuple(examples), policy, dialect)
        found = self._read.get(key)
        if found is None:
            found = tables_read(examples, policy, known=self.known, dialect=dialect)
            with self._lock:
                if len(self._read) >= _MAX_EXAMPLE_SETS:
                    self._read.clear()
                self._read[key] = found
        return Counter(found)

    def fit(
        self, ranked: Sequence[str], policy: AccessPolicy, *, question: str, budget_tokens: int
    ) -> SchemaFit:
        """The retrieved tables (`ranked`, best first) and their join path, as DDL that fits
        `budget_tokens` (see `backend.schema_budget`); a very wide table keeps the
        columns `question` names."""
        allowed, graph = self.visible(policy), self.graph_for(policy)

        def capped(name: str, max_columns: int) -> Block:
            table = self.tables[name]
            prefer = question_columns(table, question)
            text = render_table(
                table, policy=policy, compact=True, max_columns=max_columns, prefer=prefer
            )
            return Block(text, estimate_tokens(text))

        return fit_schema(
            [name for name in ranked if name in allowed],
            budget_tokens=budget_tokens,
            joins_for=lambda kept: expand_join_paths(kept, allowed, graph=graph),
            render=lambda name, compact: self.block(name, policy, compact=compact),
            render_capped=capped,
        )

    def fits_whole(self, policy: AccessPolicy, limit_tokens: int) -> bool:
        """Whether every visible table's full DDL together is at most `limit_tokens`."""
        key = (policy, limit_tokens)
        found = self._fits_whole.get(key)
        if found is None:
            size, found = 0, True
            for name in self.visible(policy):  # stop once over: a big schema costs a few
                size += self.block(name, policy).tokens
                if size > limit_tokens:
                    found = False
                    break
            with self._lock:
                if len(self._fits_whole) >= _MAX_POLICIES:
                    self._fits_whole.clear()
                self._fits_whole[key] = found
        return found
