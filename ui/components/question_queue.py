"""One question at a time per user session, and none lost.

A question typed into the chat (or a suggestion clicked) is queued in the session first
(`queue_question`, the chat input's submit callback, runs before the page), then answered
oldest first by `answer_next`: the chat input stays disabled while the queue is not empty,
a question that slipped in meanwhile is shown as queued, and a click during the answer is
held until the answer is audited and stored (`Uninterrupted`). Each queued question keeps
the conversation it was asked in.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from backend.answer_service import AnswerService, Reply
from backend.domain import Actor
from backend.errors import KeskinubeError
from backend.i18n import Translator
from backend.model_activity import ModelActivity
from ui.components.answer_status import follow_answer
from ui.components.audited import show_later
from ui.components.conversations import CURRENT_KEY, STEP_KEYS, open_conversation
from ui.components.markdown import escape_markdown
from ui.components.uninterrupted import Uninterrupted

KEEP_ERROR_KEY = "chat_keep_error"

QUEUE_KEY = "chat_queue"
INPUT_KEY = "chat_question"


@dataclass
class Pending:
    """A question waiting for its answer; `conversation_id` None: a new conversation."""

    question: str
    conversation_id: int | None


def pending_questions() -> list[Pending]:
    """This session's queue (the list itself), oldest first."""
    queue = st.session_state.get(QUEUE_KEY)
    if not isinstance(queue, list):
        queue = st.session_state[QUEUE_KEY] = []
    return queue


def queue_question(question: str | None = None) -> None:
    """Queue `question` (default: what the chat input just submitted) in the open
    conversation; blank text is ignored."""
    text = question if question is not None else st.session_state.get(INPUT_KEY)
    if isinstance(text, str) and text.strip():
        pending_questions().append(Pending(text, st.session_state.get(CURRENT_KEY)))


def answer_next(
    *,
    answers: AnswerService,
    actor: Actor,
    tr: Translator,
    activity: ModelActivity | None = None,
) -> None:
    """Answer the oldest queued question under a live status, show the others as queued,
    then rerun the page to draw the answer from the store (the service audits and keeps
    it, in the question's conversation: a new one when it had none, which the questions
    queued after it then share).

    `activity` (the model server's, when known) explains slow waits. A turn the store
    could not keep is reported on the next run (`show_keep_error`).
    """
    queue = pending_questions()
    if not queue:
        return
    current, held = queue[0], Uninterrupted()
    try:
        held.call(_user_message, current.question)
        assistant = held.call(st.chat_message, "assistant")
        for waiting in queue[1:]:
            held.call(_user_message, waiting.question, queued=tr("chat.queued"))
        try:
            reply = _ask(current, assistant, answers, actor, held, tr, activity)
        except KeskinubeError as exc:  # the answer could not be kept
            st.session_state[KEEP_ERROR_KEY] = exc.render(tr.language)
        else:
            show_later(reply.audit_warning)
            if reply.conversation_id is not None:
                open_conversation(reply.conversation_id)
                for waiting in queue[1:]:
                    if waiting.conversation_id is None:
                        waiting.conversation_id = reply.conversation_id
    finally:  # answered or failed for good: never asked again in a loop
        if queue and queue[0] is current:
            queue.pop(0)
    held.release()
    st.rerun()


def show_keep_error() -> None:
    """Say that the last answer could not be kept (the store's own words), once."""
    failed = st.session_state.pop(KEEP_ERROR_KEY, None)
    if failed is not None:
        st.error(escape_markdown(failed))


def _user_message(question: str, queued: str | None = None) -> None:
    with st.chat_message("user"):
        st.text(question)
        if queued is not None:
            st.caption(f":material/schedule: {queued}")


def _ask(
    current: Pending,
    assistant: DeltaGenerator,
    answers: AnswerService,
    actor: Actor,
    held: Uninterrupted,
    tr: Translator,
    activity: ModelActivity | None,
) -> Reply:
    """`AnswerService.ask` under an `st.status` in `assistant` that lists each step as it
    happens, with the seconds spent and why the model is slow when it is (`follow_answer`)."""
    with assistant:
        status = held.call(st.status, tr("chat.step.working"), expanded=True)
        notice = held.call(st.empty)
    tries = {"generate": 0, "candidate": 0}

    def label(name: str) -> str:
        if name == "generate":
            tries["generate"] += 1
            if tries["generate"] > 1:
                return tr("chat.step.repair", attempt=tries["generate"])
        elif name == "candidate":  # another query, drawn because the answer looks doubtful
            tries["candidate"] += 1
            total = answers.engine.config.candidates
            return tr("chat.step.candidate", attempt=tries["candidate"], total=total)
        return tr(STEP_KEYS[name]) if name in STEP_KEYS else name

    reply = follow_answer(
        lambda on_step: answers.ask(
            actor,
            current.question,
            source="page",
            conversation_id=current.conversation_id,
            language=tr.language,
            on_step=on_step,
        ),
        status=status,
        notice=notice,
        held=held,
        tr=tr,
        step_label=label,
        activity=activity,
    )
    held.call(
        status.update,
        label=tr("chat.step.done") if reply.ok else tr("chat.step.failed"),
        state="complete" if reply.ok else "error",
        expanded=False,
    )
    return reply
