"""The LangChain baseline: `create_sql_query_chain` over `SQLDatabase.from_uri`.

This is how LangChain's own tutorial answers questions with SQL: every table's CREATE
statement and three sample rows in one prompt, the question, and the model's text taken
as the query. It runs with the same Ollama model and options as the engine (temperature
0, seed 0, the same num_ctx, num_predict and keep_alive), and its SQL runs through the
same read-only runner (no guard: the runner's read-only transaction is the safety). Its
output is cleaned as a fair user would: a leading "SQLQuery:" is dropped and the SQL is
pulled out of fences and prose with `extract_sql`, the engine's own extractor.

Two choices, documented in the run record: `top_k` (the chain's "query for at most k
results" instruction) is the eval's row limit rather than LangChain's default 5, so the
baseline is not told to cut answers the gold set expects in full; and follow-up
questions get the earlier questions prepended as text, since the chain has no
conversation input.

Needs `langchain-community` (which brings `langchain-classic`): an optional dev extra,
imported only when the baseline is asked for.
"""

from __future__ import annotations

import re
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from backend.errors import KeskinubeError
from backend.sql_extract import extract_sql

NAME = "langchain"
PACKAGES = ("langchain-classic", "langchain-community", "langchain-core", "langchain-ollama")
INSTALL_HINT = (
    "the LangChain baseline needs langchain-community and langchain-classic: "
    "`pip install -r requirements-dev.txt`"
)
_SQLQUERY_PREFIX = re.compile(r"^\s*\**\s*SQL\s*Query\s*\**\s*:\s*\**\s*", re.IGNORECASE)
# The chain's prompt format continues with these; the SQL ends where they start.
_AFTER_SQL = re.compile(r"^\s*\**\s*(?:SQL\s*Result|Answer)\s*\**\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class ModelSettings:
    """The Ollama model and options both systems use."""

    base_url: str
    model: str
    num_ctx: int
    timeout_s: float
    keep_alive: str | int
    num_predict: int = 512
    seed: int = 0


@dataclass(frozen=True)
class BaselineOutput:
    """What the chain wrote, the SQL taken from it, its token counts and time."""

    text: str
    sql: str | None
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    error: str | None = None


def available() -> str | None:
    """None when the baseline can run; otherwise what to install."""
    try:
        _import_langchain()
    except ImportError:
        return INSTALL_HINT
    return None


def _import_langchain() -> tuple[Any, Any]:
    """`create_sql_query_chain` and `SQLDatabase`.

    langchain-community warns on import that it is being sunset; the baseline is
    LangChain's documented tutorial chain, which still lives there, so the warning is
    silenced here rather than printed on every eval.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from langchain_classic.chains import create_sql_query_chain
        from langchain_community.utilities import SQLDatabase
    return create_sql_query_chain, SQLDatabase


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def clean_sql(text: str) -> str | None:
    """The SQL in the chain's answer: without "SQLQuery:", fences or trailing prose."""
    lines = []
    for line in text.strip().splitlines():
        if _AFTER_SQL.match(line):
            break
        lines.append(_SQLQUERY_PREFIX.sub("", line, count=1))
    return extract_sql("\n".join(lines))


def question_text(question: str, earlier: Sequence[str]) -> str:
    """The chain's input: a follow-up carries the earlier questions as plain text."""
    if not earlier:
        return question
    history = "\n".join(f"Earlier question: {text}" for text in earlier)
    return f"{history}\nFollow-up question: {question}"


class LangChainBaseline:
    """One database's chain; `generate` never raises for a model or parsing failure."""

    def __init__(self, *, database_url: str, model: ModelSettings, top_k: int) -> None:
        missing = available()
        if missing:
            raise KeskinubeError(missing)
        from langchain_ollama import ChatOllama

        create_sql_query_chain, SQLDatabase = _import_langchain()

        self._db = SQLDatabase.from_uri(database_url)
        llm = ChatOllama(
            model=model.model,
            base_url=model.base_url,
            temperature=0.0,
            seed=model.seed,
            num_ctx=model.num_ctx,
            num_predict=model.num_predict,
            keep_alive=model.keep_alive,
            client_kwargs={"timeout": model.timeout_s},
        )
        self._chain: Any = create_sql_query_chain(llm, self._db, k=top_k)

    def generate(self, question: str) -> BaselineOutput:
        from langchain_core.callbacks import get_usage_metadata_callback

        started = time.perf_counter()
        try:
            with get_usage_metadata_callback() as usage:
                text = str(self._chain.invoke({"question": question}))
        except Exception as exc:  # the chain wraps many client errors; record, go on
            seconds = time.perf_counter() - started
            return BaselineOutput("", None, 0, 0, seconds, error=f"{type(exc).__name__}: {exc}")
        seconds = time.perf_counter() - started
        prompt = sum(u.get("input_tokens", 0) for u in usage.usage_metadata.values())
        completion = sum(u.get("output_tokens", 0) for u in usage.usage_metadata.values())
        return BaselineOutput(text, clean_sql(text), prompt, completion, seconds)

    def close(self) -> None:
        self._db._engine.dispose()
