"""The monitoring page's schema drift section: the last check, what changed, re-index.

The checks are read from the app database (`backend.monitoring.schema_checks`), so the
section costs no introspection; "Check now" and "Re-index now" run in button callbacks
(`wiring.drift`), and a re-index reaches every app process through the index version
(`Engine.follow_index`). The re-index is audited like the one on the access page.
"""

from __future__ import annotations

import logging

import pandas as pd
import streamlit as st

from auth.admin import AdminActions
from backend.errors import KeskinubeError
from backend.i18n import Message, Translator, t
from backend.monitoring.schema_checks import SchemaCheck, SchemaCheckStore
from ui.components.formats import NA
from ui.components.markdown import md_error
from ui.context import current_source, get_auth, get_registry, get_services
from wiring.drift import check_schema, reindex, schema_checks

log = logging.getLogger(__name__)
OUTCOME_KEY = "monitoring_schema_outcome"
WHEN = st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")  # i18n: not prose


def schema_drift_section(tr: Translator, admin: str) -> None:
    """The section, for `admin` (who a re-index is recorded under)."""
    st.subheader(tr("monitoring.schema.title"))
    store = SchemaCheckStore(get_auth().engine)
    # The current data source's: its index key, without building its services.
    database = get_registry().source(current_source()).index_key
    last = store.latest(database)
    if last is None:
        st.info(tr("monitoring.schema.never"))
    elif last.in_sync:
        st.success(tr("monitoring.schema.in_sync", checked=_when(last.checked_at)))
    else:
        st.warning(
            tr.count(
                "monitoring.schema.drift",
                len(last.changes),
                since=_when(last.at),
                checked=_when(last.checked_at),
            )
        )
        _changes(tr, last)
    check_col, index_col = st.columns(2)
    check_col.button(tr("monitoring.schema.check"), on_click=_check, args=(tr.language,))
    if last is not None and not last.in_sync:
        index_col.button(
            tr("monitoring.schema.reindex"),
            type="primary",
            on_click=_reindex,
            args=(tr.language, admin),
        )
    if outcome := st.session_state.pop(OUTCOME_KEY, None):
        kind, message = outcome
        (st.error if kind == "error" else st.success)(message)
    history = store.history(database)
    if len(history) > 1:
        with st.expander(tr("monitoring.schema.history")):
            _history(tr, history)


def _changes(tr: Translator, check: SchemaCheck) -> None:
    headers = {name: tr(f"monitoring.schema.column.{name}") for name in _CHANGE_COLUMNS}
    rows = [
        {
            headers["change"]: tr(f"monitoring.schema.{c.kind}.{c.change}"),
            headers["table"]: c.table,
            headers["name"]: c.name,
            headers["before"]: c.before,
            headers["after"]: c.after,
        }
        for c in check.changes
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", placeholder=NA)


_CHANGE_COLUMNS = ("change", "table", "name", "before", "after")


def _history(tr: Translator, history: list[SchemaCheck]) -> None:
    headers = {name: tr(f"monitoring.schema.column.{name}") for name in _HISTORY_COLUMNS}
    frame = pd.DataFrame(
        {
            headers["since"]: [c.at for c in history],
            headers["checked"]: [c.checked_at for c in history],
            headers["changes"]: [len(c.changes) for c in history],
            headers["reindexed_by"]: [c.reindexed_by for c in history],
        }
    )
    config = {headers["since"]: WHEN, headers["checked"]: WHEN}
    st.dataframe(frame, hide_index=True, width="stretch", placeholder=NA, column_config=config)


_HISTORY_COLUMNS = ("since", "checked", "changes", "reindexed_by")


def _when(moment: object) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _check(language: str) -> None:
    """Button callback: compare the database with the index now."""
    try:
        services = get_services()
        check_schema(services, schema_checks(services))
    except KeskinubeError as exc:
        log.warning("schema check failed: %s", exc)
        st.session_state[OUTCOME_KEY] = ("error", md_error(exc, language))
        return
    st.session_state[OUTCOME_KEY] = ("success", t("monitoring.schema.checked", language))


def _reindex(language: str, admin: str) -> None:
    """Button callback: index the schema again, then record the check after it."""
    try:
        services = get_services()
        stats, _ = reindex(services, schema_checks(services), username=admin)
    except KeskinubeError as exc:
        log.warning("re-index failed: %s", exc)
        st.session_state[OUTCOME_KEY] = ("error", md_error(exc, language))
        return
    counts = stats.counts()
    summary = Message.of("admin.access.index.summary", **counts)
    AdminActions(get_auth(), by=admin).record_reindex(summary)
    message = t("admin.access.index.done", language, summary=summary.render(language))
    st.session_state[OUTCOME_KEY] = ("success", message)
