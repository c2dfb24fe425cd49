"""Ollama adapters: the chat model that writes SQL, the embedder, and a health check.

`OllamaChatModel` and `OllamaEmbedder` implement the `ChatModel` and `Embedder` ports.
Every failure of the HTTP conversation with Ollama (down, model not pulled, too slow, an
HTTP error, an unreadable answer) becomes `ModelUnavailable` / `EmbeddingsUnavailable`
whose message tells the user what to do, as a catalogue `Message` (`engine.ollama.*`:
English and Spanish; `str()` is English); the full detail goes to the log.

`check_ollama` answers "is Ollama up, and are these models pulled?" for the UI sidebar
and records the model digests for evaluation runs.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any, cast

import httpx
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
)
from langchain_ollama import ChatOllama
from ollama import Client, ResponseError

from backend.domain import Completion
from backend.errors import EmbeddingsUnavailable, ModelUnavailable
from backend.i18n.message import Message

_log = logging.getLogger(__name__)

_ROLES: dict[str, type[BaseMessage]] = {
    "system": SystemMessage,
    "user": HumanMessage,
    "assistant": AIMessage,
}


class _Overdue(Exception):
    """The whole answer took longer than the timeout (each chunk arrived in time)."""


# Everything the HTTP conversation with Ollama can raise: transport errors and timeouts
# (httpx), the ollama client's own errors, and parse/validation errors (ValueError covers
# json and pydantic) from an answer that is not Ollama's protocol.
_FAILURES: tuple[type[BaseException], ...] = (
    httpx.HTTPError,
    ConnectionError,
    ResponseError,
    _Overdue,
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
)


class OllamaChatModel:
    """The `ChatModel` port on Ollama's `/api/chat`, through LangChain's `ChatOllama`.

    `timeout_s` bounds the whole answer (the ollama client's own timeout only bounds each
    wait for the next chunk). `num_ctx` is always sent: Ollama silently truncates prompts
    longer than its default context. `prefill` (the `PromptPrefiller` port) waits up to
    `prefill_timeout_s`: a cold prompt of the whole schema with its notes and examples
    takes minutes on a CPU, and nobody is waiting on it.
    """

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        num_ctx: int,
        timeout_s: float,
        keep_alive: str | int,
        temperature: float = 0.0,
        seed: int = 0,
        num_predict: int = 512,
        prefill_timeout_s: float = 900.0,
    ) -> None:
        self.model_name = model
        self._base_url = base_url.rstrip("/")
        self._timeout_s = timeout_s
        common = {
            "model": model,
            "base_url": self._base_url,
            "num_ctx": num_ctx,
            "keep_alive": keep_alive,
            "temperature": temperature,
            "seed": seed,
        }
        self._chat = ChatOllama(
            **common, num_predict=num_predict, client_kwargs={"timeout": timeout_s}
        )
        self._prefill_timeout_s = prefill_timeout_s
        self._prefill_chat = ChatOllama(
            **common, num_predict=1, client_kwargs={"timeout": prefill_timeout_s}
        )

    def complete(self, messages: Sequence[tuple[str, str]]) -> Completion:
        """Send (role, content) pairs; return the answer and Ollama's token counts."""
        return self._complete(messages, self._chat)

    def sample(
        self, messages: Sequence[tuple[str, str]], *, temperature: float, seed: int
    ) -> Completion:
        """The `SamplingChatModel` port: the same request drawn at `temperature`."""
        chat = self._chat.model_copy(update={"temperature": temperature, "seed": seed})
        return self._complete(messages, chat)

    def _complete(self, messages: Sequence[tuple[str, str]], chat: ChatOllama) -> Completion:
        prompt = [_to_message(role, content) for role, content in messages]
        try:
            reply = self._collect(prompt, chat)
        except _FAILURES as exc:
            _log_failure("chat", self.model_name, self._base_url, exc)
            raise ModelUnavailable(self._explain(exc)) from exc
        if reply.response_metadata.get("done_reason") == "length":
            _log.warning("Ollama cut the answer of %s at num_predict tokens", self.model_name)
        prompt_tokens, completion_tokens = _token_counts(reply)
        return Completion(
            text=str(reply.text),
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
        )

    def prefill(self, messages: Sequence[tuple[str, str]]) -> None:
        """Evaluate `messages` and generate one token: the server keeps the prompt cached."""
        prompt = [_to_message(role, content) for role, content in messages]
        try:
            self._prefill_chat.invoke(prompt)
        except _FAILURES as exc:
            _log_failure("prefill", self.model_name, self._base_url, exc)
            where = {"base_url": self._base_url, "model": self.model_name}
            explained = _explain(exc, **where, timeout_s=self._prefill_timeout_s)
            raise ModelUnavailable(explained) from exc

    def _collect(self, prompt: list[BaseMessage], chat: ChatOllama) -> AIMessageChunk:
        """Stream the answer and join its chunks, giving up once the deadline passes."""
        deadline = time.monotonic() + self._timeout_s
        chunks = cast("Generator[AIMessageChunk, None, None]", chat.stream(prompt))
        reply: AIMessageChunk | None = None
        try:
            for chunk in chunks:
                reply = chunk if reply is None else reply + chunk
                if time.monotonic() > deadline:
                    raise _Overdue
        finally:
            chunks.close()  # closes the HTTP response when we stop early
        if reply is None:
            raise ValueError("Ollama sent an empty stream")
        return reply

    def _explain(self, exc: BaseException) -> Message:
        return _explain(
            exc, base_url=self._base_url, model=self.model_name, timeout_s=self._timeout_s
        )


class OllamaEmbedder:
    """The `Embedder` port on Ollama's `/api/embed` (one request per batch)."""

    def __init__(
        self, *, base_url: str, model: str, timeout_s: float, keep_alive: str | int
    ) -> None:
        self.model_name = model
        self._base_url = base_url.rstrip("/")
        self._timeout_s = timeout_s
        self._keep_alive = keep_alive
        self._client = Client(host=self._base_url, timeout=timeout_s)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order."""
        if not texts:
            return []
        try:
            response = self._client.embed(
                model=self.model_name, input=list(texts), keep_alive=self._keep_alive
            )
            vectors = [[float(value) for value in vector] for vector in response.embeddings]
            _check_vectors(vectors, expected=len(texts))
        except _FAILURES as exc:
            _log_failure("embed", self.model_name, self._base_url, exc)
            message = _explain(
                exc, base_url=self._base_url, model=self.model_name, timeout_s=self._timeout_s
            )
            raise EmbeddingsUnavailable(message) from exc
        return vectors


@dataclass(frozen=True)
class OllamaHealth:
    """What `check_ollama` found. `models`/`digests` are keyed by the names asked for."""

    reachable: bool
    version: str | None
    models: dict[str, bool]
    digests: dict[str, str | None]
    message: Message | None = None  # what is wrong and what to do; `str()` is English

    @property
    def ok(self) -> bool:
        """Ollama answers and every model asked for is pulled."""
        return self.reachable and all(self.models.values())


def check_ollama(*, base_url: str, models: Sequence[str], timeout_s: float = 3.0) -> OllamaHealth:
    """Ask Ollama for its version and pulled models; never raises for a down server.

    `name` and `name:latest` are the same model, as in Ollama itself.
    """
    base_url = base_url.rstrip("/")
    try:
        with httpx.Client(base_url=base_url, timeout=timeout_s) as client:
            version = _get_json(client, "/api/version").get("version")
            pulled = _pulled_digests(_get_json(client, "/api/tags"))
    except _FAILURES as exc:
        _log.info("Ollama health check at %s failed: %r", base_url, exc)
        return OllamaHealth(
            reachable=False,
            version=None,
            models=dict.fromkeys(models, False),
            digests=dict.fromkeys(models),
            message=_explain_health(exc, base_url=base_url, timeout_s=timeout_s),
        )
    found = {name: _canonical(name) in pulled for name in models}
    missing = [name for name, ok in found.items() if not ok]
    return OllamaHealth(
        reachable=True,
        version=str(version) if version is not None else None,
        models=found,
        digests={name: pulled.get(_canonical(name)) for name in models},
        message=_missing_message(missing, base_url) if missing else None,
    )


def _to_message(role: str, content: str) -> BaseMessage:
    try:
        return _ROLES[role](content=content)
    except KeyError:
        raise ValueError(f"unknown chat role {role!r}; use system, user or assistant") from None


def _token_counts(reply: AIMessageChunk) -> tuple[int, int]:
    """Ollama's prompt_eval_count / eval_count, from LangChain's usage or the raw metadata."""
    usage = reply.usage_metadata
    if usage:
        return usage["input_tokens"], usage["output_tokens"]
    meta = reply.response_metadata
    return int(meta.get("prompt_eval_count") or 0), int(meta.get("eval_count") or 0)


def _check_vectors(vectors: list[list[float]], *, expected: int) -> None:
    if len(vectors) != expected or any(not vector for vector in vectors):
        raise ValueError(f"expected {expected} non-empty vectors, got {len(vectors)}")


def _log_failure(action: str, model: str, base_url: str, exc: BaseException) -> None:
    """One line for the usual failures (down, slow, HTTP error); a traceback for the rest."""
    expected = isinstance(exc, httpx.TransportError | ConnectionError | ResponseError | _Overdue)
    _log.warning(
        "Ollama %s with %s at %s failed: %r",
        action,
        model,
        base_url,
        exc,
        exc_info=None if expected else exc,
    )


def _explain(exc: BaseException, *, base_url: str, model: str, timeout_s: float) -> Message:
    """The message a user can act on, for a failed chat or embed call."""
    unreachable = Message.of("engine.ollama.unreachable", url=base_url, model=model)
    seconds = f"{timeout_s:g}"
    if isinstance(exc, httpx.ConnectTimeout):
        return Message.of("engine.ollama.no_answer_within", problem=unreachable, seconds=seconds)
    if isinstance(exc, httpx.TimeoutException | _Overdue):
        return Message.of("engine.ollama.too_slow", url=base_url, model=model, seconds=seconds)
    if isinstance(exc, httpx.ConnectError | ConnectionError):
        return unreachable
    if isinstance(exc, ResponseError):
        return _explain_response_error(exc, base_url=base_url, model=model)
    if isinstance(exc, httpx.TransportError):
        return Message.of("engine.ollama.broke_off", url=base_url)
    return Message.of("engine.ollama.unreadable", url=base_url)


def _explain_response_error(exc: ResponseError, *, base_url: str, model: str) -> Message:
    detail = _short(str(exc.error))
    status = exc.status_code
    where = {"url": base_url, "model": model}
    if status == 404 and "not found" in detail.lower() and "model" in detail.lower():
        return Message.of("engine.ollama.not_pulled", **where)
    if status == 404:
        return Message.of("engine.ollama.http_404", url=base_url, detail=detail)
    if status < 0:
        return Message.of("engine.ollama.model_error", **where, detail=detail)
    if status >= 500:
        return Message.of("engine.ollama.server_error", **where, status=status, detail=detail)
    return Message.of("engine.ollama.refused", **where, status=status, detail=detail)


def _explain_health(exc: BaseException, *, base_url: str, timeout_s: float) -> Message:
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | ConnectionError):
        return Message.of("engine.ollama.health.unreachable", url=base_url)
    if isinstance(exc, httpx.TimeoutException):
        return Message.of("engine.ollama.health.timeout", url=base_url, seconds=f"{timeout_s:g}")
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        return Message.of("engine.ollama.health.http", url=base_url, status=status)
    return Message.of("engine.ollama.health.not_ollama", url=base_url)


def _missing_message(missing: Sequence[str], base_url: str) -> Message:
    pulls = " && ".join(f"ollama pull {name}" for name in missing)
    return Message.of(
        "engine.ollama.health.missing", url=base_url, models=", ".join(missing), pulls=pulls
    )


def _get_json(client: httpx.Client, path: str) -> dict[str, Any]:
    response = client.get(path)
    response.raise_for_status()
    body = response.json()
    if not isinstance(body, dict):
        raise ValueError(f"{path} answered {type(body).__name__}, not an object")
    return body


def _pulled_digests(tags: dict[str, Any]) -> dict[str, str | None]:
    """Canonical model name → digest (None when Ollama gives none), from /api/tags."""
    pulled: dict[str, str | None] = {}
    for entry in tags["models"]:
        name = entry.get("model") or entry.get("name")
        if name:
            pulled[_canonical(str(name))] = entry.get("digest") or None
    return pulled


def _canonical(name: str) -> str:
    """`llama3` and `llama3:latest` name the same model; a registry path keeps its tag."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def _short(text: str, limit: int = 200) -> str:
    """One line of an error text from the server, cut to `limit` characters."""
    line = re.sub(r"\s+", " ", text).strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"
