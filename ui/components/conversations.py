"""The conversation around the answers: stores, the sidebar list, asking with live steps.

`app_stores()` holds the conversation, dashboard and feedback stores on the app database
(shared infrastructure, one per process — nothing per user). `conversation_sidebar`
lists the user's conversations (new, open, rename, delete) and keeps the open one's id in
the page URL (`?c=<id>`), so a reload reopens it. `run_own_sql` runs SQL the user wrote;
`keep` audits a run and stores its answer, errors included, so nothing is lost (questions
are asked through `ui.components.question_queue`).
"""

from __future__ import annotations

import logging

import streamlit as st

from auth.audit import AuditLog
from auth.services import AuthServices
from backend.charts import ChartSpec, chart_for
from backend.config import Settings
from backend.conversations import DEFAULT_TITLE, Conversation, ConversationStore, TurnKind
from backend.domain import Actor, Answer
from backend.errors import KeskinubeError
from backend.feedback import ExampleIndex
from backend.i18n import Translator
from backend.pipeline import Engine
from backend.summary import summarise
from ui.components.audited import record_audit
from ui.components.markdown import escape_markdown, md_error
from ui.context import get_auth, get_services, translator
from wiring.stores import AppStores, build_app_stores

log = logging.getLogger(__name__)

CURRENT_KEY = "chat_conversation_id"
URL_PARAM = "c"  # the open conversation's id in the page URL: a reload reopens it
SIDEBAR_LIMIT = 30
# What the live status says at each step of `Engine.ask`, as catalogue keys (chat.po);
# drawn by `ui.components.question_queue`.
STEP_KEYS = {
    "retrieve": "chat.step.retrieve",
    "generate": "chat.step.generate",
    "check": "chat.step.check",
    "execute": "chat.step.execute",
}


@st.cache_resource(show_spinner=False)
def _stores(_auth: AuthServices, _index: ExampleIndex, database: str) -> AppStores:
    return build_app_stores(_auth.engine, _index, database)


def app_stores() -> AppStores:
    """The stores on the app database, built once per process."""
    services = get_services()
    return _stores(get_auth(), services.store, services.database)


# -- sidebar -------------------------------------------------------------------------------


def conversation_sidebar(store: ConversationStore, username: str) -> Conversation | None:
    """List the user's conversations in the sidebar; return the open one (None: a new one)."""
    history = store.list_for(username)
    if CURRENT_KEY not in st.session_state:  # a new browser session: a reload, a link
        st.session_state[CURRENT_KEY] = _id_in_url()
    # Only one of the user's own conversations opens: an id from the URL is anyone's to
    # write, and another user's id opens an empty chat, showing nothing of theirs.
    current = next((c for c in history if c.id == st.session_state.get(CURRENT_KEY)), None)
    st.session_state[CURRENT_KEY] = current.id if current else None
    _show_in_url(current)
    tr = translator()
    with st.sidebar:
        st.caption(tr("conversations.heading"))
        st.button(
            tr("conversations.new"),
            icon=":material/add:",
            width="stretch",
            key="chat_new",
            on_click=_open,
            args=(None,),
        )
        for conversation in history[:SIDEBAR_LIMIT]:
            st.button(
                escape_markdown(conversation_title(conversation, tr)),  # labels are markdown
                key=f"chat_open_{conversation.id}",
                type="primary" if current and conversation.id == current.id else "tertiary",
                width="stretch",
                on_click=_open,
                args=(conversation.id,),
            )
        if current is not None:
            _manage(store, username, current, tr)
    return current


def conversation_title(conversation: Conversation, tr: Translator) -> str:
    """The conversation's name; a still-untitled one is named in the reader's language."""
    if conversation.title == DEFAULT_TITLE:
        return tr("conversations.new")
    return conversation.title


def _open(conversation_id: int | None) -> None:
    st.session_state[CURRENT_KEY] = conversation_id


def _id_in_url() -> int | None:
    """The conversation id the page URL names (`?c=12`), if it is a number."""
    value = st.query_params.get(URL_PARAM)
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


def _show_in_url(conversation: Conversation | None) -> None:
    """Name the open conversation in the URL (a new, empty one: none), so that reloading
    the page, or a bookmark, opens it again. Written only when it changes."""
    wanted = None if conversation is None else str(conversation.id)
    if st.query_params.get(URL_PARAM) == wanted:
        return
    if wanted is None:
        del st.query_params[URL_PARAM]
    else:
        st.query_params[URL_PARAM] = wanted


def _manage(
    store: ConversationStore, username: str, conversation: Conversation, tr: Translator
) -> None:
    conversation_id = conversation.id
    with st.popover(tr("conversations.manage"), icon=":material/edit:", width="stretch"):
        new_title = st.text_input(
            tr("conversations.name"),
            value=conversation_title(conversation, tr),
            key=f"chat_title_{conversation_id}",
        )
        rename, delete = st.columns(2)
        try:
            if rename.button(
                tr("conversations.rename"), key=f"chat_rename_{conversation_id}", type="primary"
            ):
                store.rename(username, conversation_id, new_title)
                st.rerun()
            if delete.button(tr("common.delete"), key=f"chat_delete_{conversation_id}"):
                store.delete(username, conversation_id)
                _open(None)
                st.rerun()
        except KeskinubeError as exc:
            st.warning(md_error(exc, tr.language))


# -- asking --------------------------------------------------------------------------------


def run_own_sql(sql: str, *, engine: Engine, actor: Actor) -> Answer:
    """SQL the user wrote or edited, through the same guard (`Engine.run_sql`)."""
    with st.spinner(translator()("chat.own_sql.running")):
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
    language: str = "en",
) -> int:
    """Audit the run, choose its chart and sentence (in `language`), store it; returns the
    conversation id. The page writes the sentence anew in the reader's language anyway."""
    record_audit(audit, username, answer)  # a failure warns; the answer is kept all the same
    chart: ChartSpec | None = None
    summary = ""
    if answer.result is not None:
        frame = answer.result.frame
        chart = chart_for(frame, answer.chart_proposal)
        summary = summarise(
            frame,
            chart,
            answer.question,
            locale=language,
            currency=settings.currency_symbol,
            truncated=answer.result.truncated,
        )
    if conversation_id is None:
        conversation_id = store.create(username).id
    store.append(
        username,
        conversation_id,
        answer,
        kind=kind,
        written=written,
        chart=chart,
        summary=summary,
    )
    _open(conversation_id)
    return conversation_id
