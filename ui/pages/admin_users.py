"""Admin: user accounts — list, create, change role, disable/enable, reset password, delete.

Every change goes through `auth.admin.AdminActions` (which writes the audit log); refusals
(password rules, last active admin, ...) are shown as the store words them. A generated
password is shown once, on the run right after the change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import streamlit as st

from auth import roles
from auth.admin import AdminActions
from backend.errors import KeskinubeError
from ui.context import get_auth
from ui.navigation import require_page

log = logging.getLogger(__name__)
FLASH_KEY = "admin_users_flash"
FORM_KEY = "admin_users_form_round"

admin = require_page(roles.PAGE_ADMIN_USERS)
auth = get_auth()
actions = AdminActions(auth, by=admin.username)


def act(change: Callable[[], str | None], message: str) -> None:
    """Run one change; on success keep `message` and any password it returns, and rerun."""
    try:
        password = change()
    except KeskinubeError as exc:
        log.info("admin %s: refused: %s", admin.username, exc)
        st.error(str(exc))
        return
    st.session_state[FLASH_KEY] = (message, password)
    st.session_state[FORM_KEY] = st.session_state.get(FORM_KEY, 0) + 1  # fresh, empty forms
    st.rerun()


st.title("Users")
if flash := st.session_state.get(FLASH_KEY):
    st.success(flash[0])
    if flash[1]:
        st.code(flash[1], language=None)
        st.caption("Copy this password now and hand it over safely: it is shown only once.")
    del st.session_state[FLASH_KEY]  # after drawing it: an interrupted run shows it again

users = auth.users.list_users()
locked = auth.lockout.locked_usernames()
st.dataframe(
    [
        {
            "Username": u.username,
            "Name": u.name,
            "Role": u.role,
            "Status": "disabled" if u.disabled else "locked" if u.username in locked else "active",
            "Last login (UTC)": u.last_login_at,
            "Created (UTC)": u.created_at,
        }
        for u in users
    ],
    hide_index=True,
)
round_ = st.session_state.get(FORM_KEY, 0)

st.subheader("Create a user")
with st.form(f"create_user_{round_}"):
    left, right = st.columns(2)
    username = left.text_input("Username")
    role = right.selectbox("Role", roles.ROLES, index=roles.ROLES.index(roles.ANALYST))
    name = left.text_input("Full name (optional)")
    email = right.text_input("E-mail (optional)")
    password = st.text_input(
        "Password (leave empty to generate one)",
        type="password",
        help="At least 10 characters, not the username, not a common password.",
    )
    if st.form_submit_button("Create user", type="primary"):
        act(
            lambda: (
                actions.create_user(
                    username, role=role, name=name, email=email, password=password or None
                ).generated_password
            ),
            f"Created {role} {username.strip().lower()}.",
        )

st.subheader("Change a user")
chosen = st.selectbox("User", [u.username for u in users], key="admin_users_pick")
user = next((u for u in users if u.username == chosen), None)
if user is not None:
    name_ = user.username
    role_col, status_col, password_col = st.columns(3)
    with role_col:
        new_role = st.selectbox(
            "New role", roles.ROLES, index=roles.ROLES.index(user.role), key=f"role_{name_}"
        )
        if st.button("Change role", disabled=new_role == user.role):
            act(lambda: actions.set_role(name_, new_role), f"{name_} is now {new_role}.")
    with status_col:
        st.markdown(f"Status: **{'disabled' if user.disabled else 'active'}**")
        if user.disabled and st.button("Enable"):
            act(lambda: actions.enable(name_), f"Enabled {name_}.")
        if not user.disabled and st.button("Disable"):
            act(lambda: actions.disable(name_), f"Disabled {name_}.")
        if name_ in locked and st.button("Unlock"):
            act(lambda: actions.unlock(name_), f"{name_} may log in again.")
    with password_col:
        st.markdown("Password")
        if st.button("Reset password"):
            act(lambda: actions.reset_password(name_), f"New password for {name_}:")
    with st.expander(f"Delete {name_}"):
        sure = st.checkbox(f"Yes, delete {name_} permanently", key=f"sure_{name_}")
        if st.button("Delete user", type="primary", disabled=not sure):
            act(lambda: actions.delete(name_), f"Deleted {name_}.")
