"""Examples: review the question → SQL pairs users liked; approved ones guide the model.

Pending proposals can be approved (the question and SQL may be edited first; the SQL must
pass the guard and run for the reviewer) or rejected. Only approved examples are indexed
in Qdrant and used for retrieval; removing one takes it back out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

import streamlit as st

from auth import roles
from backend.domain import Answer
from backend.errors import KeskinubeError
from backend.feedback import APPROVED, PENDING, FeedbackStore, Proposal
from backend.i18n import Message
from ui.components.audited import record_audit
from ui.components.conversations import app_stores
from ui.components.formats import format_when
from ui.context import current_actor, get_auth, get_services, translator
from ui.navigation import require_page

log = logging.getLogger(__name__)
FLASH_KEY = "examples_flash"

reviewer = require_page(roles.PAGE_EXAMPLES)
actor = current_actor()
tr = translator()
lang = tr.language
try:
    services, auth = get_services(), get_auth()
    feedback: FeedbackStore = app_stores().feedback
    pending, approved = feedback.proposals(PENDING), feedback.proposals(APPROVED)
except KeskinubeError as exc:
    st.error(exc.render(lang))
    st.stop()
if actor is None:
    st.stop()


def check(question: str) -> Callable[[str], Answer]:
    """Run SQL through the guard as the reviewer, and audit it."""

    def run(sql: str) -> Answer:
        answer = services.engine.run_sql(sql, actor)
        # The audit log is a record, written in one language whoever reads it.
        reviewed = f"Review: {question}"  # i18n: not prose
        record_audit(auth.audit, actor.username, replace(answer, question=reviewed))
        return answer

    return run


def act(change: Callable[[], Proposal], message: Message) -> None:
    """Run one review action; keep its message on the page until the next action (as a
    `Message`, so it follows a language switch)."""
    st.session_state.pop(FLASH_KEY, None)
    try:
        change()
    except KeskinubeError as exc:
        log.info("example review by %s refused: %s", reviewer.username, exc)
        st.error(exc.render(lang))
        return
    st.session_state[FLASH_KEY] = message
    st.rerun()


st.title(tr("examples.title"))
st.caption(tr("examples.intro"))
flash = st.session_state.get(FLASH_KEY)
if isinstance(flash, Message):
    st.success(flash.render(lang))

st.subheader(tr("examples.pending", count=len(pending)))
if not pending:
    st.info(tr("examples.pending.none"))
for proposal in pending:
    with st.container(border=True, key=f"ex_pending_{proposal.id}"):
        when = format_when(proposal.proposed_at, lang)
        st.caption(tr("examples.proposed", user=proposal.proposed_by, when=when))
        question = st.text_input(
            tr("examples.question"), proposal.question, key=f"ex_q_{proposal.id}"
        )
        sql = st.text_area("SQL", proposal.sql, key=f"ex_sql_{proposal.id}", height=140)
        with st.container(horizontal=True):
            if st.button(tr("examples.approve"), key=f"ex_approve_{proposal.id}",
                         type="primary", icon=":material/check:"):  # fmt: skip
                act(
                    lambda p=proposal, q=question, s=sql: feedback.approve(
                        p.id, reviewer.username, check=check(q), sql=s, question=q
                    ),
                    Message.of("examples.approved.done", question=question.strip()),
                )
            if st.button(
                tr("examples.reject"), key=f"ex_reject_{proposal.id}", icon=":material/close:"
            ):
                act(
                    lambda p=proposal: feedback.reject(p.id, reviewer.username),
                    Message.of("examples.rejected.done", question=proposal.question),
                )

st.subheader(tr("examples.approved", count=len(approved)))
if not approved:
    st.caption(tr("examples.approved.none"))
for proposal in approved:
    with st.container(border=True, key=f"ex_approved_{proposal.id}"):
        st.markdown(f"**{proposal.question}**")
        st.code(proposal.sql, language="sql", wrap_lines=True)
        by = proposal.reviewed_by or "?"
        st.caption(tr("examples.approved.by", reviewer=by, user=proposal.proposed_by))
        if st.button(
            tr("examples.remove"), key=f"ex_remove_{proposal.id}", icon=":material/delete:"
        ):
            act(
                lambda p=proposal: feedback.remove(p.id, reviewer.username),
                Message.of("examples.removed.done", question=proposal.question),
            )
