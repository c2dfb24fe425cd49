"""The scripted tier of LLM tests: a real HTTP server that speaks Ollama's protocol.

`ScriptedOllama` listens on 127.0.0.1 (a free port) and answers the way Ollama does, so
the product's real client code — the `ollama` package, LangChain's `ChatOllama` — runs
unchanged, over real sockets, while the answers come from a script.

Writing a script::

    server = ScriptedOllama(
        rules=[
            when(contains="how many customers", reply="SELECT COUNT(*) FROM customers"),
            when(regex=r"revenue (by|per) month", replies=["SELECT bad", "SELECT good"]),
            when(contains="error:", anywhere=True, respond=lambda messages: "SELECT 1"),
        ],
        default_reply="I have no scripted answer for that.",
    )
    with server:
        model = OllamaChatModel(base_url=server.url, model=server.chat_model, ...)

- Rules are tried in order; the first that matches answers. They match the content of the
  LAST user message (where the question lives), or every message with `anywhere=True`.
  `contains` is a case-insensitive substring; `regex` uses `re.search` (case-insensitive);
  a rule with neither matches every request.
- `reply` answers the same text every time; `replies` are used in order and the last one
  repeats (a first wrong answer, then a repaired one); `respond` gets the request's
  messages (dicts with role and content) and returns the text.
- Add rules while running with `server.add(when(...))`; change `server.default_reply`.

What tests can inspect: `requests` (every request: method, path, JSON body),
`chat_requests` / `embed_requests` (bodies: messages, options such as num_ctx and
temperature, keep_alive), `chat_count`, `embed_count`, `last_chat`.

Failure knobs (plain attributes, change them at any time): `delay_s` (wait before
answering any request), `chunk_delay_s` (wait between streamed chunks), `garbage=True`
(200 answers that are not JSON), `fail_status=500` (every request gets that status with
an Ollama-style error), `stop()` (nothing listens any more: "Ollama is down"; `start()`
brings it back on the same port).

Token counts are a deterministic estimate (`estimate_tokens`: words × 1.3). Embeddings are
computed from the text (`scripted_embedding`: a normalised hashed bag of words and
character trigrams), so texts sharing words are close and a text always gets the same
vector; `set_embedding(text, like=...)` overrides one text (e.g. to make a paraphrase close).
Unknown model names get Ollama's 404 `{"error": "model 'x' not found"}`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import socket
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Messages = list[dict[str, Any]]
Responder = Callable[[Messages], str]

DEFAULT_CHAT_MODEL = "qwen2.5-coder:7b"
DEFAULT_EMBED_MODEL = "nomic-embed-text"
DEFAULT_REPLY = "I have no scripted answer for that."
EMBED_DIMS = 256
VERSION = "0.0.0-scripted"


def estimate_tokens(text: str) -> int:
    """The token count the server reports for `text`: words × 1.3, rounded up."""
    return math.ceil(len(text.split()) * 1.3)


def scripted_embedding(text: str, dims: int = EMBED_DIMS) -> list[float]:
    """A unit vector from hashed words (weight 1) and character trigrams (weight 0.35)."""
    vector = [0.0] * dims
    for feature, weight in _features(text):
        digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
        sign = 1.0 if digest[4] & 1 else -1.0
        vector[int.from_bytes(digest[:4], "little") % dims] += sign * weight
    norm = math.sqrt(sum(value * value for value in vector))
    if norm == 0.0:  # empty text: a fixed unit vector, never a zero vector
        vector[0] = 1.0
        return vector
    return [value / norm for value in vector]


def _features(text: str) -> Iterator[tuple[str, float]]:
    for word in re.findall(r"\w+", text.lower()):
        yield f"w:{word}", 1.0
        padded = f"#{word}#"
        for start in range(len(padded) - 2):
            yield f"t:{padded[start : start + 3]}", 0.35


@dataclass
class Rule:
    """One scripted answer: `matches` looks at the text, `respond` writes the reply."""

    matches: Callable[[str], bool]
    respond: Responder
    anywhere: bool = False

    def applies_to(self, messages: Messages) -> bool:
        if self.anywhere:
            return any(self.matches(str(m.get("content", ""))) for m in messages)
        users = [m for m in messages if m.get("role") == "user"]
        return self.matches(str(users[-1].get("content", ""))) if users else False


def when(
    contains: str | None = None,
    *,
    regex: str | re.Pattern[str] | None = None,
    reply: str | None = None,
    replies: Sequence[str] | None = None,
    respond: Responder | None = None,
    anywhere: bool = False,
) -> Rule:
    """A rule: give exactly one of `reply`, `replies`, `respond` (see the module docstring)."""
    if sum(x is not None for x in (reply, replies, respond)) != 1:
        raise ValueError("give exactly one of reply=, replies=, respond=")
    return Rule(_matcher(contains, regex), _responder(reply, replies, respond), anywhere)


def _matcher(contains: str | None, regex: str | re.Pattern[str] | None) -> Callable[[str], bool]:
    if regex is not None:
        pattern = re.compile(regex, re.IGNORECASE | re.DOTALL) if isinstance(regex, str) else regex
        return lambda text: pattern.search(text) is not None
    needle = (contains or "").lower()
    return lambda text: needle in text.lower()


def _responder(
    reply: str | None, replies: Sequence[str] | None, respond: Responder | None
) -> Responder:
    if respond is not None:
        return respond
    if replies is not None:
        if not replies:
            raise ValueError("replies= needs at least one reply")
        queue = list(replies)
        return lambda _messages: queue.pop(0) if len(queue) > 1 else queue[0]
    return lambda _messages: str(reply)


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received; `body` is the parsed JSON (None for GET)."""

    method: str
    path: str
    body: Any


@dataclass
class _State:
    rules: list[Rule] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    embeddings: dict[str, list[float]] = field(default_factory=dict)


class ScriptedOllama:
    """An Ollama-protocol HTTP server answering from a script (see the module docstring)."""

    def __init__(
        self,
        rules: Sequence[Rule] = (),
        *,
        default_reply: str | Responder = DEFAULT_REPLY,
        models: Sequence[str] = (DEFAULT_CHAT_MODEL, DEFAULT_EMBED_MODEL),
        embeddings: Mapping[str, str | Sequence[float]] | None = None,
        embed_dims: int = EMBED_DIMS,
    ) -> None:
        self.default_reply = default_reply
        self.models = tuple(models)
        self.embed_dims = embed_dims
        self.delay_s = 0.0
        self.chunk_delay_s = 0.0
        self.garbage = False
        self.fail_status: int | None = None
        self._state = _State(rules=list(rules))
        self._lock = threading.RLock()  # a `respond` callable may read the server
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._port = 0
        for text, like in (embeddings or {}).items():
            self.set_embedding(text, like=like)

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> ScriptedOllama:
        """Listen (again) on 127.0.0.1; the first start picks a free port, later ones reuse it."""
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", self._port), _Handler, owner=self)
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and drop open connections, as a crashed Ollama would."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.drop_connections()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> ScriptedOllama:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if not self._port:
            raise RuntimeError("ScriptedOllama has not been started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def chat_model(self) -> str:
        return self.models[0]

    @property
    def embed_model(self) -> str:
        return self.models[-1]

    # -- script --------------------------------------------------------------------------

    def add(self, *rules: Rule, first: bool = False) -> None:
        """Append rules (tried after the existing ones), or put them `first`."""
        with self._lock:
            if first:
                self._state.rules[:0] = rules
            else:
                self._state.rules.extend(rules)

    def remove(self, *rules: Rule) -> None:
        """Take rules out of the script again."""
        with self._lock:
            self._state.rules[:] = [r for r in self._state.rules if all(r is not x for x in rules)]

    def set_embedding(self, text: str, *, like: str | Sequence[float]) -> None:
        """Embed `text` as the text `like` (or as the given vector)."""
        vector = scripted_embedding(like, self.embed_dims) if isinstance(like, str) else like
        with self._lock:
            self._state.embeddings[text] = [float(value) for value in vector]

    def reply_for(self, messages: Messages) -> str:
        with self._lock:
            for rule in self._state.rules:
                if rule.applies_to(messages):
                    return rule.respond(messages)
        default = self.default_reply
        return default(messages) if callable(default) else default

    def embedding_for(self, text: str) -> list[float]:
        with self._lock:
            override = self._state.embeddings.get(text)
        return list(override) if override is not None else scripted_embedding(text, self.embed_dims)

    # -- what the server saw -------------------------------------------------------------

    def record(self, method: str, path: str, body: Any) -> None:
        with self._lock:
            self._state.requests.append(RecordedRequest(method, path, body))

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._state.requests)

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        return [r.body for r in self.requests if r.path == "/api/chat"]

    @property
    def prefill_requests(self) -> list[dict[str, Any]]:
        """Chat requests that only have the model read a prompt (one token out): warm-ups."""
        return [r for r in self.chat_requests if (r.get("options") or {}).get("num_predict") == 1]

    @property
    def embed_requests(self) -> list[dict[str, Any]]:
        return [r.body for r in self.requests if r.path in ("/api/embed", "/api/embeddings")]

    @property
    def chat_count(self) -> int:
        return len(self.chat_requests)

    @property
    def embed_count(self) -> int:
        return len(self.embed_requests)

    @property
    def last_chat(self) -> dict[str, Any]:
        chats = self.chat_requests
        if not chats:
            raise AssertionError("the scripted Ollama received no chat request")
        return chats[-1]

    def clear_requests(self) -> None:
        with self._lock:
            self._state.requests.clear()

    # -- helpers for the handler ---------------------------------------------------------

    def serves(self, name: str) -> bool:
        return _canonical(name) in {_canonical(model) for model in self.models}

    def pause(self, seconds: float) -> bool:
        """Wait `seconds`; False when the server is stopping meanwhile."""
        return seconds <= 0 or not self._stopping.wait(seconds)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(
        self, address: tuple[str, int], handler: type[_Handler], *, owner: ScriptedOllama
    ) -> None:
        self.owner = owner
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        """Close keep-alive connections too, so clients see the server gone."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up (timeouts, stop()) are expected here: stay quiet."""


class _Handler(BaseHTTPRequestHandler):
    """Routes Ollama's endpoints; the answers come from the owning `ScriptedOllama`."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two sends: with Nagle's algorithm on, every keep-alive
    # request then waits ~40 ms for the client's delayed ACK. Ollama (Go) sets TCP_NODELAY.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve("GET", None)

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        self._serve("POST", body)

    def _serve(self, method: str, body: Any) -> None:
        owner = self.server.owner
        owner.record(method, self.path, body)
        if not owner.pause(owner.delay_s):
            return
        if owner.fail_status is not None:
            return self._send(
                {"error": f"scripted failure ({owner.fail_status})"}, owner.fail_status
            )
        if owner.garbage:
            return self._send_raw(b"<html>this is not Ollama</html>\n", "text/html")
        route = _ROUTES.get((method, self.path))
        if route is None:
            return self._send({"error": f"404 page not found: {self.path}"}, 404)
        if method == "POST" and not isinstance(body, dict):
            return self._send({"error": "invalid JSON body"}, 400)
        route(self, body or {})

    # -- endpoints -----------------------------------------------------------------------

    def _root(self, _body: dict[str, Any]) -> None:
        self._send_raw(b"Ollama is running", "text/plain; charset=utf-8")

    def _version(self, _body: dict[str, Any]) -> None:
        self._send({"version": VERSION})

    def _tags(self, _body: dict[str, Any]) -> None:
        self._send({"models": [_model_entry(name) for name in self.server.owner.models]})

    def _show(self, body: dict[str, Any]) -> None:
        name = str(body.get("model") or body.get("name") or "")
        if self._unknown(name):
            return
        entry = _model_entry(name)
        self._send(
            {
                "modelfile": "",
                "parameters": "",
                "template": "{{ .Prompt }}",
                "details": entry["details"],
                "model_info": {},
                "capabilities": ["completion"],
                "modified_at": entry["modified_at"],
            }
        )

    def _chat(self, body: dict[str, Any]) -> None:
        name = str(body.get("model", ""))
        if self._unknown(name):
            return
        messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
        owner = self.server.owner
        text, reason = _limit(
            owner.reply_for(messages), (body.get("options") or {}).get("num_predict")
        )
        prompt = " ".join(str(m.get("content", "")) for m in messages)
        final = _final_fields(name, reason, estimate_tokens(prompt), estimate_tokens(text))
        if body.get("stream", True) is False:
            return self._send({**final, "message": {"role": "assistant", "content": text}})
        self._stream([_chunk(name, piece) for piece in _pieces(text)] + [final])

    def _embed(self, body: dict[str, Any]) -> None:
        name = str(body.get("model", ""))
        if self._unknown(name):
            return
        texts = body.get("input", body.get("prompt", ""))
        texts = [texts] if isinstance(texts, str) else [str(t) for t in texts or []]
        vectors = [self.server.owner.embedding_for(text) for text in texts]
        if self.path == "/api/embeddings":
            return self._send({"embedding": vectors[0] if vectors else []})
        self._send(
            {
                "model": name,
                "embeddings": vectors,
                "total_duration": 1_000_000,
                "load_duration": 0,
                "prompt_eval_count": sum(map(estimate_tokens, texts)),
            }
        )

    # -- writing -------------------------------------------------------------------------

    def _unknown(self, name: str) -> bool:
        if self.server.owner.serves(name):
            return False
        self._send({"error": f"model '{name}' not found"}, 404)
        return True

    def _send(self, payload: Any, status: int = 200) -> None:
        self._send_raw(json.dumps(payload).encode(), "application/json; charset=utf-8", status)

    def _send_raw(self, data: bytes, content_type: str, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, parts: list[dict[str, Any]]) -> None:
        """NDJSON over chunked transfer encoding, as Ollama streams."""
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        owner = self.server.owner
        for index, part in enumerate(parts):
            if index and not owner.pause(owner.chunk_delay_s):
                return
            line = json.dumps(part).encode() + b"\n"
            self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


_ROUTES: dict[tuple[str, str], Callable[[_Handler, dict[str, Any]], None]] = {
    ("GET", "/"): _Handler._root,
    ("GET", "/api/version"): _Handler._version,
    ("GET", "/api/tags"): _Handler._tags,
    ("POST", "/api/show"): _Handler._show,
    ("POST", "/api/chat"): _Handler._chat,
    ("POST", "/api/embed"): _Handler._embed,
    ("POST", "/api/embeddings"): _Handler._embed,
}


def _canonical(name: str) -> str:
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _model_entry(name: str) -> dict[str, Any]:
    canonical = _canonical(name)
    return {
        "name": canonical,
        "model": canonical,
        "modified_at": _now(),
        "size": 4_700_000_000,
        "digest": hashlib.sha256(canonical.encode()).hexdigest(),
        "details": {
            "parent_model": "",
            "format": "gguf",
            "family": "scripted",
            "families": ["scripted"],
            "parameter_size": "7B",
            "quantization_level": "Q4_K_M",
        },
    }


def _chunk(model: str, content: str) -> dict[str, Any]:
    return {
        "model": model,
        "created_at": _now(),
        "message": {"role": "assistant", "content": content},
        "done": False,
    }


def _final_fields(
    model: str, reason: str, prompt_tokens: int, output_tokens: int
) -> dict[str, Any]:
    """The last object of an answer: what ChatOllama reads usage and done_reason from."""
    return {
        **_chunk(model, ""),
        "done": True,
        "done_reason": reason,
        "total_duration": 2_000_000,
        "load_duration": 100_000,
        "prompt_eval_count": prompt_tokens,
        "prompt_eval_duration": 500_000,
        "eval_count": output_tokens,
        "eval_duration": 1_400_000,
    }


def _limit(text: str, num_predict: Any) -> tuple[str, str]:
    """Cut the reply as Ollama does at `num_predict` tokens (done_reason "length")."""
    if not isinstance(num_predict, int) or num_predict < 0 or estimate_tokens(text) <= num_predict:
        return text, "stop"
    words = re.findall(r"\S+\s*", text)
    keep = math.floor(num_predict / 1.3)
    return "".join(words[:keep]).rstrip(), "length"


def _pieces(text: str, words_per_piece: int = 3) -> list[str]:
    """Split the reply into small streamed pieces that join back to exactly `text`."""
    words = re.findall(r"\S+\s*|\s+", text) or [text]
    return ["".join(words[i : i + words_per_piece]) for i in range(0, len(words), words_per_piece)]
