"""Helpers of the live tier shared by its conftest and test modules.

- `live_settings`: production settings pointed at the live server and models.
- `product_env_cleared`: no product environment variable, `.env` file or cached settings
  for module-scoped fixtures (tests/conftest.py isolates each test, but only once it runs).
- `LATENCIES` / `Latency`: model-backed steps with their attempts, listed at the end of
  the run, so a CI log shows what the model wrote.
- `GATE_RESULTS` / `GateResult`: the real-model gate's score, shown at the end of the run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from backend.config import Settings, get_settings, load_settings
from backend.domain import Attempt
from tests.support.live_llm import LiveOllama

DEMO_ORDERS = 2_000
# A cold 2.5k-token prompt on a busy 2-core CPU can take minutes; the product's 120 s
# default is meant for a dedicated Ollama.
LIVE_TIMEOUT_S = 400.0

_PRODUCT_ENV_PREFIXES = ("KESKINUBE_", "OLLAMA_", "QDRANT_")
_PRODUCT_ENV_NAMES = frozenset(
    {"DATABASE_URL", "APP_DATABASE_URL", "ROW_LIMIT", "QUERY_TIMEOUT_S", "MAX_RETRIES"}
)


@dataclass(frozen=True)
class Latency:
    """One model-backed step of a live test."""

    test: str
    question: str
    seconds: float
    prompt_tokens: int
    completion_tokens: int
    outcome: str
    attempts: tuple[str, ...] = ()


LATENCIES: list[Latency] = []


@dataclass(frozen=True)
class GateResult:
    """The real-model gate's run: its score against its floor, and what it got wrong."""

    correct: int
    questions: int
    floor: float
    seconds: float
    wrong: tuple[str, ...] = ()

    @property
    def accuracy(self) -> float:
        return self.correct / self.questions if self.questions else 0.0

    @property
    def passed(self) -> bool:
        return self.questions > 0 and self.accuracy >= self.floor


GATE_RESULTS: list[GateResult] = []
# record_latency(question, seconds, prompt_tokens, completion_tokens, outcome, attempts)
RecordLatency = Callable[[str, float, int, int, str, Sequence[Attempt]], None]


def outcome(*, ok: bool, cached: bool, tries: int) -> str:
    """A short word for the latency summary: ok, failed or cached, and the tries."""
    word = "cached" if cached else ("ok" if ok else "failed")
    return word + (f" ({tries} tries)" if tries > 1 else "")


def attempt_lines(attempts: Sequence[Attempt]) -> tuple[str, ...]:
    """Each attempt on one line: its stage, its SQL and its error, shortened."""
    lines = []
    for attempt in attempts:
        sql = " ".join((attempt.sql or "-- no SQL").split())
        error = f"  !! {' '.join(attempt.error.split())[:160]}" if attempt.error else ""
        lines.append(f"{attempt.stage}: {sql[:240]}{error}")
    return tuple(lines)


@contextmanager
def product_env_cleared(workdir: Path) -> Iterator[None]:
    """No product environment variable, `.env` file or cached settings while inside."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith(_PRODUCT_ENV_PREFIXES) or name in _PRODUCT_ENV_NAMES:
                patch.delenv(name)
        patch.chdir(workdir)
        get_settings.cache_clear()
        try:
            yield
        finally:
            get_settings.cache_clear()


def live_settings(target: LiveOllama, data_dir: Path, **overrides: object) -> Settings:
    """Production settings, pointed at the live server and models."""
    values: dict[str, object] = {
        "ollama_base_url": target.url,
        "ollama_model": target.chat_model,
        "ollama_embed_model": target.embed_model,
        "ollama_timeout_s": LIVE_TIMEOUT_S,
        "data_dir": data_dir,
    }
    return load_settings(**{**values, **overrides})
