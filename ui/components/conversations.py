"""The conversation around the answers: stores, the sidebar list, asking with live steps.

`app_stores()` holds the conversation, dashboard and feedback stores on the app database
(shared infrastructure, one per process — nothing per user). `conversation_sidebar`
lists the user's conversations (new, open, rename, delete). `ask` runs a question under an
`st.status` that shows each step as the engine reaches it; `run_own_sql` runs SQL the user
wrote. Both audit the run and store the answer, errors included, so nothing is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
import streamlit as st

from auth.audit import AuditLog
from backend import conversations as conversation_tables
from backend import dashboards as dashboard_tables
from backend import feedback as feedback_tables
from backend.charts import ChartSpec, choose_chart
from backend.config import Settings
from backend.conversations import Conversation, ConversationStore, TurnKind
from backend.dashboards import DashboardStore
from backend.domain import Actor, Answer, Turn
from backend.errors import KeskinubeError
from backend.feedback import ExampleIndex, FeedbackStore
from backend.pipeline import Engine
from backend.summary import summarise
from ui.context import get_auth, get_services

log = logging.getLogger(__name__)

CURRENT_KEY = "chat_conversation_id"
SIDEBAR_LIMIT = 30
STEP_LABELS = {
    "retrieve": "Finding the tables that matter…",
    "generate": "Writing SQL…",
    "check": "Checking the SQL against your access rules…",
    "execute": "Running the query…",
}


@dataclass(frozen=True)
class AppStores:
    """The stores the chat, dashboards and examples pages share."""

    conversations: ConversationStore
    dashboards: DashboardStore
    feedback: FeedbackStore


@st.cache_resource(show_spinner=False)
def _stores(_engine: sa.Engine, _index: ExampleIndex, database: str) -> AppStores:
    for module in (conversation_tables, dashboard_tables, feedback_tables):
        module.ensure_tables(_engine)
    return AppStores(
        ConversationStore(_engine),
        DashboardStore(_engine),
        FeedbackStore(_engine, index=_index, database=database),
    )


def app_stores() -> AppStores:
    """The stores on the app database, created (tables included) once per process."""
    services = get_services()
    return _stores(get_auth().engine, services.store, services.database)


# -- sidebar -------------------------------------------------------------------------------


def conversation_sidebar(store: ConversationStore, username: str) -> Conversation | None:
    """List the user's conversations in the sidebar; return the open one (None: a new one)."""
    history = store.list_for(username)
    current = next((c for c in history if c.id == st.session_state.get(CURRENT_KEY)), None)
    st.session_state[CURRENT_KEY] = current.id if current else None
    with st.sidebar:
        st.caption("Conversations")
        st.button(
            "New conversation", icon=":material/add:", width="stretch", key="chat_new",
            on_click=_open, args=(None,),
        )  # fmt: skip
        for conversation in history[:SIDEBAR_LIMIT]:
            st.button(
                conversation.title,
                key=f"chat_open_{conversation.id}",
                type="primary" if current and conversation.id == current.id else "tertiary",
                width="stretch",
                on_click=_open,
                args=(conversation.id,),
            )
        if current is not None:
            _manage(store, username, current)
    return current


def _open(conversation_id: int | None) -> None:
    st.session_state[CURRENT_KEY] = conversation_id


def _manage(store: ConversationStore, username: str, conversation: Conversation) -> None:
    conversation_id = conversation.id
    with st.popover("Rename or delete", icon=":material/edit:", width="stretch"):
        new_title = st.text_input(
            "Name", value=conversation.title, key=f"chat_title_{conversation_id}"
        )
        rename, delete = st.columns(2)
        try:
            if rename.button("Rename", key=f"chat_rename_{conversation_id}", type="primary"):
                store.rename(username, conversation_id, new_title)
                st.rerun()
            if delete.button("Delete", key=f"chat_delete_{conversation_id}"):
                store.delete(username, conversation_id)
                _open(None)
                st.rerun()
        except KeskinubeError as exc:
            st.warning(str(exc))


# -- asking --------------------------------------------------------------------------------


def ask(
    question: str,
    *,
    engine: Engine,
    actor: Actor,
    history: Sequence[Turn],
) -> Answer:
    """`Engine.ask` under an `st.status` that lists each step as it happens."""
    with st.status("Working on your question…", expanded=True) as status:
        tries = {"generate": 0}

        def step(name: str) -> None:
            label = STEP_LABELS.get(name, name)
            if name == "generate":
                tries["generate"] += 1
                if tries["generate"] > 1:
                    label = f"Fixing the SQL (try {tries['generate']})…"
            status.update(label=label)
            st.write(label)

        answer = engine.ask(question, actor, conversation=history, on_step=step)
        if answer.ok:
            st.write("Drawing the chart…")
        status.update(
            label="Done" if answer.ok else "Couldn't answer that",
            state="complete" if answer.ok else "error",
            expanded=False,
        )
    return answer


def run_own_sql(sql: str, *, engine: Engine, actor: Actor) -> Answer:
    """SQL the user wrote or edited, through the same guard (`Engine.run_sql`)."""
    with st.spinner("Checking and running your SQL…"):
        return engine.run_sql(sql, actor)


def keep(
    answer: Answer,
    *,
    store: ConversationStore,
    audit: AuditLog,
    settings: Settings,
    username: str,
    conversation_id: int | None,
    kind: TurnKind = "question",
    written: str | None = None,
) -> int:
    """Audit the run, choose its chart and sentence, store it; returns the conversation id."""
    try:
        audit.record_answer(username, answer)
    except Exception:  # the answer is still worth keeping and showing
        log.exception("could not write the audit log")
    chart: ChartSpec | None = None
    summary = ""
    if answer.result is not None:
        frame = answer.result.frame
        chart = choose_chart(frame)
        summary = summarise(frame, chart, answer.question, currency=settings.currency_symbol)
    if conversation_id is None:
        conversation_id = store.create(username).id
    store.append(
        username, conversation_id, answer, kind=kind, written=written, chart=chart,
        summary=summary,
    )  # fmt: skip
    _open(conversation_id)
    return conversation_id
