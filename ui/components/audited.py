"""Audit warnings on the page: the answer service's `Reply.audit_warning`, shown later.

A run whose audit row could not be written is still shown, stored and exported (the
service logs the failure with its stack trace); the reader gets a non-blocking toast. The
warning waits in a plain list in the session until the frame shows it after the page has
run (`show_audit_warnings`), so it survives an `st.rerun` and can be queued from places
where Streamlit allows no toast: a cached function, a download's deferred callable (which
runs outside the script, so it is handed the list when the button is drawn).
"""

from __future__ import annotations

import streamlit as st

from backend.i18n.message import Message
from ui.context import current_language

_WARNINGS_KEY = "audit_warnings"


def audit_warnings() -> list[Message]:
    """This session's audit warnings not shown yet (the list itself, to append to later)."""
    queue = st.session_state.get(_WARNINGS_KEY)
    if not isinstance(queue, list):
        queue = st.session_state[_WARNINGS_KEY] = []
    return queue


def show_later(warning: Message | None, *, warnings: list[Message] | None = None) -> None:
    """Queue an audit warning (in `warnings`, else this session's); None queues nothing."""
    if warning is not None:
        (audit_warnings() if warnings is None else warnings).append(warning)


def show_audit_warnings() -> None:
    """The frame calls this once the page has run: one toast for the failures since the last."""
    queue = st.session_state.get(_WARNINGS_KEY)
    if queue:
        warning = queue[0]
        queue.clear()
        st.toast(warning.render(current_language()), icon=":material/warning:")
