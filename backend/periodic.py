"""`Periodic`: run a function every few minutes in a daemon thread, until stopped.

For checks that must stay out of the request paths (the schema drift check): the first
run comes right after the start, a failure is logged and the next run comes as planned.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Periodic:
    """Calls `task` now and then every `every_s` seconds in a thread named `name`."""

    def __init__(self, task: Callable[[], object], *, every_s: float, name: str) -> None:
        self.task = task
        self.every_s = every_s
        self.name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Periodic:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _loop(self) -> None:
        while True:
            try:
                self.task()
            except Exception:  # a background check must never die of one failure
                log.exception("%s failed; trying again in %.0f s", self.name, self.every_s)
            if self._stop.wait(self.every_s):
                return
