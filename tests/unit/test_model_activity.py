"""ModelActivity: why a question waits on the model, and roughly how long."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Sequence

import pytest

from backend.domain import Completion
from backend.model_activity import ModelActivity, Wait, WatchedChatModel

SCHEMA = "CREATE TABLE orders (id INT, total DECIMAL(10,2), placed_at DATE);\n" * 120
OTHER_SCHEMA = "CREATE TABLE stock (sku INT, shelf VARCHAR(10), counted_at DATE);\n" * 120
SHORT = "CREATE TABLE t (a INT);"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class InFlight:
    """A model call made by its own thread, held open until `end` (or `fail`)."""

    def __init__(
        self,
        activity: ModelActivity,
        start: str,
        *,
        warm_up: bool = False,
        background: bool = False,
    ) -> None:
        self._entered, self._release = threading.Event(), threading.Event()
        self._fail = False
        queued = activity.pending
        self.thread = threading.Thread(
            target=self._run, args=(activity, start, warm_up or background, background)
        )
        self.thread.start()
        deadline = time.monotonic() + 5
        while activity.pending == queued:  # queued (or sent, when its turn came)
            assert time.monotonic() < deadline
            time.sleep(0.001)

    @property
    def sent(self) -> bool:
        return self._entered.is_set()

    def _run(self, activity: ModelActivity, start: str, warm_up: bool, background: bool) -> None:
        try:
            with (
                activity.in_background() if background else contextlib.nullcontext(),
                activity.calling([("system", start), ("user", "q")], warm_up=warm_up),
            ):
                self._entered.set()
                self._release.wait(5)
                if self._fail:
                    raise RuntimeError("the model server went away")
        except RuntimeError:
            pass

    @property
    def ident(self) -> int:
        assert self.thread.ident is not None
        return self.thread.ident

    def end(self) -> None:
        self._release.set()
        self.thread.join(5)

    def fail(self) -> None:
        self._fail = True
        self.end()


def wait_sent(call: InFlight) -> None:
    deadline = time.monotonic() + 5
    while not call.sent:
        assert time.monotonic() < deadline
        time.sleep(0.001)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def activity(clock: Clock) -> Iterator[ModelActivity]:
    yield ModelActivity(clock=clock)


def measured(activity: ModelActivity, clock: Clock, *, seconds: float) -> None:
    """One cold read of SCHEMA that took `seconds`: the server's speed is then known."""
    call = InFlight(activity, SCHEMA)
    clock.now += seconds
    call.end()


def test_a_thread_with_no_call_in_flight_does_not_wait(activity: ModelActivity) -> None:
    assert activity.wait_for(threading.get_ident()) is None


def test_the_first_long_prompt_is_read_afresh_for_a_time_not_yet_known(
    activity: ModelActivity,
) -> None:
    call = InFlight(activity, SCHEMA)
    try:
        assert activity.wait_for(call.ident) == Wait("reading", None)
    finally:
        call.end()


def test_a_short_prompt_is_not_worth_a_word(activity: ModelActivity) -> None:
    call = InFlight(activity, SHORT)
    try:
        assert activity.wait_for(call.ident) is None
    finally:
        call.end()


def test_the_measured_speed_estimates_the_reading_of_another_start(
    activity: ModelActivity, clock: Clock
) -> None:
    measured(activity, clock, seconds=60)
    rate = activity.seconds_per_token
    assert rate is not None and rate > 0
    call = InFlight(activity, OTHER_SCHEMA)
    try:
        clock.now += 10
        wait = activity.wait_for(call.ident)
        assert wait is not None and wait.reason == "reading"
        assert wait.seconds_left is not None
        assert 40 <= wait.seconds_left <= 55  # ~60 s for a start of the same size, 10 spent
    finally:
        call.end()


def test_the_same_start_again_is_served_from_the_cache(
    activity: ModelActivity, clock: Clock
) -> None:
    measured(activity, clock, seconds=60)
    call = InFlight(activity, SCHEMA)
    try:
        assert activity.wait_for(call.ident) is None
    finally:
        call.end()


def test_a_question_behind_a_warm_up_says_the_model_is_warming(
    activity: ModelActivity, clock: Clock
) -> None:
    measured(activity, clock, seconds=60)
    warm_up = InFlight(activity, OTHER_SCHEMA, warm_up=True)
    clock.now += 20
    question = InFlight(activity, OTHER_SCHEMA)
    try:
        wait = activity.wait_for(question.ident)
        assert wait is not None and wait.reason == "warming"
        # The warm-up's remaining ~40 s; the question's own start is then cached.
        assert wait.seconds_left is not None and 30 <= wait.seconds_left <= 45
    finally:
        warm_up.end()
        question.end()


def test_a_question_behind_another_with_another_start_adds_both_readings(
    activity: ModelActivity, clock: Clock
) -> None:
    measured(activity, clock, seconds=60)
    other = InFlight(activity, OTHER_SCHEMA)
    mine = InFlight(activity, SCHEMA)  # the other one evicts it: read afresh too
    try:
        wait = activity.wait_for(mine.ident)
        assert wait is not None and wait.reason == "busy"
        assert wait.seconds_left is not None and 100 <= wait.seconds_left <= 130
        clock.now += 60  # the other start read at the same speed
        other.end()
        wait_sent(mine)
        clock.now += 5
        after = activity.wait_for(mine.ident)
        assert after is not None and after.reason == "reading"
        assert after.seconds_left is not None and 45 <= after.seconds_left <= 60
    finally:
        other.end()
        mine.end()


def test_a_failed_call_measures_nothing_and_leaves_its_start_cold(
    activity: ModelActivity, clock: Clock
) -> None:
    failed = InFlight(activity, SCHEMA)
    clock.now += 3
    failed.fail()
    assert activity.seconds_per_token is None
    again = InFlight(activity, SCHEMA)
    try:
        assert activity.wait_for(again.ident) == Wait("reading", None)
    finally:
        again.end()


class RecordingModel:
    model_name = "recording"

    def __init__(self, activity: ModelActivity) -> None:
        self.activity = activity
        self.seen: list[tuple[str, Wait | None]] = []

    def _note(self, kind: str) -> None:
        self.seen.append((kind, self.activity.wait_for(threading.get_ident())))

    def complete(self, messages: Sequence[tuple[str, str]]) -> Completion:
        self._note("complete")
        return Completion(text="SELECT 1")

    def sample(
        self, messages: Sequence[tuple[str, str]], *, temperature: float, seed: int
    ) -> Completion:
        self._note(f"sample {temperature} {seed}")
        return Completion(text="SELECT 2")

    def prefill(self, messages: Sequence[tuple[str, str]]) -> None:
        self._note("prefill")


def test_the_watched_model_records_each_call_and_passes_it_through(
    activity: ModelActivity,
) -> None:
    inner = RecordingModel(activity)
    model = WatchedChatModel(inner, activity)
    messages = [("system", SCHEMA), ("user", "how many orders?")]
    model.prefill(messages)
    assert model.complete(messages).text == "SELECT 1"
    assert model.sample(messages, temperature=0.7, seed=2).text == "SELECT 2"
    assert inner.seen == [
        ("prefill", Wait("reading", None)),
        ("complete", None),  # the prefill left the start cached
        ("sample 0.7 2", None),
    ]
    assert model.model_name == "recording"
    assert activity.wait_for(threading.get_ident()) is None  # nothing left in flight


def test_one_call_at_a_time_reaches_the_server_and_the_next_goes_when_it_ends(
    activity: ModelActivity,
) -> None:
    first = InFlight(activity, SCHEMA, warm_up=True)
    second = InFlight(activity, SHORT)
    try:
        time.sleep(0.05)
        assert first.sent and not second.sent
        first.end()
        wait_sent(second)
    finally:
        first.end()
        second.end()


def test_a_server_serving_two_at_once_gets_two_at_once(clock: Clock) -> None:
    activity = ModelActivity(parallel=2, clock=clock)
    calls = [InFlight(activity, SCHEMA) for _ in range(3)]
    try:
        time.sleep(0.05)
        assert [call.sent for call in calls] == [True, True, False]
    finally:
        for call in calls:
            call.end()


def test_a_question_goes_before_queued_warm_ups_but_never_overtakes_a_sent_call(
    activity: ModelActivity,
) -> None:
    sent = InFlight(activity, SCHEMA, background=True)
    start_up = InFlight(activity, OTHER_SCHEMA, background=True)
    login = InFlight(activity, OTHER_SCHEMA, warm_up=True)
    question = InFlight(activity, SCHEMA)
    try:
        wait = activity.wait_for(question.ident)
        assert wait is not None and wait.reason == "warming"  # behind the sent warm-up only
        sent.end()
        wait_sent(question)
        assert not login.sent and not start_up.sent
        question.end()
        wait_sent(login)  # the warm-up someone waits on, before the start-up's
        assert not start_up.sent
        login.end()
        wait_sent(start_up)
    finally:
        for call in (sent, start_up, login, question):
            call.end()


def test_a_server_that_keeps_earlier_starts_is_learned(
    activity: ModelActivity, clock: Clock
) -> None:
    measured(activity, clock, seconds=60)  # SCHEMA read
    other = InFlight(activity, OTHER_SCHEMA)
    clock.now += 60
    other.end()  # OTHER_SCHEMA read: the server holds it, SCHEMA may be gone
    again = InFlight(activity, SCHEMA)
    wait = activity.wait_for(again.ident)
    assert wait is not None and wait.reason == "reading"  # expected: read afresh, ~60 s
    clock.now += 2  # back at once: the server kept it
    again.end()
    back = InFlight(activity, OTHER_SCHEMA)
    try:
        assert activity.wait_for(back.ident) is None  # read before: kept as well
    finally:
        back.end()
