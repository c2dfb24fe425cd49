"""What the model server is busy with, so that a wait can be explained to the person.

A model server on a CPU answers one request at a time and keeps the start of the last
prompt it evaluated cached (Ollama's and llama.cpp's default: one slot). So a question
waits while another question, or a warm-up, is being answered; and a question whose
prompt starts differently from the last one evaluated (the first question after a start,
another role's schema) pays for reading all of it: minutes for a big schema on a CPU.

`WatchedChatModel` wraps the chat model and sends each call through `ModelActivity`, which
lets as many calls reach the server at once as it serves (one by default) and queues the
rest; `ModelActivity.wait_for(thread)` says why the call a thread is making is slow and roughly
for how long, from the seconds per prompt token measured on this server (None until a
long prompt has been measured). One `ModelActivity` per model server, shared by every
session of the process; it only counts calls made by this process.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal, Protocol

from backend.domain import Completion
from backend.prompts import estimate_tokens

WaitReason = Literal["busy", "warming", "reading"]

# A prompt start shorter than this is read in seconds: not worth a word to the person.
_READING_MIN_TOKENS = 1500
# Weight of the newest measurement in the running seconds-per-token figure.
_NEWEST_WEIGHT = 0.5


@dataclass(frozen=True)
class Wait:
    """Why a question is waiting on the model, and roughly how many seconds remain
    (None: not measured yet on this server)."""

    reason: WaitReason
    seconds_left: int | None


@dataclass
class _Call:
    thread: int
    key: str  # the prompt's start (its first message), hashed
    tokens: int  # that start's estimated size
    warm_up: bool
    cold: bool  # the server evaluates its start afresh
    began: float | None = None  # when the server began it (the calls ahead were done)


class ModelActivity:
    """The calls this process has on the model server, oldest first; at most `parallel`
    of them are sent at once (what the server works on at once: Ollama's
    OLLAMA_NUM_PARALLEL), the others wait their turn here. So a question queued behind a
    warm-up is not timed out by the time the warm-up takes: its own time limit starts
    when it is sent."""

    def __init__(self, *, parallel: int = 1, clock: Callable[[], float] = time.monotonic) -> None:
        self._parallel = max(1, parallel)
        self._clock = clock
        self._turn = threading.Condition()
        self._calls: list[_Call] = []
        self._last_key: str | None = None
        self._seconds_per_token: float | None = None

    @contextmanager
    def calling(
        self, messages: Sequence[tuple[str, str]], *, warm_up: bool = False
    ) -> Iterator[None]:
        """Wait for this call's turn, then hold it for as long as the call lasts."""
        call = self._queue(messages, warm_up=warm_up)
        done = False
        try:
            self._wait_turn(call)
            yield
            done = True
        finally:
            self._finish(call, done=done)

    @property
    def seconds_per_token(self) -> float | None:
        """Measured seconds to read one prompt token on this server (None: not yet)."""
        return self._seconds_per_token

    @property
    def pending(self) -> int:
        """Calls queued or being answered."""
        with self._turn:
            return len(self._calls)

    def wait_for(self, thread: int) -> Wait | None:
        """Why the model call `thread` is making is slow, or None when it is not."""
        with self._turn:
            mine = next((call for call in self._calls if call.thread == thread), None)
            if mine is None:
                return None
            ahead = self._calls[: self._calls.index(mine)]
            left = self._left(ahead, mine)
            if ahead:
                reason: WaitReason = "warming" if any(c.warm_up for c in ahead) else "busy"
                return Wait(reason, left)
            if mine.cold and mine.tokens >= _READING_MIN_TOKENS:
                return Wait("reading", left)
            return None

    def _left(self, ahead: list[_Call], mine: _Call) -> int | None:
        rate = self._seconds_per_token
        if rate is None:
            return None
        now = self._clock()
        seconds = 0.0
        for call in [*ahead, mine]:
            if call.cold:
                spent = now - call.began if call.began is not None else 0.0
                seconds += max(0.0, call.tokens * rate - spent)
        return round(seconds)

    def _queue(self, messages: Sequence[tuple[str, str]], *, warm_up: bool) -> _Call:
        start = messages[0][1] if messages else ""
        key = hashlib.sha256(start.encode()).hexdigest()
        with self._turn:
            # Served in order: the call before this one leaves its own start cached.
            call = _Call(
                thread=threading.get_ident(),
                key=key,
                tokens=estimate_tokens(start),
                warm_up=warm_up,
                cold=key != self._last_key,
            )
            self._last_key = key
            self._calls.append(call)
        return call

    def _wait_turn(self, call: _Call) -> None:
        with self._turn:
            self._turn.wait_for(lambda: self._calls.index(call) < self._parallel)
            call.began = self._clock()

    def _finish(self, call: _Call, *, done: bool) -> None:
        with self._turn:
            now = self._clock()
            self._calls.remove(call)
            self._turn.notify_all()
            if not done:  # failed or cut off: the server may not hold its start
                if self._last_key == call.key and not self._calls:
                    self._last_key = None
                return
            if call.cold and call.began is not None and call.tokens >= _READING_MIN_TOKENS:
                self._measure((now - call.began) / call.tokens)

    def _measure(self, seconds_per_token: float) -> None:
        old = self._seconds_per_token
        self._seconds_per_token = (
            seconds_per_token
            if old is None
            else _NEWEST_WEIGHT * seconds_per_token + (1 - _NEWEST_WEIGHT) * old
        )


class _FullChatModel(Protocol):
    model_name: str

    def complete(self, messages: Sequence[tuple[str, str]]) -> Completion: ...

    def sample(
        self, messages: Sequence[tuple[str, str]], *, temperature: float, seed: int
    ) -> Completion: ...

    def prefill(self, messages: Sequence[tuple[str, str]]) -> None: ...


class WatchedChatModel:
    """A chat model (all three ports: ChatModel, SamplingChatModel, PromptPrefiller)
    whose every call is recorded in `activity`."""

    def __init__(self, inner: _FullChatModel, activity: ModelActivity) -> None:
        self.inner = inner
        self.activity = activity
        self.model_name = inner.model_name

    def complete(self, messages: Sequence[tuple[str, str]]) -> Completion:
        with self.activity.calling(messages):
            return self.inner.complete(messages)

    def sample(
        self, messages: Sequence[tuple[str, str]], *, temperature: float, seed: int
    ) -> Completion:
        with self.activity.calling(messages):
            return self.inner.sample(messages, temperature=temperature, seed=seed)

    def prefill(self, messages: Sequence[tuple[str, str]]) -> None:
        with self.activity.calling(messages, warm_up=True):
            self.inner.prefill(messages)
