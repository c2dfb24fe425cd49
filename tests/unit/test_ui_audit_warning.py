"""The page's side of the audit-write failure policy: a toast, the answer kept, no crash."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest


def _page(app_db: str, broken: bool) -> None:
    import sqlalchemy as sa

    from appdb.engine import create_app_engine
    from appdb.migrate import upgrade
    from auth.audit import AuditLog
    from backend.domain import Answer
    from ui.components.audited import audit_warnings, record_audit, show_audit_warnings

    engine = sa.create_engine(app_db) if broken else create_app_engine(app_db)
    if not broken:
        upgrade(engine)
    log = AuditLog(engine)
    answer = Answer(question="q", sql="SELECT 1", result=None, error="x")
    record_audit(log, "ana", answer)
    deferred: list = audit_warnings()  # what a download's deferred callable is handed
    record_audit(log, "ana", answer, warnings=deferred)
    import streamlit as st

    st.write(f"queued {len(audit_warnings())}")
    show_audit_warnings()
    st.write(f"left {len(audit_warnings())}")


def _run(tmp_path: Path, broken: bool) -> AppTest:
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    return AppTest.from_function(_page, args=(url, broken), default_timeout=30).run()


def test_a_failed_audit_write_shows_one_toast_and_the_page_goes_on(tmp_path: Path) -> None:
    at = _run(tmp_path, broken=True)
    assert not at.exception
    assert [m.value for m in at.markdown] == ["queued 2", "left 0"]
    assert len(at.toast) == 1 and "audit log" in at.toast[0].value


def test_a_good_audit_write_shows_nothing(tmp_path: Path) -> None:
    at = _run(tmp_path, broken=False)
    assert not at.exception and not at.toast
    assert [m.value for m in at.markdown] == ["queued 0", "left 0"]
