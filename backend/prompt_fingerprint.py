"""A short hash of everything that decides what the SQL-writing model is shown.

Two answers, or two evaluation runs, with the same fingerprint were written from prompts
built the same way; a different fingerprint means the prompt may have changed. What goes
in:

- the code of every module that writes prompt text or decides what goes into it
  (`PROMPT_MODULES`): the templates are constants there, but much of the wording is
  inline (`prompts._render` writes "Earlier question:", `schema_render` the DDL), so the
  code is hashed, not a list of constants. Its syntax tree is hashed with docstrings
  removed, so comments, docstrings and formatting leave the fingerprint alone;
- the engine's knobs that change the prompt (`PROMPT_FIELDS`): schema mode, budgets
  (the core's too), how many tables, examples and notes, table selection, chart
  proposals. Knobs that act after the prompt (row cap, retries, candidates) are left out.

The business database's schema and knowledge are data, not prompt wording: they are
recorded apart (schema and knowledge versions, the question set's hash).
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import inspect
import json
from functools import cache

from backend.engine_config import EngineConfig

PROMPT_MODULES = (
    "backend.prompts",
    "backend.context_builder",
    "backend.schema_render",
    "backend.schema_budget",
    "backend.table_retrieval",
    "backend.example_tables",
    "backend.schema_core",
    "backend.table_selection",
    "backend.question_names",
    "backend.join_paths",
    "backend.repair_hint",
)
PROMPT_FIELDS = (
    "retrieval_k",
    "num_ctx",
    "answer_reserve_tokens",
    "schema_mode",
    "full_schema_max_tokens",
    "retrieved_schema_max_tokens",
    "core_schema_max_tokens",
    "examples_k",
    "notes_k",
    "chart_suggestions",
    "stable_context_max_tokens",
    "table_selection",
    "selection_pool",
    "catalogue_max_tokens",
    "question_names",
)
# The other EngineConfig fields, and why they are left out: a test makes every new field
# take a side.
OTHER_FIELDS = {
    "database": "which database, recorded on its own",
    "row_limit": "caps the rows a query returns, not what the model reads",
    "max_retries": "how many repairs are asked for, each with the same repair wording",
    "candidates": "how many more queries are drawn from the same prompt",
    "candidate_temperature": "how those are drawn, not what they are drawn from",
}
LENGTH = 12


@cache
def prompt_fingerprint(config: EngineConfig, dialect: str) -> str:
    """The fingerprint of the prompts an engine with `config` builds on a `dialect`
    database (whose notes the prompt carries): 12 hex digits, computed once per config."""
    knobs = {name: getattr(config, name) for name in PROMPT_FIELDS}
    shaped = json.dumps({"dialect": dialect, "knobs": knobs}, sort_keys=True)
    return hashlib.sha256((code_fingerprint() + shaped).encode()).hexdigest()[:LENGTH]


@cache
def code_fingerprint() -> str:
    """SHA-256 of the prompt-building modules' code (docstrings and comments left out)."""
    digest = hashlib.sha256()
    for name in PROMPT_MODULES:
        digest.update(name.encode())
        digest.update(source_fingerprint(inspect.getsource(importlib.import_module(name))))
    return digest.hexdigest()


def source_fingerprint(source: str) -> bytes:
    """The code of `source` without its comments, docstrings and layout, as bytes."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and _is_docstring(body[0]):
                node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree, annotate_fields=False).encode()


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )
