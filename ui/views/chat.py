"""Chat: ask questions in plain language; answers come with SQL, a chart and a table.

Conversations are kept per user in the app database (sidebar: new, open, rename, delete).
Questions are queued and answered one at a time (`ui.components.question_queue`: the input
is off meanwhile, a click waits until the answer is kept) under a live status (tables →
SQL → check → run → chart); each is audited and stored, then the page redraws the
conversation from the store. Without a model, the "Write SQL yourself" box still gives
tables and charts. Every text comes from the message catalogue (chat.po) in the reader's
language.
"""

from __future__ import annotations

import logging

import streamlit as st

from auth import roles
from backend import demo
from backend.config import get_settings
from backend.errors import KeskinubeError
from backend.feedback import APPROVED, suggested_questions
from ui.components.answer import AnswerContext, render_turn
from ui.components.conversations import (
    answers,
    app_stores,
    conversation_sidebar,
    conversation_title,
    run_own_sql,
)
from ui.components.markdown import escape_markdown, md_error
from ui.components.question_queue import (
    answer_next,
    pending_questions,
    queue_question,
    show_keep_error,
)
from ui.context import current_actor, get_auth, get_knowledge, get_services, translator
from ui.navigation import require_page

log = logging.getLogger(__name__)

user = require_page(roles.PAGE_CHAT)
tr = translator()
try:
    actor = current_actor()
    settings, services, auth = get_settings(), get_services(), get_auth()
    stores = app_stores(services)
    conversation = conversation_sidebar(stores.conversations, user.username, source=services.source)
    conversation_id = conversation.id if conversation else None
    turns = stores.conversations.turns(user.username, conversation_id) if conversation_id else []
except KeskinubeError as exc:
    st.error(md_error(exc, tr.language))
    st.stop()
if actor is None:
    st.stop()
engine = services.engine


def suggestions() -> list[str]:
    """Three questions for an empty conversation, from examples or the schema itself."""
    try:
        tables = engine.tables()
    except KeskinubeError as exc:
        log.info("no suggestions: %s", exc)
        return []
    examples = [p.example for p in stores.feedback.proposals(APPROVED)]
    if set(demo.DEMO_TABLE_NAMES) <= set(tables):
        shown = demo.load_examples(language=tr.language, dialect=engine.runner.dialect)
        examples = [*shown, *examples]
    return suggested_questions(
        list(tables.values()),
        examples,
        actor=actor,
        dialect=engine.runner.dialect,
        language=tr.language,
    )


st.title(
    escape_markdown(conversation_title(conversation, tr)) if conversation else tr("chat.title")
)
queue = pending_questions()
# One question at a time: the input is off while one is answered (queue_question queues
# what is submitted, before this run starts).
st.chat_input(
    tr("chat.input.placeholder"),
    key="chat_question",
    on_submit=queue_question,
    disabled=bool(queue),
)
if not turns and not queue:
    st.markdown(tr("chat.empty.intro"))
    for n, suggestion in enumerate(suggestions()):
        # An approved example's question, written by a user: the label is markdown.
        label = escape_markdown(suggestion)
        st.button(
            label,
            key=f"chat_suggestion_{n}",
            icon=":material/lightbulb:",
            on_click=queue_question,
            args=(suggestion,),
        )

context = AnswerContext(
    actor=actor,
    engine=engine,
    settings=settings,
    stores=stores,
    conversation_id=conversation_id or 0,
    can_pin=roles.can_open(actor.role, roles.PAGE_DASHBOARDS),
    tr=tr,
    knowledge=get_knowledge(),
    source=services.source,
)
for turn in turns:
    render_turn(turn, context)


answer_next(answers=answers(services), actor=actor, tr=tr, activity=services.activity)
show_keep_error()

last_failed = bool(turns) and turns[-1].answer.error is not None
with st.expander(tr("chat.own_sql"), icon=":material/edit_note:", expanded=last_failed):
    with st.form("chat_own_sql", border=False):
        own_sql = st.text_area("SQL", placeholder="SELECT … FROM … LIMIT 100", height=120)
        run_sql = st.form_submit_button(tr("chat.own_sql.run"), icon=":material/play_arrow:")
    st.caption(tr("chat.own_sql.help"))
if run_sql and own_sql.strip():
    try:
        run_own_sql(own_sql, actor, conversation_id, tr.language)
    except KeskinubeError as exc:  # the run could not be kept
        st.error(md_error(exc, tr.language))
    else:
        st.rerun()
