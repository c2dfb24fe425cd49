"""The page's side of the audit-write failure policy: a toast, the answer kept, no crash.

The answer service turns a failed audit write into `Reply.audit_warning` (tested in
`tests/integration/test_answer_service.py`); the page queues it and shows one toast.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _page(broken: bool) -> None:
    import streamlit as st

    from backend.i18n.message import Message
    from ui.components.audited import audit_warnings, show_audit_warnings, show_later

    warning = Message.of("audit.write_failed") if broken else None
    show_later(warning)
    deferred: list = audit_warnings()  # what a download's deferred callable is handed
    show_later(warning, warnings=deferred)
    st.write(f"queued {len(audit_warnings())}")
    show_audit_warnings()
    st.write(f"left {len(audit_warnings())}")


def _run(broken: bool) -> AppTest:
    return AppTest.from_function(_page, args=(broken,), default_timeout=30).run()


def test_a_failed_audit_write_shows_one_toast_and_the_page_goes_on() -> None:
    at = _run(broken=True)
    assert not at.exception
    assert [m.value for m in at.markdown] == ["queued 2", "left 0"]
    assert len(at.toast) == 1 and "audit log" in at.toast[0].value


def test_a_good_audit_write_shows_nothing() -> None:
    at = _run(broken=False)
    assert not at.exception and not at.toast
    assert [m.value for m in at.markdown] == ["queued 0", "left 0"]
