"""A knowledge draft running in the background, one per database per process.

Drafting takes a model call per table (tens of seconds each on a CPU), so the app runs
it in a thread and pages only read its progress: `job_for(database)` is shared by every
session of the process; `start` refuses a second run while one is going; `cancel` stops
it after the table in progress (what was drafted is saved table by table).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

from backend.knowledge.draft import DraftProgress, DraftReport

log = logging.getLogger(__name__)

Run = Callable[[Callable[[DraftProgress], None], Callable[[], bool]], DraftReport]
"""A draft run: takes `on_progress` and `should_stop`, returns its report."""


@dataclass(frozen=True)
class DraftState:
    """What a page shows: whether a run is going, how far it is, how the last one ended."""

    running: bool = False
    done: int = 0
    total: int = 0
    table: str = ""
    drafted: int = 0
    failed: int = 0
    left: int = 0
    unchanged: int = 0
    finished: bool = False
    error: str | None = None


class DraftJob:
    """At most one background draft run at a time, and its progress."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = DraftState()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> DraftState:
        with self._lock:
            return self._state

    def start(self, run: Run) -> bool:
        """Start `run` in a daemon thread; False when one is already running."""
        with self._lock:
            if self._state.running:
                return False
            self._state = DraftState(running=True)
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._work, args=(run,), name="knowledge-draft", daemon=True
            )
        self._thread.start()
        return True

    def cancel(self) -> None:
        self._stop.set()

    def wait(self, timeout_s: float | None = None) -> None:
        """Wait for the running thread (tests, the CLI)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)

    def _progress(self, progress: DraftProgress) -> None:
        with self._lock:
            drafted = self._state.drafted + (progress.outcome == "drafted")
            failed = self._state.failed + (progress.outcome == "failed")
            self._state = replace(
                self._state,
                done=progress.done,
                total=progress.total,
                table=progress.table,
                drafted=drafted,
                failed=failed,
            )

    def _work(self, run: Run) -> None:
        try:
            report = run(self._progress, self._stop.is_set)
        except Exception as error:  # a background thread has nobody else to tell
            log.exception("knowledge draft failed")
            with self._lock:
                self._state = replace(self._state, running=False, finished=True, error=str(error))
            return
        with self._lock:
            self._state = replace(
                self._state,
                running=False,
                finished=True,
                drafted=len(report.drafted),
                failed=len(report.failed),
                left=len(report.left),
                unchanged=report.unchanged,
                error=report.stopped if report.stopped != "cancelled" else None,
            )


_jobs: dict[str, DraftJob] = {}
_jobs_lock = threading.Lock()


def job_for(database: str) -> DraftJob:
    """The process-wide draft job of `database`."""
    with _jobs_lock:
        return _jobs.setdefault(database, DraftJob())
