"""A recording pass-through in front of an Ollama-protocol server, and prompt-cache accounting.

`ChatRecorder` listens on a free local port and forwards every request unchanged to the
real server; for `/api/chat` it also keeps what was asked and what came back (the
messages, the reply, Ollama's `prompt_eval_count` / `eval_count` and durations, the wall
time, the load average). Pointing `OLLAMA_BASE_URL` at it captures the exact prompts both
the engine and LangChain's chain send, without touching either.

Prompt-cache accounting (`account_tokens`, after the runs, so it adds nothing to timings):
Ollama's `prompt_eval_count` counts only the tokens the server evaluated, not those served
from its prompt cache (the local shim maps llama.cpp's `timings.prompt_n` to it). The full
prompt is counted by rendering the chat template (llama.cpp `/apply-template`) and
tokenizing it (`/tokenize`), so `cached = full - prompt_eval_count`. Beside it, the
prefix shared with the previous request's prompt and reply: what a server that keeps
only the last prompt (Ollama with one slot) could reuse. The llama.cpp server here also
keeps earlier prompts in RAM (`cache_ram_mib`, 8 GiB by default) and restores the best
match, so it can serve more from cache than Ollama would.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx

_HOP_HEADERS = {"connection", "transfer-encoding", "keep-alive", "content-length"}


@dataclass
class ChatCall:
    """One `/api/chat` exchange as it went through the recorder."""

    messages: list[dict[str, str]]
    started: float
    seconds: float
    load_1m: float
    reply: str = ""
    prompt_eval_count: int = 0
    eval_count: int = 0
    prompt_eval_s: float = 0.0
    eval_s: float = 0.0
    status: int = 200
    tokens: dict[str, int | None] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "started": round(self.started, 3),
            "seconds": round(self.seconds, 3),
            "load_1m": round(self.load_1m, 2),
            "status": self.status,
            "prompt_eval_count": self.prompt_eval_count,
            "eval_count": self.eval_count,
            "prompt_eval_s": round(self.prompt_eval_s, 3),
            "eval_s": round(self.eval_s, 3),
            **self.tokens,
        }


class ChatRecorder:
    """Forward everything to `upstream`; record `/api/chat` exchanges in `calls`."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.calls: list[ChatCall] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> ChatRecorder:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def since(self, start: int) -> list[ChatCall]:
        with self._lock:
            return self.calls[start:]

    def forward(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> Any:
        conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=3600)
        conn.request(method, path, body=body or None, headers=headers)
        response = conn.getresponse()
        data = response.read()  # the whole answer: timings are taken around this
        conn.close()
        return response.status, response.getheaders(), data

    def record_chat(
        self, request: bytes, status: int, data: bytes, started: float, seconds: float, load: float
    ) -> None:
        body = json.loads(request or b"{}")
        call = ChatCall(list(body.get("messages", [])), started, seconds, load, status=status)
        for line in data.splitlines():
            if not line.strip():
                continue
            event = json.loads(line)
            call.reply += (event.get("message") or {}).get("content") or ""
            if event.get("done"):
                call.prompt_eval_count = int(event.get("prompt_eval_count") or 0)
                call.eval_count = int(event.get("eval_count") or 0)
                call.prompt_eval_s = (event.get("prompt_eval_duration") or 0) / 1e9
                call.eval_s = (event.get("eval_duration") or 0) / 1e9
        with self._lock:
            self.calls.append(call)


def _handler_for(recorder: ChatRecorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: object) -> None:
            pass

        def _relay(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {"Content-Type": self.headers.get("Content-Type", "application/json")}
            started, load = time.time(), os.getloadavg()[0]
            clock = time.perf_counter()
            status, upstream_headers, data = recorder.forward(method, self.path, body, headers)
            seconds = time.perf_counter() - clock
            if method == "POST" and self.path == "/api/chat":
                recorder.record_chat(body, status, data, started, seconds, load)
            self.send_response(status)
            for name, value in upstream_headers:
                if name.lower() not in _HOP_HEADERS:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._relay("GET")

        def do_POST(self) -> None:
            self._relay("POST")

    return Handler


class LlamaTokenizer:
    """The chat template and tokenizer of the llama.cpp server behind the shim."""

    def __init__(self, url: str, timeout_s: float = 600.0) -> None:
        self.url = url.rstrip("/")
        self._client = httpx.Client(timeout=timeout_s)

    def available(self) -> bool:
        try:
            return bool(self.tokens("SELECT 1"))
        except httpx.HTTPError:
            return False

    def templated(self, messages: list[dict[str, str]]) -> str:
        """The prompt text the server evaluates: the chat template with the reply opener."""
        response = self._client.post(f"{self.url}/apply-template", json={"messages": messages})
        response.raise_for_status()
        return str(response.json()["prompt"])

    def tokens(self, text: str) -> list[int]:
        response = self._client.post(f"{self.url}/tokenize", json={"content": text})
        response.raise_for_status()
        return list(response.json()["tokens"])

    def flush_slot(self) -> bool:
        """Make the next prompt cold: fill the server's slot with an unrelated prompt.

        (The llama.cpp build here refuses `/slots/0?action=erase`.) Its RAM cache may
        still hold earlier prompts; the first question of a run has never been seen there.
        """
        body = {
            "messages": [{"role": "system", "content": "flush"}, {"role": "user", "content": "x"}],
            "max_tokens": 1,
            "temperature": 0,
        }
        try:
            response = self._client.post(f"{self.url}/v1/chat/completions", json=body)
            response.raise_for_status()
        except httpx.HTTPError as exc:  # a busy shared server: its other prompt evicts ours too
            print(f"slot flush skipped: {exc!r}", flush=True)
            return False
        return True

    def replay(self, conversations: list[list[dict[str, str]]], lengths: list[int]) -> list[Any]:
        """Send each prompt straight to llama.cpp, in order; its `timings` for each."""
        found = []
        for messages, length in zip(conversations, lengths, strict=True):
            body = {
                "messages": messages,
                "max_tokens": max(1, length),
                "temperature": 0,
                "seed": 0,
                "ignore_eos": True,
            }
            response = self._client.post(f"{self.url}/v1/chat/completions", json=body)
            response.raise_for_status()
            found.append(response.json()["timings"])
        return found


def common_prefix(a: list[int], b: list[int]) -> int:
    size = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        size += 1
    return size


def account_tokens(calls: list[ChatCall], tokenizer: LlamaTokenizer) -> None:
    """Fill each call's `tokens`: full prompt, cached (measured), shared with the previous.

    `calls` must be in the order the server saw them (one run, nothing else in between).
    """
    previous: list[int] = []
    for call in calls:
        text = tokenizer.templated(call.messages)
        tokens = tokenizer.tokens(text)
        full = len(tokens)
        shared = common_prefix(previous, tokens)
        call.tokens = {
            "prompt_tokens_full": full,
            "prompt_tokens_evaluated": call.prompt_eval_count,
            "prompt_tokens_cached": max(0, full - call.prompt_eval_count),
            "prefix_shared_with_previous": shared,
            "diverges_at": _where(text, tokenizer, tokens, shared),
        }
        previous = tokens + tokenizer.tokens(call.reply)


def _where(text: str, tokenizer: LlamaTokenizer, tokens: list[int], shared: int) -> str:
    """Which part of the engine's prompt the shared prefix ends in (by the part's heading)."""
    if shared >= len(tokens):
        return "end"
    # Characters covered by the shared tokens: detokenizing is not needed, the headings
    # are found by re-tokenizing the text before each one.
    marks = [
        ("schema", "\nSchema:\n"),
        ("examples", "Examples of questions and their SQL:"),
        ("notes", "Business notes:"),
        ("conversation", "This question may follow up"),
        ("question", "\nQuestion: "),
        ("assistant turn", "<|im_start|>assistant"),
    ]
    found = "instructions"
    for name, heading in marks:
        # The examples hold "Question:" lines too: the asked question is the last one.
        at = text.rfind(heading) if name in {"question", "assistant turn"} else text.find(heading)
        if at < 0:
            continue
        if len(tokenizer.tokens(text[:at])) <= shared:
            found = name
    return found
