"""The `live_llm` test tier: a real model behind Ollama's API, or a clear skip.

Which server and models: TEST_OLLAMA_URL (default http://127.0.0.1:11434),
TEST_OLLAMA_MODEL (default qwen2.5-coder:1.5b), TEST_OLLAMA_EMBED_MODEL (default
all-minilm) — the names `../shared/llm/start.sh` serves. Tests of this tier are marked
`@pytest.mark.live_llm` and take the `live_ollama` fixture, which skips them (saying how to
enable the tier) when the server does not answer or lacks a model.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import pytest

from backend.adapters.ollama import OllamaHealth, check_ollama

DEFAULT_URL = "http://127.0.0.1:11434"
DEFAULT_MODEL = "qwen2.5-coder:1.5b"
DEFAULT_EMBED_MODEL = "all-minilm"


@dataclass(frozen=True)
class LiveOllama:
    """Where the live tier's model runs, and the model digests found there."""

    url: str
    chat_model: str
    embed_model: str
    health: OllamaHealth | None = None


def live_target(environ: Mapping[str, str] | None = None) -> LiveOllama:
    """The server and models named by TEST_OLLAMA_* (or the defaults)."""
    env = os.environ if environ is None else environ
    return LiveOllama(
        url=(env.get("TEST_OLLAMA_URL") or DEFAULT_URL).rstrip("/"),
        chat_model=env.get("TEST_OLLAMA_MODEL") or DEFAULT_MODEL,
        embed_model=env.get("TEST_OLLAMA_EMBED_MODEL") or DEFAULT_EMBED_MODEL,
    )


def skip_reason(target: LiveOllama, health: OllamaHealth) -> str | None:
    """Why the live tier cannot run against `target` (None when it can)."""
    if health.ok:
        return None
    pulls = " and ".join(
        f"`ollama pull {name}`" for name, pulled in health.models.items() if not pulled
    )
    problem = health.message or "the models are not all served"
    return (
        f"live_llm tier disabled: {problem}. Enable it: run "
        f'`eval "$(../shared/llm/start.sh)"`, or point TEST_OLLAMA_URL at an Ollama '
        f"with {pulls or 'the models'} (models set by TEST_OLLAMA_MODEL / "
        "TEST_OLLAMA_EMBED_MODEL)"
    )


def check_live(target: LiveOllama | None = None, *, timeout_s: float = 3.0) -> LiveOllama:
    """Check the live server once; `pytest.skip` with a how-to when it cannot be used."""
    target = target or live_target()
    health = check_ollama(
        base_url=target.url, models=[target.chat_model, target.embed_model], timeout_s=timeout_s
    )
    reason = skip_reason(target, health)
    if reason:
        pytest.skip(reason)
    return LiveOllama(target.url, target.chat_model, target.embed_model, health)


@pytest.fixture(scope="session")
def live_ollama() -> LiveOllama:
    """The live model's server and names; skips the test when it is unavailable."""
    return check_live()
