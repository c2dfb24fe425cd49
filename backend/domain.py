"""Values that flow through the pipeline: schema documents, policies, attempts, results.

All are frozen dataclasses so they can be cached, compared and passed between threads
without surprises. Nothing here talks to a database, Qdrant or Ollama.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from backend.i18n.message import Message

if TYPE_CHECKING:
    import pandas as pd

    from backend.charts.columns import Profile


@dataclass(frozen=True)
class ColumnDoc:
    """One column as the model and the guard see it."""

    name: str
    type: str
    nullable: bool = True
    comment: str | None = None
    primary_key: bool = False
    sample_values: tuple[str, ...] = ()
    # What the admin's knowledge says (`backend.knowledge`): a business description and
    # the users' words for the column. Empty until knowledge is applied at index time.
    description: str | None = None
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class ForeignKey:
    """`columns` of the owning table reference `ref_columns` of `ref_table`."""

    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]


@dataclass(frozen=True)
class TableDoc:
    """A table's schema: what gets indexed in Qdrant and rendered into prompts."""

    name: str
    columns: tuple[ColumnDoc, ...]
    comment: str | None = None
    foreign_keys: tuple[ForeignKey, ...] = ()
    row_estimate: int | None = None
    description: str | None = None  # from the knowledge store, as for ColumnDoc
    synonyms: tuple[str, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def primary_key(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.primary_key)

    @property
    def has_knowledge(self) -> bool:
        """Whether a description or synonyms were applied to the table or a column."""
        return bool(self.description or self.synonyms) or any(
            c.description or c.synonyms for c in self.columns
        )

    def fingerprint(self) -> str:
        """Hash of everything indexed for this table; unchanged hash → nothing to re-index."""
        parts = [self.name, self.comment or ""]
        for c in self.columns:
            parts.append(
                f"{c.name}|{c.type}|{c.nullable}|{c.comment}|{c.primary_key}|{c.sample_values}"
            )
        for fk in self.foreign_keys:
            parts.append(f"fk|{fk.columns}|{fk.ref_table}|{fk.ref_columns}")
        # Knowledge only when there is some: a table without any keeps the hash it had
        # before knowledge existed, and a knowledge edit re-indexes just its table.
        if self.has_knowledge:
            parts.append(f"kn|{self.description}|{self.synonyms}")
            parts.extend(f"kn|{c.name}|{c.description}|{c.synonyms}" for c in self.columns)
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Example:
    """A reviewed question → SQL pair used as a few-shot example."""

    question: str
    sql: str


@dataclass(frozen=True)
class Note:
    """A short piece of business knowledge ("revenue means ...")."""

    text: str
    title: str = ""


@dataclass(frozen=True)
class ScoredTable:
    name: str
    score: float


# How the prompt's tables were found: searched (hybrid or sparse), the whole schema, or the
# role's core sent whole (`backend.schema_core`).
RetrievalMode = Literal["hybrid", "sparse", "full_schema", "core"]


@dataclass(frozen=True)
class Retrieval:
    """The tables chosen for a question and how they were found."""

    tables: tuple[ScoredTable, ...]
    mode: RetrievalMode
    added_for_joins: tuple[str, ...] = ()
    warning: str | None = None
    # The tables the model picked from the catalogue, when table selection ran.
    selected: tuple[str, ...] | None = None
    # The approved examples found with the tables (retrieve mode), which the prompt then
    # shows (unless every example follows a core in the prompt); None when none were
    # searched for.
    examples: tuple[Example, ...] | None = None


@dataclass(frozen=True)
class RowFilter:
    """A predicate the guard adds to every read of `table` (e.g. `region_id = 3`).

    `description`: the admin's plain words for it ("Only customers in your region are
    included."), `:user.<name>` placeholders filled like the predicate's; the answer shows
    it instead of a sentence generated from the predicate.
    """

    table: str
    predicate: str
    description: str | None = None


@dataclass(frozen=True)
class AccessPolicy:
    """What one role (or user) may read. `allowed_tables=None` means every table."""

    allowed_tables: frozenset[str] | None = None
    denied_columns: frozenset[tuple[str, str]] = frozenset()
    row_filters: tuple[RowFilter, ...] = ()

    def allows_table(self, table: str) -> bool:
        return self.allowed_tables is None or table.lower() in self.allowed_tables

    def allows_column(self, table: str, column: str) -> bool:
        return (table.lower(), column.lower()) not in self.denied_columns


UNRESTRICTED = AccessPolicy()


@dataclass(frozen=True)
class Actor:
    """Who is asking: what the guard and retrieval need to know about a user."""

    username: str
    role: str
    policy: AccessPolicy = UNRESTRICTED
    attributes: tuple[tuple[str, str], ...] = ()
    # The reader's language ('en'/'es'): what the engine's messages are meant to be read in.
    language: str = "en"
    # The data source `policy` is the policy on (`backend.sources`): an answer service of
    # another source refuses the actor, so one source's rules never guard another's data.
    source: str = "main"


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a conversation, given to the model for follow-ups."""

    question: str
    sql: str | None


@dataclass(frozen=True)
class Completion:
    """What the chat model returned, with Ollama's token counts."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True)
class AppliedRule:
    """An access rule of the asker's that shaped a result, on a table the SQL read.

    `condition` is the row filter the guard built into every read of `table` (the asker's
    `:user.<name>` values filled in), None when the table has none; `hidden_columns` are
    the table's columns the asker may not see. The page says both in plain words, so a
    filtered count is never mistaken for the company-wide one. `description` is the admin's
    wording of the row filter (placeholders filled), set only when every filter of the
    table has one: otherwise the page words the condition itself, so no filter goes unsaid.
    """

    table: str
    condition: str | None = None
    hidden_columns: tuple[str, ...] = ()
    description: str | None = None


@dataclass(frozen=True)
class CheckedSql:
    """A statement the guard accepted: `sql` is sqlglot's regenerated text, safe to run.

    `rules`: the row filters and hidden columns that applied to the tables it reads.
    """

    sql: str
    tables: frozenset[str]
    limit_applied: int | None = None
    rules: tuple[AppliedRule, ...] = ()


@dataclass(frozen=True)
class QueryResult:
    """Rows of one query. `truncated` is True when more rows existed than the cap."""

    frame: pd.DataFrame
    truncated: bool
    elapsed_s: float

    @property
    def row_count(self) -> int:
        return len(self.frame)

    @cached_property
    def shape(self) -> Profile:
        """What each column is (`backend.charts.columns.profile`), worked out once: the
        chart's choice, the summary and the figure all read it."""
        from backend.charts.columns import profile  # pandas work, not needed to import

        return profile(self.frame)


@dataclass(frozen=True)
class Attempt:
    """One try at answering: the SQL written and what went wrong, if anything."""

    sql: str | None
    error: str | None = None
    stage: Literal["generate", "check", "execute", "ok"] = "ok"
    # The error as a catalogue message, when it has one (for the reader's language).
    message: Message | None = None
    # The statement sent to the database (the guard's), None when it never got there;
    # every attempt that has one is audited.
    executed: str | None = None
    # The database's error number, when it refused or stopped the statement.
    code: int | None = None
    # 0 for the first query and its repairs; k for the k-th sampled candidate, written
    # when the answer was in doubt (`backend.candidates`).
    candidate: int = 0

    @property
    def reached_database(self) -> bool:
        return self.executed is not None


@dataclass(frozen=True)
class Draw:
    """One candidate sampled when an answer was in doubt: the model's SQL ("" when it
    wrote none) and the seconds it took to write and run it."""

    sql: str
    seconds: float = 0.0


@dataclass(frozen=True)
class Answer:
    """Everything `Engine.ask` learned: shown by the UI, printed by the CLI, scored by eval."""

    question: str
    sql: str | None
    result: QueryResult | None
    attempts: tuple[Attempt, ...] = ()
    retrieval: Retrieval | None = None
    timings: dict[str, float] = field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False
    error: str | None = None
    # The same error as a catalogue message, for the page to show in the reader's
    # language; `error` stays English for logs, the CLI and stored history.
    error_message: Message | None = None
    # The model's chart proposal (raw JSON text), when it made one; never trusted as is:
    # `backend.charts.validate_spec` checks it against the result before it is drawn.
    chart_proposal: str | None = None
    # When candidates were sampled because the first answer was in doubt: how many of the
    # queries in the vote returned this result, and how many were in the vote.
    agreement: tuple[int, int] | None = None
    # The model's SQL behind the result, before the guard's rewrite, when a vote chose it
    # among several that ran (otherwise it is the last attempt that worked).
    model_sql: str | None = None
    # The access rules that shaped the result (the guard's `CheckedSql.rules`).
    rules: tuple[AppliedRule, ...] = ()
    # Each sampled candidate, in seed order: with the attempts, what it takes to replay
    # the vote with fewer candidates (the accuracy bench measures 3 against 5 in one run).
    draws: tuple[Draw, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None and self.result is not None
