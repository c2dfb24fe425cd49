"""The prompt fingerprint: it follows the prompt's code and knobs, not comments or row caps."""

from __future__ import annotations

import importlib
from dataclasses import replace

import pytest

from backend.engine_config import EngineConfig
from backend.prompt_fingerprint import (
    PROMPT_FIELDS,
    PROMPT_MODULES,
    prompt_fingerprint,
    source_fingerprint,
)

CONFIG = EngineConfig(database="demo")
SOURCE = '''"""Module docstring."""
TEMPLATE = "Question: {q}"


def render(q):
    """Function docstring."""
    return TEMPLATE.format(q=q)  # a comment
'''


def test_same_config_same_fingerprint_of_twelve_hex_digits() -> None:
    value = prompt_fingerprint(CONFIG, "mysql")
    assert value == prompt_fingerprint(EngineConfig(database="another"), "mysql")
    assert value != prompt_fingerprint(CONFIG, "sqlite")  # the dialect's notes differ
    assert len(value) == 12 and int(value, 16) >= 0


@pytest.mark.parametrize(
    "change",
    [
        {"schema_mode": "retrieve"},
        {"retrieval_k": 8},
        {"full_schema_max_tokens": 3000},
        {"chart_suggestions": True},
        {"table_selection": True},
        {"examples_k": 5},
    ],
)
def test_a_knob_that_shapes_the_prompt_changes_it(change: dict[str, object]) -> None:
    assert prompt_fingerprint(replace(CONFIG, **change), "mysql") != prompt_fingerprint(
        CONFIG, "mysql"
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "change", [{"row_limit": 10}, {"max_retries": 0}, {"candidates": 5}, {"database": "x"}]
)
def test_a_knob_acting_after_the_prompt_leaves_it(change: dict[str, object]) -> None:
    assert prompt_fingerprint(replace(CONFIG, **change), "mysql") == prompt_fingerprint(
        CONFIG, "mysql"
    )  # type: ignore[arg-type]


def test_every_listed_field_and_module_exists() -> None:
    assert set(PROMPT_FIELDS) <= set(EngineConfig.__dataclass_fields__)
    for name in PROMPT_MODULES:
        importlib.import_module(name)


def test_comments_docstrings_and_layout_do_not_count_but_wording_does() -> None:
    reworded_docs = (
        SOURCE.replace("Module docstring.", "Another module docstring.")
        .replace("Function docstring.", "Rewritten.")
        .replace("  # a comment", "")
        .replace("(q=q)", "( q = q )")
    )
    assert source_fingerprint(reworded_docs) == source_fingerprint(SOURCE)
    reworded_prompt = SOURCE.replace("Question: {q}", "The question: {q}")
    assert source_fingerprint(reworded_prompt) != source_fingerprint(SOURCE)
