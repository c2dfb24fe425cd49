"""Pytest fixtures for both LLM test tiers: the scripted server and the live model.

Register once in tests/conftest.py: `pytest_plugins = ["tests.support.fixtures_ollama"]`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from testkit.scripted_ollama import ScriptedOllama
from tests.support.live_llm import live_ollama

__all__ = ["live_ollama", "scripted_ollama"]


@pytest.fixture
def scripted_ollama() -> Iterator[ScriptedOllama]:
    """A fresh scripted Ollama for one test; script it with `scripted_ollama.add(when(...))`."""
    with ScriptedOllama() as server:
        yield server
