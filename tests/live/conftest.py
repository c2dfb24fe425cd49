"""The `live_llm` tier: every test in this folder talks to a real model over Ollama's API.

Each test here is marked `live_llm` by `pytest_collection_modifyitems`, and the whole
folder is skipped — with the how-to-enable reason of `live_llm.skip_reason` — when the
server named by TEST_OLLAMA_URL does not answer or lacks TEST_OLLAMA_MODEL /
TEST_OLLAMA_EMBED_MODEL. The product code runs unchanged: settings → `build_services` →
`Engine`, only pointed at the TEST_ server and models. Model-backed steps are timed with
`record_latency` and listed at the end of the run.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from qdrant_client import QdrantClient

from backend.domain import Attempt
from demo_data import build_demo_database
from tests.live.helpers import (
    DEMO_ORDERS,
    LATENCIES,
    Latency,
    RecordLatency,
    attempt_lines,
    live_settings,
    product_env_cleared,
)
from tests.support.live_llm import LiveOllama
from wiring.services import Services, build_services, index_database

HERE = Path(__file__).resolve().parent


# The order the modules run in: the browser test right after the engine tests, whose
# prompt start (the whole demo schema, its notes and examples, ~6k tokens) is the one its
# question needs — still in the server's prompt cache, so it costs seconds, not minutes;
# the drafting of knowledge, the slowest, last.
MODULE_ORDER = (
    "test_live_retrieval",
    "test_live_engine",
    "test_live_browser",
    "test_live_cli",
    "test_live_knowledge",
)


@pytest.hookimpl(tryfirst=True)  # before `-m live_llm` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    live = []
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.live_llm)
            live.append(item)
    if not live:
        return
    rank = {name: n for n, name in enumerate(MODULE_ORDER)}
    first = items.index(live[0])
    others = [item for item in items if item not in live]
    live.sort(key=lambda item: rank.get(Path(item.path).stem, len(rank)))  # stable
    items[:] = [*others[:first], *live, *others[first:]]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not LATENCIES:
        return
    terminalreporter.section("live_llm latencies")
    for row in LATENCIES:
        terminalreporter.write_line(
            f"{row.seconds:6.1f} s {row.prompt_tokens:5d}+{row.completion_tokens:<4d} tok "
            f"{row.outcome:<16} {row.test}: {row.question}"
        )
        for line in row.attempts:
            terminalreporter.write_line(f"{'':>24}{line}")
    total = sum(row.seconds for row in LATENCIES)
    terminalreporter.write_line(f"{total:6.1f} s in {len(LATENCIES)} model-backed steps")


@pytest.fixture(scope="session", autouse=True)
def _live_model(live_ollama: LiveOllama) -> LiveOllama:
    """Skips every test of this folder (checked once, with the reason) without a model."""
    return live_ollama


@pytest.fixture
def record_latency(request: pytest.FixtureRequest) -> RecordLatency:
    """Adds a row to the end-of-run latency summary."""

    def record(
        question: str,
        seconds: float,
        prompt: int,
        completion: int,
        what: str,
        attempts: Sequence[Attempt],
    ) -> None:
        row = Latency(
            request.node.name, question, seconds, prompt, completion, what, attempt_lines(attempts)
        )
        LATENCIES.append(row)

    return record


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small demo sales database in SQLite (the generator behind `keskinube demo-db`)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('live-demo') / 'demo.sqlite'}"
    build_demo_database(url, orders=DEMO_ORDERS)
    return url


@pytest.fixture(scope="module")
def live_services(
    live_ollama: LiveOllama, demo_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Services]:
    """The production services on the demo database, indexed with real embeddings."""
    with product_env_cleared(tmp_path_factory.mktemp("live-cwd")):
        settings = live_settings(live_ollama, tmp_path_factory.mktemp("live-data"))
        services = build_services(settings, database_url=demo_url, qdrant=QdrantClient(":memory:"))
        index_database(services)
    yield services
    services.close()
