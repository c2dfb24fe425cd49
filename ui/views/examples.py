"""Examples: review the question → SQL pairs users liked; approved ones guide the model.

Admins review (see `backend.feedback.REVIEWER_ROLES`; the store enforces it, not just this
page): pending proposals can be approved (the question and SQL may be edited first; the
SQL must pass the guard and run for the reviewer) or rejected, never approved by their
own author; an admin can also add an example directly, as their own. Everyone else sees
only their own proposals and where their review stands. Only approved examples are
indexed in Qdrant and used for retrieval; removing one takes it back out. Questions and
names are user-written: they are drawn as escaped markdown or plain text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

import streamlit as st

from auth import roles
from backend.domain import Answer
from backend.errors import KeskinubeError
from backend.feedback import APPROVED, PENDING, FeedbackStore, Proposal, can_review
from backend.i18n import Message
from ui.components.audited import show_later
from ui.components.conversations import answers, app_stores
from ui.components.formats import format_when
from ui.components.markdown import escape_markdown, md_error, md_message, md_t
from ui.context import current_actor, translator
from ui.navigation import require_page

log = logging.getLogger(__name__)
FLASH_KEY = "examples_flash"

user = require_page(roles.PAGE_EXAMPLES)
signed_in = current_actor()
tr = translator()
lang = tr.language
if signed_in is None:
    st.stop()
actor = signed_in  # an Actor: the narrowing of a global does not reach the functions below
reviewing = can_review(actor)
try:
    feedback: FeedbackStore = app_stores().feedback
    pending, approved = feedback.visible_to(actor, PENDING), feedback.visible_to(actor, APPROVED)
except KeskinubeError as exc:
    st.error(md_error(exc, lang))
    st.stop()


def check(question: str) -> Callable[[str], Answer]:
    """Run SQL through the guard as the reviewer, and audit it."""

    def run(sql: str) -> Answer:
        reply = answers().run_sql(actor, sql, source="review", question=question, keep=False)
        show_later(reply.audit_warning)
        return reply.answer

    return run


def act(change: Callable[[], Proposal], message: Message) -> None:
    """Run one review action; keep its message on the page until the next action (as a
    `Message`, so it follows a language switch)."""
    st.session_state.pop(FLASH_KEY, None)
    try:
        change()
    except KeskinubeError as exc:
        log.info("example review by %s refused: %s", actor.username, exc)
        st.error(md_error(exc, lang))
        return
    st.session_state[FLASH_KEY] = message
    st.rerun()


def review(proposal: Proposal) -> None:
    """A pending proposal with its review buttons (an admin's view)."""
    question = st.text_input(tr("examples.question"), proposal.question, key=f"ex_q_{proposal.id}")
    sql = st.text_area("SQL", proposal.sql, key=f"ex_sql_{proposal.id}", height=140)
    own = proposal.proposed_by == actor.username
    if own:
        st.caption(tr("examples.own.wait"))
    with st.container(horizontal=True):
        if st.button(
            tr("examples.approve"),
            key=f"ex_approve_{proposal.id}",
            disabled=own,
            type="primary",
            icon=":material/check:",
        ):
            act(
                lambda: feedback.approve(
                    proposal.id, actor, check=check(question), sql=sql, question=question
                ),
                Message.of("examples.approved.done", question=question.strip()),
            )
        if st.button(
            tr("examples.reject"), key=f"ex_reject_{proposal.id}", icon=":material/close:"
        ):
            act(
                lambda: feedback.reject(proposal.id, actor),
                Message.of("examples.rejected.done", question=proposal.question),
            )


def add_form() -> None:
    """An admin's own example, approved at once."""
    with st.expander(tr("examples.add.title"), icon=":material/add:"):
        with st.form("ex_add", border=False):
            question = st.text_input(tr("examples.question"))
            sql = st.text_area("SQL", height=120)
            added = st.form_submit_button(tr("examples.add.submit"))
        if added:
            act(
                lambda: feedback.add_example(actor, question, sql, check=check(question)),
                Message.of("examples.added.done", question=question.strip()),
            )


st.title(tr("examples.title"))
st.caption(tr("examples.intro") if reviewing else tr("examples.intro.mine"))
flash = st.session_state.get(FLASH_KEY)
if isinstance(flash, Message):
    st.success(md_message(flash, lang) or "")
if reviewing:
    add_form()

st.subheader(tr("examples.pending", count=len(pending)))
if not pending:
    st.info(tr("examples.pending.none"))
for proposal in pending:
    with st.container(border=True, key=f"ex_pending_{proposal.id}"):
        when = format_when(proposal.proposed_at, lang)
        st.caption(md_t(tr, "examples.proposed", user=proposal.proposed_by, when=when))
        if reviewing:
            review(proposal)
        else:
            st.markdown(f"**{escape_markdown(proposal.question)}**")
            st.code(proposal.sql, language="sql", wrap_lines=True)

st.subheader(tr("examples.approved", count=len(approved)))
if not approved:
    st.caption(tr("examples.approved.none"))
for proposal in approved:
    with st.container(border=True, key=f"ex_approved_{proposal.id}"):
        st.markdown(f"**{escape_markdown(proposal.question)}**")
        st.code(proposal.sql, language="sql", wrap_lines=True)
        by = proposal.reviewed_by or "?"
        st.caption(md_t(tr, "examples.approved.by", reviewer=by, user=proposal.proposed_by))
        if reviewing and st.button(
            tr("examples.remove"), key=f"ex_remove_{proposal.id}", icon=":material/delete:"
        ):
            act(
                partial(feedback.remove, proposal.id, actor),
                Message.of("examples.removed.done", question=proposal.question),
            )
