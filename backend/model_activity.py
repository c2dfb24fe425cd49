"""What the model server is busy with, so that a wait can be explained to the person.

A model server on a CPU answers one request at a time, and a prompt whose start it has
not cached costs reading all of it: minutes for a big schema. Servers differ in what they
keep: Ollama keeps the last start per slot, a recent llama.cpp server also keeps earlier
starts in memory. `ModelActivity` assumes the first and learns the second: a start it
expected to read afresh that comes back at once shows the server keeps more.

`WatchedChatModel` wraps the chat model and sends each call through `ModelActivity`,
which lets as many calls reach the server at once as it serves (`parallel`, one by
default) and queues the rest: questions first, then warm-ups someone is waiting on (at
login), then background warm-ups (at start), each class in arrival order; a call already
sent is never overtaken. So a question is not timed out by a warm-up queued ahead of it.
`wait_for(thread)` says why the call a thread is making is slow and roughly for how long,
from the seconds per prompt token measured on this server (None until measured). One
`ModelActivity` per model server, shared by every session of the process; it only knows
the calls made by this process.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal, Protocol

from backend.domain import Completion
from backend.prompts import estimate_tokens

WaitReason = Literal["busy", "warming", "reading"]

QUESTION, WARM_UP, BACKGROUND = 0, 1, 2  # call priorities, most urgent first
# A prompt start shorter than this is read in seconds: not worth a word to the person.
_READING_MIN_TOKENS = 1500
# Weight of the newest measurement in the running seconds-per-token figure.
_NEWEST_WEIGHT = 0.5
# A start expected to be read afresh that comes back within this share of the expected
# time was served from the server's cache: the server keeps more than its last start.
_CACHED_SHARE = 0.2


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
    priority: int
    order: int
    cold: bool = False  # expected to be read afresh (decided when sent)
    began: float | None = None  # when it was sent

    @property
    def warm_up(self) -> bool:
        return self.priority != QUESTION


class ModelActivity:
    """The calls this process has on the model server: sent ones, then queued ones."""

    def __init__(self, *, parallel: int = 1, clock: Callable[[], float] = time.monotonic) -> None:
        self._parallel = max(1, parallel)
        self._clock = clock
        self._turn = threading.Condition()
        self._calls: list[_Call] = []
        self._numbers = itertools.count()
        self._last_key: str | None = None  # the start of the call sent last
        self._seen: set[str] = set()  # starts the server has read for this process
        self._keeps_many = False  # learned: the server keeps earlier starts too
        self._seconds_per_token: float | None = None
        self._local = threading.local()

    @contextmanager
    def calling(
        self, messages: Sequence[tuple[str, str]], *, warm_up: bool = False
    ) -> Iterator[None]:
        """Wait for this call's turn, then hold it for as long as the call lasts."""
        priority = getattr(self._local, "priority", WARM_UP) if warm_up else QUESTION
        call = self._queue(messages, priority)
        done = False
        try:
            self._wait_turn(call)
            yield
            done = True
        finally:
            self._finish(call, done=done)

    @contextmanager
    def in_background(self) -> Iterator[None]:
        """Warm-ups made by this thread meanwhile wait behind everything else."""
        self._local.priority = BACKGROUND
        try:
            yield
        finally:
            del self._local.priority

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
            line = self._line()
            ahead = line[: line.index(mine)]
            left = self._left(line, mine)
            if ahead:
                reason: WaitReason = "warming" if any(c.warm_up for c in ahead) else "busy"
                return Wait(reason, left)
            if self._expect_cold(mine) and mine.tokens >= _READING_MIN_TOKENS:
                return Wait("reading", left)
            return None

    def _line(self) -> list[_Call]:
        """Sent calls, then queued ones in the order they will be sent."""
        sent = [call for call in self._calls if call.began is not None]
        queued = sorted(
            (call for call in self._calls if call.began is None),
            key=lambda call: (call.priority, call.order),
        )
        return sent + queued

    def _expect_cold(self, call: _Call, after: str | None = None) -> bool:
        if call.began is not None:
            return call.cold
        previous = self._last_key if after is None else after
        return call.key != previous and not (self._keeps_many and call.key in self._seen)

    def _left(self, line: list[_Call], mine: _Call) -> int | None:
        rate = self._seconds_per_token
        if rate is None:
            return None
        now, seconds, previous = self._clock(), 0.0, self._last_key
        for call in line[: line.index(mine) + 1]:
            if self._expect_cold(call, previous):
                spent = now - call.began if call.began is not None else 0.0
                seconds += max(0.0, call.tokens * rate - spent)
            if call.began is None:
                previous = call.key
        return round(seconds)

    def _queue(self, messages: Sequence[tuple[str, str]], priority: int) -> _Call:
        start = messages[0][1] if messages else ""
        key = hashlib.sha256(start.encode()).hexdigest()
        with self._turn:
            call = _Call(
                thread=threading.get_ident(),
                key=key,
                tokens=estimate_tokens(start),
                priority=priority,
                order=next(self._numbers),
            )
            self._calls.append(call)
        return call

    def _wait_turn(self, call: _Call) -> None:
        with self._turn:
            self._turn.wait_for(lambda: self._may_send(call))
            call.cold = self._expect_cold(call)
            call.began = self._clock()
            self._last_key = call.key

    def _may_send(self, call: _Call) -> bool:
        sent = sum(1 for c in self._calls if c.began is not None)
        queued = [c for c in self._calls if c.began is None]
        first = min(queued, key=lambda c: (c.priority, c.order))
        return sent < self._parallel and first is call

    def _finish(self, call: _Call, *, done: bool) -> None:
        with self._turn:
            now = self._clock()
            self._calls.remove(call)
            self._turn.notify_all()
            if call.began is None:
                return  # given up before its turn
            if not done:  # failed or cut off: the server may not hold its start
                if self._last_key == call.key:
                    self._last_key = None
                return
            self._learn(call, now - call.began)
            self._seen.add(call.key)

    def _learn(self, call: _Call, seconds: float) -> None:
        if not call.cold or call.tokens < _READING_MIN_TOKENS or seconds < 1.0:
            return  # under a second: cached, or a server too fast to need a word
        rate = self._seconds_per_token
        if rate is not None and seconds < _CACHED_SHARE * call.tokens * rate:
            self._keeps_many = True  # served from the server's cache after all
            return
        if rate is None and call.key in self._seen:
            return  # read before: may have come from a cache; not a measure of speed
        measured = seconds / call.tokens
        self._seconds_per_token = (
            measured if rate is None else _NEWEST_WEIGHT * measured + (1 - _NEWEST_WEIGHT) * rate
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
    whose every call goes through `activity`."""

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
