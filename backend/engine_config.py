"""The engine's per-database knobs: one frozen value the wiring builds from Settings.

Apart from `pipeline.py` so that the engine and the context builder it calls both read it
without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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
    # The tables the approved examples read, up to this many estimated tokens, sent whole
    # to a question about them instead of retrieved tables (`backend.schema_core`); 0: off.
    core_schema_max_tokens: int = 0
    examples_k: int = 3
    notes_k: int = 3
    # Ask the model for a chart proposal after the SQL (a few more output tokens).
    chart_suggestions: bool = False
    # With the whole schema in the prompt, every note and example goes after it when they
    # fit this many estimated tokens (0: never): see `ContextBuilder.prompt`.
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
    # In retrieve mode, the model first lists the names a database would give the things
    # the question is about, and the search reads them too (`backend.question_names`).
    question_names: bool = False
