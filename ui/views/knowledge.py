"""Knowledge (admin): what the business database's tables and columns mean, in users' words.

The local model drafts a description and synonyms (English, Spanish) per table and
column in the background; the admin reads, edits and approves them, and writes business
terms and notes. Every save re-indexes what changed, so the next question's prompt and
retrieval use it. The whole knowledge downloads and uploads as YAML (kept in git).
Every value from the database or the admin is shown as plain text, never as markdown.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Literal

import streamlit as st

from auth import roles
from backend.domain import TableDoc
from backend.errors import DATABASE_ERRORS, KeskinubeError
from backend.knowledge import APPROVED, DRAFT, EDITED, NOTE, TERM, Entry, Knowledge, Term
from backend.knowledge.jobs import job_for
from backend.knowledge.model import Status, TermKind, clean_synonyms
from backend.knowledge.yaml_io import (
    KnowledgeFileError,
    dump_knowledge,
    import_knowledge,
    parse_knowledge,
)
from ui.context import get_services, translator
from ui.navigation import require_page
from wiring.services import refresh_knowledge, start_background_draft

log = logging.getLogger(__name__)
FLASH_KEY, WATCH_KEY, UNKNOWN_KEY = "knowledge_flash", "knowledge_watch", "knowledge_unknown"
BadgeColor = Literal["orange", "green", "blue", "gray"]
BADGES: dict[Status, tuple[str, BadgeColor]] = {
    DRAFT: ("knowledge.status.draft", "orange"),
    APPROVED: ("knowledge.status.approved", "green"),
    EDITED: ("knowledge.status.edited", "blue"),
}
NO_BADGE: tuple[str, BadgeColor] = ("knowledge.status.none", "gray")
# Named tuples of exception classes: mypy cannot check an `except` on a starred tuple.
LOAD_ERRORS: tuple[type[Exception], ...] = (KeskinubeError, *DATABASE_ERRORS)
SAVE_ERRORS: tuple[type[Exception], ...] = (KeskinubeError, ValueError, *DATABASE_ERRORS)

admin = require_page(roles.PAGE_ADMIN_KNOWLEDGE)
tr = translator()
services = get_services()
store = services.knowledge
try:  # its tables are made with the app database's (appdb.migrate.upgrade)
    services.engine.follow_index()  # re-indexed by another process: show its tables
    tables: dict[str, TableDoc] = services.engine.tables()
    knowledge: Knowledge = store.load()
except LOAD_ERRORS as exc:
    log.warning("knowledge page: %s", exc)
    st.error(tr("knowledge.unavailable"))
    st.stop()


def save(change: Callable[[], object], flash: str) -> None:
    """Run one change, re-index what it changed, and show `flash` after a rerun."""
    try:
        change()
        refresh_knowledge(services)
    except SAVE_ERRORS as exc:
        log.info("knowledge change by %s refused: %s", admin.username, exc)
        st.error(tr("knowledge.save_failed"))
        return
    st.session_state[FLASH_KEY] = flash
    st.rerun()


def words(text: str) -> tuple[str, ...]:
    return clean_synonyms(text)


st.title(tr("knowledge.title"))
st.caption(tr("knowledge.intro"))
if flash := st.session_state.pop(FLASH_KEY, None):
    st.success(flash)
if unknown := st.session_state.pop(UNKNOWN_KEY, None):
    st.warning(tr("knowledge.yaml.unknown", count=len(unknown)))
    st.code("\n".join(unknown), language=None)

# -- drafting ------------------------------------------------------------------------------
job = job_for(services.database)


@st.fragment(run_every=2 if job.state.running else None)
def draft_panel() -> None:
    state = job.state
    if state.running:
        st.session_state[WATCH_KEY] = True
        progress = tr("knowledge.draft.progress", done=state.done, total=state.total)
        st.progress(state.done / max(state.total, 1), text=progress)
        st.text(state.table)
        if st.button(tr("knowledge.draft.cancel"), key="kn_cancel"):
            job.cancel()
        return
    if st.session_state.pop(WATCH_KEY, False):
        st.rerun()  # the run ended: show what it drafted
    if state.finished:
        st.info(
            tr(
                "knowledge.draft.finished",
                drafted=state.drafted,
                failed=state.failed,
                unchanged=state.unchanged,
                left=state.left,
            )
        )
        if state.error:
            st.warning(tr("knowledge.draft.stopped"))
            st.text(state.error)
    if st.button(
        tr("knowledge.draft.start"),
        key="kn_start",
        icon=":material/auto_awesome:",
        disabled=not tables,
    ):
        start_background_draft(services)
        st.session_state[WATCH_KEY] = True
        st.rerun()


st.subheader(tr("knowledge.draft.title"))
st.caption(tr("knowledge.draft.intro", limit=services.settings.knowledge_draft_max_tables))
draft_panel()

# -- tables and columns --------------------------------------------------------------------
st.subheader(tr("knowledge.tables.title"))
if not tables:
    st.info(tr("knowledge.tables.none"))


def drafts_in(table: TableDoc) -> int:
    keys = [(table.name, "")] + [(table.name, c.name) for c in table.columns]
    return sum(1 for k in keys if (e := knowledge.entries.get(k)) is not None and not e.reviewed)


def entry_fields(table: str, column: str, label: str) -> tuple[Entry | None, str, str, str, bool]:
    """Inputs of one table or column; returns the stored entry and what the form holds."""
    stored = knowledge.entry(table, column)
    with st.container(border=True):
        head = st.columns([3, 1])
        head[0].text(label)
        key, color = BADGES[stored.status] if stored else NO_BADGE
        with head[1]:
            st.badge(tr(key), color=color)
        # Keyed by what is stored, so a new draft or a save shows fresh inputs.
        prefix = f"kn_{table}_{column}_{hash(stored)}"
        shown = stored or Entry(table, column)
        text = st.text_input(
            tr("knowledge.field.description"), shown.description, key=f"{prefix}_desc"
        )
        pair = st.columns(2)
        en = pair[0].text_input(
            tr("knowledge.field.synonyms_en"), ", ".join(shown.synonyms_en), key=f"{prefix}_en"
        )
        es = pair[1].text_input(
            tr("knowledge.field.synonyms_es"), ", ".join(shown.synonyms_es), key=f"{prefix}_es"
        )
        reviewed = st.checkbox(
            tr("knowledge.field.approved"),
            stored is not None and stored.reviewed,
            key=f"{prefix}_ok",
        )
    return stored, text, en, es, reviewed


def reviewed_entry(
    table: str, column: str, form: tuple[Entry | None, str, str, str, bool]
) -> Entry | None:
    """What to save for one form row: edited when its text changed, approved when ticked."""
    stored, text, en, es, ok = form
    entry = Entry(table, column, " ".join(text.split()), words(en), words(es))
    if stored is None:
        return (
            None
            if not (entry.description or entry.synonyms)
            else Entry(**{**entry.__dict__, "status": EDITED})
        )
    status: Status
    if not entry.same_content(stored):
        status = EDITED
    elif ok:
        status = stored.status if stored.reviewed else APPROVED
    else:
        status = DRAFT
    if status == stored.status and entry.same_content(stored):
        return None
    return replace(entry, status=status, fingerprint=stored.fingerprint)


if tables:
    chosen = st.selectbox(
        tr("knowledge.tables.pick"),
        sorted(tables),
        key="kn_table",
        format_func=lambda name: tr(
            "knowledge.tables.option", table=name, drafts=drafts_in(tables[name])
        ),
    )
    table = tables[chosen]
    with st.form(f"kn_form_{chosen}"):
        rows = [("", entry_fields(chosen, "", tr("knowledge.table_row", table=chosen)))]
        for column in table.columns:
            label = f"{column.name} · {column.type}"  # i18n: not prose
            rows.append((column.name, entry_fields(chosen, column.name, label)))
        if st.form_submit_button(tr("common.save"), type="primary"):
            changed = [e for c, form in rows if (e := reviewed_entry(chosen, c, form)) is not None]
            save(
                lambda: store.save(changed, by=admin.username),
                tr("knowledge.saved", count=len(changed)),
            )
    pending = [e for e in knowledge.entries.values() if e.table == chosen and not e.reviewed]
    if pending and st.button(tr("knowledge.approve_all", count=len(pending)), key="kn_approve_all"):
        approved = [replace(e, status=APPROVED) for e in pending]
        save(
            lambda: store.save(approved, by=admin.username),
            tr("knowledge.saved", count=len(approved)),
        )

# -- business terms and notes --------------------------------------------------------------
st.subheader(tr("knowledge.terms.title"))
st.caption(tr("knowledge.terms.intro"))
for term in knowledge.terms:
    with st.form(f"kn_term_{term.kind}_{term.name}"):
        kind_label = tr("knowledge.kind.term" if term.kind == TERM else "knowledge.kind.note")
        st.caption(kind_label)
        name = st.text_input(tr("knowledge.terms.name"), term.name)
        body = st.text_area(tr("knowledge.terms.text"), term.text, height=80)
        buttons = st.columns(2)
        if buttons[0].form_submit_button(tr("common.save")):
            save(
                partial(
                    store.save_term,
                    Term(name, body, term.kind),
                    by=admin.username,
                    old_name=term.name,
                ),
                tr("knowledge.terms.saved"),
            )
        if buttons[1].form_submit_button(tr("common.delete")):
            save(partial(store.delete_term, term.name, term.kind), tr("knowledge.terms.deleted"))
with st.form("kn_term_new", clear_on_submit=True):
    st.caption(tr("knowledge.terms.add"))
    kinds: tuple[TermKind, ...] = (TERM, NOTE)
    kind = st.selectbox(
        tr("knowledge.terms.kind"), kinds, format_func=lambda k: tr(f"knowledge.kind.{k}")
    )
    name = st.text_input(tr("knowledge.terms.name"))
    body = st.text_area(tr("knowledge.terms.text"), height=80)
    if st.form_submit_button(tr("knowledge.terms.add_button")):
        if name.strip() and body.strip():
            save(
                lambda: store.save_term(Term(name, body, kind), by=admin.username),
                tr("knowledge.terms.saved"),
            )
        else:
            st.warning(tr("knowledge.terms.need_both"))

# -- YAML ----------------------------------------------------------------------------------
st.subheader(tr("knowledge.yaml.title"))
st.caption(tr("knowledge.yaml.intro"))
st.download_button(
    tr("knowledge.yaml.download"),
    dump_knowledge(services.database, knowledge),
    file_name=f"knowledge-{services.database}.yaml",
    mime="application/yaml",
    icon=":material/download:",
)
upload = st.file_uploader(tr("knowledge.yaml.upload"), type=["yaml", "yml"], key="kn_upload")
if upload is not None and st.button(tr("knowledge.yaml.import"), key="kn_import"):
    try:
        parsed = parse_knowledge(upload.getvalue().decode("utf-8"), tables)
    except (KnowledgeFileError, UnicodeDecodeError) as exc:
        st.error(tr("knowledge.yaml.bad_file"))
        st.text(str(exc))
        st.stop()
    st.session_state[UNKNOWN_KEY] = parsed.unknown  # shown after the rerun
    count = len(parsed.entries)
    save(
        lambda: import_knowledge(store, parsed, by=admin.username),
        tr(
            "knowledge.yaml.imported",
            entries=count,
            terms=len(parsed.terms),
            unknown=len(parsed.unknown),
        ),
    )
