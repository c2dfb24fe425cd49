"""Admin: who may see what — tables and columns per role, row filters, user attributes.

Rules belong to a data source: the page edits those of the source picked in the sidebar.
Tables and columns come from its indexed schema; a role without rules may read every
table. Row filters are applied by the SQL guard, which fills `:user.<attr>` from the
user attributes edited below. Changes go through `auth.admin.AdminActions` (audited).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import streamlit as st

from auth import roles
from auth.admin import AdminActions, format_attributes, parse_attributes
from backend.errors import KeskinubeError
from backend.i18n import Message, t
from ui.components.markdown import escape_markdown, md_error, md_message, md_t
from ui.context import current_source, get_auth, get_services, translator
from ui.navigation import require_page
from wiring.services import index_database

log = logging.getLogger(__name__)
FLASH_KEY = "admin_access_flash"
REINDEX_KEY = "admin_access_reindex"
OWNERS = ("role", "user")

admin = require_page(roles.PAGE_ADMIN_ACCESS)
auth = get_auth()
actions = AdminActions(auth, by=admin.username)
tr = translator()


def role_label(role: str) -> str:
    return tr(f"auth.role.{role}")


def act(change: Callable[[], object], message: str) -> None:
    """Run one change; on success show `message` after a rerun, else the refusal."""
    try:
        change()
    except KeskinubeError as exc:
        log.info("admin %s: refused: %s", admin.username, exc)
        st.error(md_error(exc, tr.language))
        return
    st.session_state[FLASH_KEY] = message
    st.rerun()


st.title(tr("app.nav.admin_access"))
if flash := st.session_state.pop(FLASH_KEY, None):
    st.success(flash)
try:
    engine = get_services().engine
    engine.follow_index()  # re-indexed by another process: show its tables
    tables = engine.tables()
except KeskinubeError as exc:
    log.warning("schema unavailable on the access page: %s", exc)
    st.error(tr("admin.access.schema_error", error=md_error(exc, tr.language)))
    tables = {}

source = current_source()  # the sidebar's picker: rules are per data source
st.caption(tr("admin.access.source", source=escape_markdown(source)))
st.subheader(tr("admin.access.tables.title"))
role = st.selectbox(
    tr("admin.access.field.role"),
    roles.ROLES,
    index=roles.ROLES.index(roles.ANALYST),
    format_func=role_label,
)
policy = auth.policies.role_policy(role, source=source)
table_options = sorted(set(tables) | set(policy.allowed_tables or ()))
stored_denied = {f"{table}.{column}" for table, column in policy.denied_columns}
column_options = sorted(
    {f"{t.name}.{name}" for t in tables.values() for name in t.column_names} | stored_denied
)
with st.form(f"table_rules_{role}"):
    every_table = st.checkbox(tr("admin.access.all_tables"), value=policy.allowed_tables is None)
    allowed = st.multiselect(
        tr("admin.access.allowed_tables"),
        table_options,
        default=sorted(policy.allowed_tables or ()),
        placeholder=tr("admin.access.allowed_tables.placeholder"),
    )
    denied = st.multiselect(
        tr("admin.access.denied_columns"),
        column_options,
        default=sorted(stored_denied),
        placeholder=tr("admin.access.none"),
    )
    if st.form_submit_button(tr("admin.access.rules.submit"), type="primary"):
        act(
            lambda: actions.set_table_rules(
                role,
                allowed_tables=None if every_table else allowed,
                denied_columns=denied,
                source=source,
            ),
            tr("admin.access.rules.saved", role=role_label(role)),
        )

st.subheader(tr("admin.access.filters.title"))
st.caption(tr("admin.access.filters.help"))
filters = auth.policies.row_filters(source=source)
if filters:
    st.dataframe(
        [
            {
                "#": f.id,
                tr("admin.access.column.table"): f.table,
                tr("admin.access.column.condition"): f.predicate,
                tr("admin.access.column.description"): f.description or "",
                tr("admin.access.column.applies_to"): (
                    tr("admin.access.owner.role_named", role=role_label(f.role))
                    if f.role
                    else tr("admin.access.owner.user_named", username=f.username)
                ),
            }
            for f in filters
        ],
        hide_index=True,
    )
usernames = [u.username for u in auth.users.list_users()]
with st.form("add_row_filter"):
    owner_col, who_col, table_col = st.columns(3)
    owner = owner_col.radio(
        tr("admin.access.column.applies_to"),
        OWNERS,
        format_func=lambda owner: tr(f"admin.access.owner.{owner}"),
        horizontal=True,
    )
    who_role = who_col.selectbox(
        tr("admin.access.field.role"),
        roles.ROLES,
        index=roles.ROLES.index(roles.MANAGER),
        format_func=role_label,
    )
    who_user = who_col.selectbox(tr("admin.access.field.user"), usernames)
    table = table_col.selectbox(
        tr("admin.access.column.table"), table_options, accept_new_options=True
    )
    predicate = st.text_input(
        tr("admin.access.column.condition"), placeholder="region_id = :user.region_id"
    )
    description = st.text_input(
        tr("admin.access.column.description"),
        placeholder=tr("admin.access.filters.description.placeholder"),
        help=tr("admin.access.filters.description.help"),
    )
    if st.form_submit_button(tr("admin.access.filters.add")):
        owned_by = {"role": who_role} if owner == "role" else {"username": who_user}
        act(
            lambda: actions.add_row_filter(
                table or "", predicate, description=description, source=source, **owned_by
            ),
            md_t(tr, "admin.access.filters.added", table=table),
        )
if filters:
    remove_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
    doomed = remove_col.selectbox(
        tr("admin.access.filters.to_remove"), [f.id for f in filters], format_func="#{}".format
    )
    if button_col.button(tr("admin.access.filters.remove")):
        act(
            lambda: actions.remove_row_filter(doomed),
            tr("admin.access.filters.removed", id=doomed),
        )

st.subheader(tr("admin.access.attributes.title"))
holder = st.selectbox(tr("admin.access.field.user"), usernames, key="attributes_user")
if holder:
    current = auth.users.get_user(holder).attributes
    with st.form(f"attributes_{holder}"):
        text = st.text_area(
            tr("admin.access.attributes.field"),
            value="\n".join(f"{k}={v}" for k, v in sorted(current.items())),
            placeholder="region_id=3",
        )
        if st.form_submit_button(tr("admin.access.attributes.submit")):
            act(
                lambda: actions.set_attributes(holder, parse_attributes(text)),
                md_t(tr, "admin.access.attributes.saved", username=holder),
            )
    shown = format_attributes(current) if current else tr("admin.access.none")
    st.caption(md_t(tr, "admin.access.attributes.now", attributes=shown))

st.subheader(tr("admin.access.index.title"))
st.caption(tr.count("admin.access.index.help", len(tables)))


def reindex(language: str) -> None:
    """Button callback: it runs before the page, so a rerun can't swallow its result."""
    try:
        stats = index_database(get_services())
    except KeskinubeError as exc:
        log.warning("re-index failed: %s", exc)
        st.session_state[REINDEX_KEY] = ("error", md_error(exc, language), None)
        return
    counts = stats.counts()
    summary_message = Message.of("admin.access.index.summary", **counts)
    actions.record_reindex(summary_message)
    summary = summary_message.render(language)
    message = t("admin.access.index.done", language, summary=summary)
    st.session_state[REINDEX_KEY] = ("success", message, md_message(stats.warning, language))


st.button(tr("admin.access.index.submit"), on_click=reindex, args=(tr.language,))
if outcome := st.session_state.pop(REINDEX_KEY, None):
    kind, message, warning = outcome
    (st.error if kind == "error" else st.success)(message)
    if warning:
        st.warning(warning)
