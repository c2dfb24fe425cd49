"""The live status of a question: steps as they come, the seconds, and why it waits."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from backend.domain import Answer
from backend.i18n import Translator
from backend.model_activity import ModelActivity, Wait
from ui.components.answer_status import follow_answer, rough_time, wait_text
from ui.components.uninterrupted import Uninterrupted

LONG_SCHEMA = "CREATE TABLE orders (id INT, total DECIMAL(10,2), placed_at DATE);\n" * 120


class Notice:
    def __init__(self, log: list[tuple[str, Any]]) -> None:
        self.log = log

    def caption(self, text: str) -> None:
        self.log.append(("notice", text))

    def empty(self) -> None:
        self.log.append(("notice", None))


class RecordingStatus:
    """Stands in for `st.status`: records what the page would draw, and from which thread."""

    def __init__(self) -> None:
        self.log: list[tuple[str, Any]] = []
        self.threads: set[int] = set()

    def _seen(self) -> None:
        self.threads.add(threading.get_ident())

    def write(self, text: str) -> None:
        self._seen()
        self.log.append(("write", text))

    def update(self, *, label: str) -> None:
        self._seen()
        self.log.append(("label", label))


def label(name: str) -> str:
    return {"retrieve": "Finding tables", "generate": "Writing SQL"}.get(name, name)


def run(
    ask: Callable[[Callable[[str], None]], Answer],
    activity: ModelActivity | None = None,
    language: str = "en",
) -> tuple[Answer, RecordingStatus]:
    status = RecordingStatus()
    answer = follow_answer(
        ask,
        status=status,
        notice=Notice(status.log),
        held=Uninterrupted(),
        tr=Translator(language),
        step_label=label,
        activity=activity,
    )
    return answer, status


def test_steps_are_listed_as_they_come_with_the_seconds_spent() -> None:
    def ask(on_step: Callable[[str], None]) -> Answer:
        on_step("retrieve")
        on_step("generate")
        time.sleep(1.2)
        return Answer(question="q", sql="SELECT 1", result=None)

    answer, status = run(ask)
    assert answer.sql == "SELECT 1"
    writes = [text for kind, text in status.log if kind == "write"]
    assert writes == ["Finding tables", "Writing SQL"]
    labels = [text for kind, text in status.log if kind == "label"]
    assert "Writing SQL · 1 s" in labels
    assert labels == sorted(set(labels), key=labels.index)  # redrawn only on a change
    assert status.threads == {threading.get_ident()}  # drawn by the page's thread only


def test_a_slow_model_call_is_explained_then_the_notice_goes() -> None:
    activity = ModelActivity()

    def ask(on_step: Callable[[str], None]) -> Answer:
        on_step("generate")
        with activity.calling([("system", LONG_SCHEMA), ("user", "q")]):
            time.sleep(1.2)
        time.sleep(0.8)
        return Answer(question="q", sql="SELECT 1", result=None)

    _, status = run(ask, activity)
    notices = [text for kind, text in status.log if kind == "notice"]
    assert notices[0] is not None and "reading this database's schema" in notices[0]
    assert "a few minutes" in notices[0]  # nothing measured yet on this server
    assert notices[-1] is None


def test_what_the_engine_raises_is_raised_on_the_page_thread() -> None:
    def ask(on_step: Callable[[str], None]) -> Answer:
        raise LookupError("boom")

    with pytest.raises(LookupError, match="boom"):
        run(ask)


@pytest.mark.parametrize(
    ("wait", "english", "spanish"),
    [
        (None, "", ""),
        (Wait("busy", None), "answering another question first", "respondiendo antes otra"),
        (Wait("warming", 125), "About 2 min left.", "Quedan unos 2 min."),
        (Wait("reading", 42), "About 40 s left.", "Quedan unos 40 s."),
        (Wait("reading", None), "a few minutes", "unos minutos"),
    ],
)
def test_the_wait_reads_in_the_readers_language(
    wait: Wait | None, english: str, spanish: str
) -> None:
    assert english in wait_text(wait, Translator("en"))
    assert spanish in wait_text(wait, Translator("es"))
    if wait is None:
        assert wait_text(wait, Translator("en")) == ""


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "5 s"),
        (3, "5 s"),
        (12, "10 s"),
        (13, "15 s"),
        (58, "60 s"),
        (61, "1 min"),
        (89, "1 min"),
        (91, "2 min"),
        (600, "10 min"),
    ],
)
def test_rough_times_do_not_flicker_every_second(seconds: int, shown: str) -> None:
    assert rough_time(seconds) == shown
