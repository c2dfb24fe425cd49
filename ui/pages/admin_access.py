"""Admin: who may see what — tables and columns per role, row filters, user attributes.

Tables and columns come from the indexed schema; a role without rules may read every
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
from backend.wiring import index_database
from ui.context import get_auth, get_services
from ui.navigation import require_page

log = logging.getLogger(__name__)
FLASH_KEY = "admin_access_flash"
REINDEX_KEY = "admin_access_reindex"

admin = require_page(roles.PAGE_ADMIN_ACCESS)
auth = get_auth()
actions = AdminActions(auth, by=admin.username)


def act(change: Callable[[], object], message: str) -> None:
    """Run one change; on success show `message` after a rerun, else the refusal."""
    try:
        change()
    except KeskinubeError as exc:
        log.info("admin %s: refused: %s", admin.username, exc)
        st.error(str(exc))
        return
    st.session_state[FLASH_KEY] = message
    st.rerun()


st.title("Access rules")
if flash := st.session_state.pop(FLASH_KEY, None):
    st.success(flash)
try:
    tables = get_services().engine.tables()
except KeskinubeError as exc:
    log.warning("schema unavailable on the access page: %s", exc)
    st.error(f"The indexed schema can't be read: {exc}")
    tables = {}

st.subheader("Tables and columns")
role = st.selectbox("Role", roles.ROLES, index=roles.ROLES.index(roles.ANALYST))
policy = auth.policies.role_policy(role)
table_options = sorted(set(tables) | set(policy.allowed_tables or ()))
stored_denied = {f"{table}.{column}" for table, column in policy.denied_columns}
column_options = sorted(
    {f"{t.name}.{name}" for t in tables.values() for name in t.column_names} | stored_denied
)
with st.form(f"table_rules_{role}"):
    every_table = st.checkbox(
        "All tables, including tables indexed later", value=policy.allowed_tables is None
    )
    allowed = st.multiselect(
        "Allowed tables (used when “All tables” is off)",
        table_options,
        default=sorted(policy.allowed_tables or ()),
    )
    denied = st.multiselect(
        "Denied columns", column_options, default=sorted(stored_denied), placeholder="none"
    )
    if st.form_submit_button("Save rules", type="primary"):
        act(
            lambda: actions.set_table_rules(
                role, allowed_tables=None if every_table else allowed, denied_columns=denied
            ),
            f"Saved the rules of {role}.",
        )

st.subheader("Row filters")
st.caption(
    "A condition on one table, added to every query that reads it. "
    "`:user.<name>` is replaced by that user attribute, e.g. `region_id = :user.region_id`."
)
filters = auth.policies.row_filters()
if filters:
    st.dataframe(
        [
            {"#": f.id, "Table": f.table, "Condition": f.predicate,
             "Applies to": f"role {f.role}" if f.role else f"user {f.username}"}
            for f in filters
        ],
        hide_index=True,
    )  # fmt: skip
usernames = [u.username for u in auth.users.list_users()]
with st.form("add_row_filter"):
    owner_col, who_col, table_col = st.columns(3)
    owner = owner_col.radio("Applies to", ["a role", "a user"], horizontal=True)
    who_role = who_col.selectbox("Role", roles.ROLES, index=roles.ROLES.index(roles.MANAGER))
    who_user = who_col.selectbox("User", usernames)
    table = table_col.selectbox("Table", table_options, accept_new_options=True)
    predicate = st.text_input("Condition", placeholder="region_id = :user.region_id")
    if st.form_submit_button("Add filter"):
        owned_by = {"role": who_role} if owner == "a role" else {"username": who_user}
        act(
            lambda: actions.add_row_filter(table or "", predicate, **owned_by),
            f"Added a row filter on {table}.",
        )
if filters:
    remove_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
    doomed = remove_col.selectbox(
        "Filter to remove", [f.id for f in filters], format_func="#{}".format
    )
    if button_col.button("Remove filter"):
        act(lambda: actions.remove_row_filter(doomed), f"Removed row filter #{doomed}.")

st.subheader("User attributes")
holder = st.selectbox("User", usernames, key="attributes_user")
if holder:
    current = auth.users.get_user(holder).attributes
    with st.form(f"attributes_{holder}"):
        text = st.text_area(
            "One `name=value` per line",
            value="\n".join(f"{k}={v}" for k, v in sorted(current.items())),
            placeholder="region_id=3",
        )
        if st.form_submit_button("Save attributes"):
            act(
                lambda: actions.set_attributes(holder, parse_attributes(text)),
                f"Saved the attributes of {holder}.",
            )
    st.caption(f"Now: {format_attributes(current)}")

st.subheader("Schema index")
st.caption(f"{len(tables)} tables indexed. Re-index after the database's schema changes.")


def reindex() -> None:
    """Button callback: it runs before the page, so a rerun can't swallow its result."""
    try:
        stats = index_database(get_services())
    except KeskinubeError as exc:
        log.warning("re-index failed: %s", exc)
        st.session_state[REINDEX_KEY] = ("error", str(exc), None)
        return
    summary = (
        f"{stats.added} added, {stats.updated} updated, {stats.unchanged} unchanged, "
        f"{stats.removed} removed in {stats.seconds:.1f} s"
    )
    actions.record(f"re-indexed the schema: {summary}")
    st.session_state[REINDEX_KEY] = ("success", f"Re-indexed: {summary}.", stats.warning)


st.button("Re-index schema now", on_click=reindex)
if outcome := st.session_state.pop(REINDEX_KEY, None):
    kind, message, warning = outcome
    (st.error if kind == "error" else st.success)(message)
    if warning:
        st.warning(warning)
