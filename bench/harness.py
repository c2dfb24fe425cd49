"""Keskinube's engine and LangChain's SQL chain, side by side against one scripted model.

Both talk to the same `ScriptedOllama` (testkit/): a real HTTP server speaking
Ollama's protocol that answers each question at once with the SQL scripted for it, and
embeds text with a deterministic hash. So the real client code runs on both sides
(`ChatOllama`, the `ollama` package), and the time spent "in the model" is a socket round
trip, measured on each side and subtracted to get the pipeline's own overhead:

- ours: `Engine.ask` wall time minus its `generate` stage (the chat call);
- LangChain: `create_sql_query_chain(ChatOllama, SQLDatabase.from_uri(url))` + `db.run`,
  wall time minus the chat model's time (callback from start to end of the LLM call).
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler

from backend.config import load_settings
from backend.domain import Actor
from bench.synthetic import Question
from testkit import scripted_ollama
from testkit.scripted_ollama import ScriptedOllama
from wiring.services import Services, build_services, index_database

ACTOR = Actor(username="bench", role="analyst")
FALLBACK_SQL = "SELECT 1 AS one"
_QUESTION_LINE = re.compile(r"Question: (.+)")


@dataclass
class Measured:
    """One question's figures (seconds) and the prompt text the model received."""

    question: str
    wall_s: float
    model_s: float
    ok: bool
    stages: dict[str, float] = field(default_factory=dict)
    mode: str | None = None
    cached: bool = False
    prompt: str = ""
    error: str | None = None
    prompt_tables: int | None = None  # tables in our prompt (retrieved + join path)

    @property
    def overhead_s(self) -> float:
        return max(0.0, self.wall_s - self.model_s)


class SqlScript:
    """The scripted model's answers: question (case-insensitive) → SQL; add more any time.

    The question is read from the last `Question: ...` line of the request, which both our
    prompt and LangChain's end with.
    """

    def __init__(self) -> None:
        self.answers: dict[str, str] = {}

    def add(self, questions: Sequence[Question]) -> None:
        self.answers.update({q.text.strip().lower(): q.sql for q in questions})

    def __call__(self, messages: list[dict[str, Any]]) -> str:
        text = "\n".join(str(m.get("content", "")) for m in messages)
        asked = _QUESTION_LINE.findall(text)
        key = asked[-1].strip().lower() if asked else ""
        return self.answers.get(key, FALLBACK_SQL)


def scripted_server(script: SqlScript) -> ScriptedOllama:
    """A started scripted Ollama that answers from `script` at once.

    Its handler writes the HTTP headers and the body in two sends; with Nagle's algorithm
    on, each keep-alive request then stalls ~40 ms on the client's delayed ACK, which a
    real Ollama (Go's net/http sets TCP_NODELAY) never does. So the benchmark turns
    Nagle off, as the real server has it (the scripted server's handler now does so by
    default too; set here all the same, since the figures depend on it).
    """
    scripted_ollama._Handler.disable_nagle_algorithm = True
    return ScriptedOllama(default_reply=script).start()


def prompt_text(body: dict[str, Any]) -> str:
    """The text of a recorded /api/chat request: its messages' contents, in order."""
    return "\n".join(str(m.get("content", "")) for m in body.get("messages") or [])


# -- ours -----------------------------------------------------------------------------------


def keskinube(
    url: str, server: ScriptedOllama, data_dir: Path, *, qdrant: str = ":memory:"
) -> Services:
    """The production wiring (engine + answer cache) on `url`, indexed, with the scripted model."""
    settings = load_settings(
        database_url=url,
        data_dir=data_dir,
        qdrant_path=qdrant,
        qdrant_url=None,
        ollama_base_url=server.url,
        ollama_model=server.chat_model,
        ollama_embed_model=server.embed_model,
        ollama_timeout_s=30.0,
    )
    services = build_services(settings)
    index_database(services)
    return services


def ask_ours(services: Services, server: ScriptedOllama, question: str) -> Measured:
    before = server.chat_count
    started = time.perf_counter()
    answer = services.engine.ask(question, ACTOR)
    wall = time.perf_counter() - started
    chats = server.chat_requests[before:]
    return Measured(
        question=question,
        wall_s=wall,
        model_s=answer.timings.get("generate", 0.0),
        ok=answer.ok,
        stages=dict(answer.timings),
        mode=answer.retrieval.mode if answer.retrieval else None,
        cached=answer.cached,
        prompt=prompt_text(chats[0]) if chats else "",
        error=answer.error,
        prompt_tables=(
            len(answer.retrieval.tables) + len(answer.retrieval.added_for_joins)
            if answer.retrieval
            else None
        ),
    )


# -- LangChain ------------------------------------------------------------------------------


class _ModelTimer(BaseCallbackHandler):
    """Time spent inside the chat model call(s) of one chain run."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started: float | None = None

    def on_chat_model_start(self, *_args: Any, **_kwargs: Any) -> None:
        self._started = time.perf_counter()

    def on_llm_start(self, *_args: Any, **_kwargs: Any) -> None:
        self._started = time.perf_counter()

    def on_llm_end(self, *_args: Any, **_kwargs: Any) -> None:
        if self._started is not None:
            self.seconds += time.perf_counter() - self._started
            self._started = None


@dataclass
class LangChainSide:
    """`create_sql_query_chain` over `SQLDatabase.from_uri`, as its docs show it."""

    db: Any
    chain: Any
    setup_s: float


def langchain_side(url: str, server: ScriptedOllama) -> LangChainSide:
    """Build the baseline (needs langchain-classic + langchain-community, see bench/README)."""
    from langchain_classic.chains import create_sql_query_chain
    from langchain_community.utilities import SQLDatabase
    from langchain_ollama import ChatOllama

    started = time.perf_counter()
    db = SQLDatabase.from_uri(url)
    llm = ChatOllama(model=server.chat_model, base_url=server.url, temperature=0)
    chain = create_sql_query_chain(llm, db)
    return LangChainSide(db, chain, time.perf_counter() - started)


def ask_langchain(side: LangChainSide, server: ScriptedOllama, question: str) -> Measured:
    timer = _ModelTimer()
    before = server.chat_count
    started = time.perf_counter()
    error = None
    try:
        sql = side.chain.invoke({"question": question}, config={"callbacks": [timer]})
        side.db.run(sql)
    except Exception as exc:  # the baseline's failures are reported, not raised
        error = f"{type(exc).__name__}: {exc}"
    wall = time.perf_counter() - started
    chats = server.chat_requests[before:]
    return Measured(
        question=question,
        wall_s=wall,
        model_s=timer.seconds,
        ok=error is None,
        prompt=prompt_text(chats[0]) if chats else "",
        error=error,
    )


def scratch_dir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="kk-bench-")
