"""Finish what was started before honouring a click: no answer is lost half-way.

Streamlit stops a script run at its next `st.*` call once the user clicks a button,
submits a form or types into the chat, and starts the run over. A question being answered
at that moment would be dropped: neither shown, nor stored, nor audited. `Uninterrupted`
wraps the drawing calls made while an answer is produced: a stop or rerun request raised
by one of them is held (the call is then made again: the request is consumed once
raised), the answer is finished, audited and stored, and `release()` raises the request,
so the click is served next with its widget values intact.

A stop (the tab was closed, the session ended) is different: Streamlit raises it again at
every later call, so once one is held nothing more is drawn (each call returns a stand-in
that accepts anything), while the answer is still finished, audited and stored, to be
found in the conversation next time.

`ScriptControlException` is Streamlit's own base of those requests (a module of the pinned
Streamlit that is not documented API; a test pins its behaviour).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, cast

from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException, StopException

P = ParamSpec("P")
T = TypeVar("T")
# Requests arriving faster than the calls succeed: after this many, let one through.
MAX_HELD = 20


class _Gone:
    """What a drawing call returns once the page is gone: accepts any use, draws nothing."""

    def __getattr__(self, name: str) -> _Gone:
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> _Gone:
        return self

    def __enter__(self) -> _Gone:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


GONE = _Gone()


class Uninterrupted:
    """Holds the stop/rerun requests raised while an answer is produced (see module)."""

    def __init__(self) -> None:
        self.held: ScriptControlException | None = None

    def call(self, draw: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`draw(*args, **kwargs)`, holding the request that interrupts it, if any; after a
        stop, nothing is drawn any more and a stand-in is returned."""
        for _ in range(MAX_HELD):
            if isinstance(self.held, StopException):
                return cast(T, GONE)
            try:
                return draw(*args, **kwargs)
            except ScriptControlException as request:
                self.held = request  # the newest request carries the newest widget values
        return draw(*args, **kwargs)

    def release(self) -> None:
        """Raise the held request, if any: Streamlit then stops or reruns as asked."""
        held, self.held = self.held, None
        if held is not None:
            raise held
