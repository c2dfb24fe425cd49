"""The conversation around the answers: stores, the sidebar list, asking with live steps.

`app_stores()` holds the conversation, dashboard and feedback stores on the app database
(shared infrastructure, one per process — nothing per user). `conversation_sidebar`
lists the user's conversations (new, open, rename, delete) and keeps the open one's id in
the page URL (`?c=<id>`), so a reload reopens it. `answers()` is the answer service every
page asks through (it audits and stores); `run_own_sql` runs SQL the user wrote (questions
are asked through `ui.components.question_queue`).
"""

from __future__ import annotations

import logging

import streamlit as st

from auth.services import AuthServices
from backend.answer_service import AnswerService, Reply
from backend.conversations import DEFAULT_TITLE, Conversation, ConversationStore
from backend.domain import Actor
from backend.errors import KeskinubeError
from backend.feedback import ExampleIndex
from backend.i18n import Translator
from ui.components.audited import show_later
from ui.components.markdown import escape_markdown, md_error
from ui.context import get_auth, get_services, translator
from wiring.services import Services, answer_service
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
    "chart": "chat.step.chart",
}


@st.cache_resource(show_spinner=False)
def _stores(_auth: AuthServices, _index: ExampleIndex, database: str, built: int) -> AppStores:
    del built  # cache key only: services rebuilt after an edit of their source
    return build_app_stores(_auth.engine, _index, database)


def app_stores(services: Services | None = None) -> AppStores:
    """The stores on the app database for `services`' data source (by default the
    current one), built once per process and source."""
    services = services or get_services()
    return _stores(get_auth(), services.store, services.database, id(services))


# -- sidebar -------------------------------------------------------------------------------


def conversation_sidebar(
    store: ConversationStore, username: str, *, source: str
) -> Conversation | None:
    """List the user's conversations on data source `source` in the sidebar; return the
    open one (None: a new one). Those of another source are listed when it is picked."""
    history = store.list_for(username, source=source)
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


def open_conversation(conversation_id: int | None) -> None:
    """Make `conversation_id` the open one (None: a new, empty one) from the next run."""
    _open(conversation_id)


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


@st.cache_resource(show_spinner=False)
def _answers(
    source: str, built: int, _services: Services, _auth: AuthServices, _stores: AppStores
) -> AnswerService:
    del source, built  # cache key only: one service per source and build of it
    return answer_service(_services, _auth.audit, _stores.conversations)


def answers(services: Services | None = None) -> AnswerService:
    """The answer service the pages ask through (audits, stores) on `services`' data
    source (by default the current one), built once per process and source."""
    services = services or get_services()
    return _answers(services.source, id(services), services, get_auth(), app_stores(services))


def run_own_sql(
    sql: str, actor: Actor, conversation_id: int | None, language: str, question: str = ""
) -> Reply:
    """SQL the user wrote or edited (for `question`, when it edits an answer's), through
    the same guard, audited and kept in the conversation."""
    with st.spinner(translator()("chat.own_sql.running")):
        reply = answers().run_sql(
            actor,
            sql,
            source="page",
            question=question,
            conversation_id=conversation_id,
            language=language,
        )
    show_later(reply.audit_warning)
    if reply.conversation_id is not None:
        _open(reply.conversation_id)
    return reply
