"""The prompt's version: one short hash of everything that shapes what the model reads.

It covers the fixed texts of the SQL prompt (`backend.prompts.template_texts`) and of the
table-selection prompt, the dialect (its notes), and the engine settings that decide what
goes into a prompt and how much of it (`PROMPT_FIELDS`). Two answers with the same hash
were asked with the same wording and the same context rules; the question, the schema's
knowledge (`Engine.knowledge_version`) and the model vary on their own.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from functools import lru_cache

from backend.engine_config import EngineConfig
from backend.prompts import template_texts
from backend.table_selection import SELECTION_SYSTEM

HASH_LENGTH = 12

# The EngineConfig fields that change a prompt's text or what it holds.
PROMPT_FIELDS = (
    "num_ctx",
    "answer_reserve_tokens",
    "schema_mode",
    "full_schema_max_tokens",
    "retrieved_schema_max_tokens",
    "retrieval_k",
    "examples_k",
    "notes_k",
    "chart_suggestions",
    "stable_context_max_tokens",
    "table_selection",
    "selection_pool",
    "catalogue_max_tokens",
)
# The others, and why they are left out: a test makes every new field take a side.
OTHER_FIELDS = {
    "database": "which database, recorded on its own",
    "row_limit": "caps the rows a query returns, not what the model reads",
    "max_retries": "how many repairs are asked for, each with the same repair wording",
    "candidates": "how many more queries are drawn from the same prompt",
    "candidate_temperature": "how those are drawn, not what they are drawn from",
}


@lru_cache(maxsize=32)
def prompt_hash(config: EngineConfig, dialect: str) -> str:
    """The prompt version of an engine with `config` on a `dialect` database (computed
    once per configuration: the config is frozen)."""
    settings = asdict(config)
    shaped = {
        "templates": [*template_texts(), SELECTION_SYSTEM],
        "dialect": dialect,
        "settings": {name: settings[name] for name in PROMPT_FIELDS},
    }
    text = json.dumps(shaped, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:HASH_LENGTH]
