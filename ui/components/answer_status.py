"""The live status of a question being answered: the step, the seconds, and why it waits.

The engine answers on a worker thread, which touches no Streamlit API: it only reports
its steps through a queue. The page's own thread redraws the status about twice a second
with the step and the elapsed seconds, and says in plain words when the model is slow for
a reason the person cannot see (`backend.model_activity`): it is reading the schema for
the first time since a start, still warming up, or answering somebody else first.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from backend.i18n import Translator
from backend.model_activity import ModelActivity, Wait
from ui.components.uninterrupted import Uninterrupted

StepLabel = Callable[[str], str]
T = TypeVar("T")
_TICK_S = 0.5


def follow_answer(
    ask: Callable[[Callable[[str], None]], T],
    *,
    status: Any,
    notice: Any,
    held: Uninterrupted,
    tr: Translator,
    step_label: StepLabel,
    activity: ModelActivity | None,
) -> T:
    """Run `ask(on_step)` on a worker thread; meanwhile keep `status` (an `st.status`)
    showing the step and the seconds since the start, and `notice` (an `st.empty` beside
    it, seen even when the status is folded) why it waits, when there is a reason."""
    steps: queue.SimpleQueue[str] = queue.SimpleQueue()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["answer"] = ask(steps.put)
        except BaseException as exc:  # re-raised on the page's thread
            outcome["error"] = exc

    worker = threading.Thread(target=work, name="keskinube-answer", daemon=True)
    started = time.monotonic()
    worker.start()
    label, shown_label, shown_wait = tr("chat.step.working"), "", ""
    while worker.is_alive() or not steps.empty():
        worker.join(_TICK_S)
        while not steps.empty():
            label = step_label(steps.get())
            held.call(status.write, label)
        timed = f"{label} · {int(time.monotonic() - started)} s"
        if timed != shown_label:
            held.call(status.update, label=timed)
            shown_label = timed
        wait = wait_text(activity.wait_for(worker.ident or 0), tr) if activity else ""
        if wait != shown_wait:
            if wait:
                held.call(notice.caption, f":material/hourglass_top: {wait}")
            else:
                held.call(notice.empty)
            shown_wait = wait
    if shown_wait:
        held.call(notice.empty)
    if "error" in outcome:
        raise outcome["error"]
    answer: T = outcome["answer"]
    return answer


def wait_text(wait: Wait | None, tr: Translator) -> str:
    """Why the model is slow and about how long is left, in the reader's words; '' when
    it is not."""
    if wait is None:
        return ""
    why = tr(f"chat.wait.{wait.reason}")
    if wait.seconds_left is None:
        return why if wait.reason == "busy" else f"{why} {tr('chat.wait.unknown')}"
    return f"{why} {tr('chat.wait.left', time=rough_time(wait.seconds_left))}"


def rough_time(seconds: int) -> str:
    """'10 s', '45 s', '2 min': rounded so the notice does not flicker every second."""
    if seconds < 60:
        return f"{max(5, 5 * round(seconds / 5))} s"
    return f"{round(seconds / 60)} min"
