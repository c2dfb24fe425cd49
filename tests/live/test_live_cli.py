"""`keskinube index | schema search | ask` with a real model, exactly as a user runs them.

Configuration travels the way it does for a user: environment variables (DATABASE_URL,
KESKINUBE_DATA_DIR, OLLAMA_*, the first admin `ask` answers as) read by `get_settings`,
embedded Qdrant on disk under the data folder, and the engine's defaults
(`schema_mode="auto"`: the whole demo schema, then every note and example, as for the
engine tests).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from backend.config import get_settings
from backend.domain import Attempt
from cli import main
from tests.live.helpers import LIVE_TIMEOUT_S, RecordLatency, outcome, product_env_cleared
from tests.support.live_llm import LiveOllama

QUESTION = "How many customers do we have?"


def _environment(target: LiveOllama, demo_url: str, data_dir: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": demo_url,
        "KESKINUBE_DATA_DIR": str(data_dir),
        "OLLAMA_BASE_URL": target.url,
        "OLLAMA_MODEL": target.chat_model,
        "OLLAMA_EMBED_MODEL": target.embed_model,
        "OLLAMA_TIMEOUT_S": str(LIVE_TIMEOUT_S),
        # `ask` answers as a named user: the first admin, created on first use.
        "ADMIN_USERNAME": "boss",
        "ADMIN_PASSWORD": "Live-cli-Passw0rd-9",
    }


@pytest.fixture(scope="module")
def cli_env(
    live_ollama: LiveOllama, demo_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """The user's environment, with the demo database indexed by `keskinube index`."""
    env = _environment(live_ollama, demo_url, tmp_path_factory.mktemp("cli-data"))
    with product_env_cleared(tmp_path_factory.mktemp("cli-cwd")), pytest.MonkeyPatch.context() as p:
        for name, value in env.items():
            p.setenv(name, value)
        get_settings.cache_clear()
        assert main(["index", "--no-progress"]) == 0
    yield env


Keskinube = Callable[..., tuple[int, str]]


@pytest.fixture
def keskinube(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Keskinube:
    """Run `keskinube ARGS...` in-process with the user's environment: (exit code, stdout)."""
    for name, value in cli_env.items():
        monkeypatch.setenv(name, value)

    def run(*args: str) -> tuple[int, str]:
        get_settings.cache_clear()
        capsys.readouterr()
        code = main(list(args))
        return code, capsys.readouterr().out

    return run


def test_index_is_idempotent_and_says_what_it_did(keskinube: Keskinube) -> None:
    code, out = keskinube("index", "--no-progress")
    assert code == 0
    assert "0 added, 0 updated, 12 unchanged, 0 removed" in out


def test_schema_search_ranks_with_real_embeddings(keskinube: Keskinube) -> None:
    code, out = keskinube("schema", "search", "--json", "which couriers are slowest to deliver")
    assert code == 0
    ranked = json.loads(out)
    assert ranked["mode"] == "hybrid"
    assert "shipments" in [table["name"] for table in ranked["tables"]]


def test_ask_json_answers_with_the_product_defaults_then_from_the_cache(
    keskinube: Keskinube, demo_url: str, record_latency: RecordLatency
) -> None:
    started = time.perf_counter()
    code, out = keskinube("ask", "--json", QUESTION)
    seconds = time.perf_counter() - started
    first = json.loads(out)
    what = outcome(ok=first["ok"], cached=first["cached"], tries=len(first["attempts"]))
    tokens = first["prompt_tokens"], first["completion_tokens"]
    attempts = [Attempt(a["sql"], a["error"], a["stage"]) for a in first["attempts"]]
    record_latency(QUESTION, seconds, *tokens, what, attempts)
    assert code == 0, first
    assert first["ok"] and not first["cached"] and first["error"] is None
    assert first["rows"] == [[_count(demo_url, "SELECT COUNT(*) FROM customers")]]
    assert first["retrieval"]["mode"] in {"hybrid", "full_schema"}
    last = first["attempts"][-1]
    assert last["error"] is None and last["stage"] == "ok" and last["sql"]
    assert first["prompt_tokens"] > 0 and first["completion_tokens"] > 0
    # a second process finds the answer in the on-disk cache, without the model
    code, out = keskinube("ask", "--json", QUESTION)
    second = json.loads(out)
    assert code == 0 and second["cached"] and second["prompt_tokens"] == 0
    assert second["rows"] == first["rows"]


def _count(url: str, sql: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        value = conn.exec_driver_sql(sql).scalar_one()
    engine.dispose()
    return int(value)
