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
from ui.components.conversations import app_stores
from ui.context import current_actor, get_auth, get_services
from ui.navigation import require_page

log = logging.getLogger(__name__)
FLASH_KEY = "examples_flash"

reviewer = require_page(roles.PAGE_EXAMPLES)
actor = current_actor()
try:
    services, auth = get_services(), get_auth()
    feedback: FeedbackStore = app_stores().feedback
    pending, approved = feedback.proposals(PENDING), feedback.proposals(APPROVED)
except KeskinubeError as exc:
    st.error(str(exc))
    st.stop()
if actor is None:
    st.stop()


def check(question: str) -> Callable[[str], Answer]:
    """Run SQL through the guard as the reviewer, and audit it."""

    def run(sql: str) -> Answer:
        answer = services.engine.run_sql(sql, actor)
        auth.audit.record_answer(actor.username, replace(answer, question=f"Review: {question}"))
        return answer

    return run


def act(change: Callable[[], Proposal], message: str) -> None:
    """Run one review action; keep its message on the page until the next action."""
    st.session_state.pop(FLASH_KEY, None)
    try:
        change()
    except KeskinubeError as exc:
        log.info("example review by %s refused: %s", reviewer.username, exc)
        st.error(str(exc))
        return
    st.session_state[FLASH_KEY] = message
    st.rerun()


st.title("Examples")
st.caption(
    "Answers users marked as good (thumbs up) wait here for review. Approved examples are "
    "shown to the model with similar questions, so it writes SQL the way your team does."
)
flash = st.session_state.get(FLASH_KEY)
if flash:
    st.success(flash)

st.subheader(f"Waiting for review ({len(pending)})")
if not pending:
    st.info("Nothing to review. Thumbs-up answers on the Chat page appear here.")
for proposal in pending:
    with st.container(border=True, key=f"ex_pending_{proposal.id}"):
        st.caption(
            f"Proposed by {proposal.proposed_by} · {proposal.proposed_at:%Y-%m-%d %H:%M} UTC"
        )
        question = st.text_input("Question", proposal.question, key=f"ex_q_{proposal.id}")
        sql = st.text_area("SQL", proposal.sql, key=f"ex_sql_{proposal.id}", height=140)
        with st.container(horizontal=True):
            if st.button("Approve", key=f"ex_approve_{proposal.id}", type="primary",
                         icon=":material/check:"):  # fmt: skip
                act(
                    lambda p=proposal, q=question, s=sql: feedback.approve(
                        p.id, reviewer.username, check=check(q), sql=s, question=q
                    ),
                    f"Approved “{question.strip()}”: it now guides similar questions.",
                )
            if st.button("Reject", key=f"ex_reject_{proposal.id}", icon=":material/close:"):
                act(
                    lambda p=proposal: feedback.reject(p.id, reviewer.username),
                    f"Rejected “{proposal.question}”.",
                )

st.subheader(f"Approved ({len(approved)})")
if not approved:
    st.caption("No approved examples yet.")
for proposal in approved:
    with st.container(border=True, key=f"ex_approved_{proposal.id}"):
        st.markdown(f"**{proposal.question}**")
        st.code(proposal.sql, language="sql", wrap_lines=True)
        by = proposal.reviewed_by or "?"
        st.caption(f"Approved by {by} · proposed by {proposal.proposed_by}")
        if st.button("Remove", key=f"ex_remove_{proposal.id}", icon=":material/delete:"):
            act(
                lambda p=proposal: feedback.remove(p.id, reviewer.username),
                f"Removed “{proposal.question}” from the examples.",
            )
