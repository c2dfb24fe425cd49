"""Admin: user accounts — list, create, change role or language, disable/enable, reset
password, delete (with everything the user owns, listed with counts before confirming).

Every change goes through `auth.admin.AdminActions` (which writes the audit log); refusals
(password rules, last active admin, ...) are the store's messages, shown in the admin's
language. A generated password is shown once, on the run right after the change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import streamlit as st

from auth import roles
from auth.admin import AdminActions
from auth.user_data import KEPT as KEPT_KINDS
from auth.user_data import KINDS as DELETED_KINDS
from backend.errors import KeskinubeError
from backend.i18n import LANGUAGES, language_name
from ui.components.formats import NA
from ui.components.markdown import md_error, md_t
from ui.context import get_auth, translator
from ui.navigation import require_page

log = logging.getLogger(__name__)
FLASH_KEY = "admin_users_flash"
FORM_KEY = "admin_users_form_round"
LANGUAGE_CHOICES: tuple[str | None, ...] = (None, *LANGUAGES)  # None: the app's default

admin = require_page(roles.PAGE_ADMIN_USERS)
auth = get_auth()
actions = AdminActions(auth, by=admin.username)
tr = translator()


def role_label(role: str) -> str:
    return tr(f"auth.role.{role}")


def language_label(language: str | None) -> str:
    return language_name(language) if language in LANGUAGES else tr("admin.users.language.default")


def delete_user(username: str) -> None:
    """Delete the account and all it owns (the counts removed are not shown again)."""
    actions.delete(username)


def act(change: Callable[[], str | None], message: str) -> None:
    """Run one change; on success keep `message` and any password it returns, and rerun."""
    try:
        password = change()
    except KeskinubeError as exc:
        log.info("admin %s: refused: %s", admin.username, exc)
        st.error(md_error(exc, tr.language))
        return
    st.session_state[FLASH_KEY] = (message, password)
    st.session_state[FORM_KEY] = st.session_state.get(FORM_KEY, 0) + 1  # fresh, empty forms
    st.rerun()


st.title(tr("app.nav.admin_users"))
if flash := st.session_state.get(FLASH_KEY):
    st.success(flash[0])
    if flash[1]:
        st.code(flash[1], language=None)
        st.caption(tr("admin.users.password.shown_once"))
    del st.session_state[FLASH_KEY]  # after drawing it: an interrupted run shows it again

users = auth.users.list_users()
locked = auth.lockout.locked_usernames()


def status_of(username: str, disabled: bool) -> str:
    state = "disabled" if disabled else "locked" if username in locked else "active"
    return tr(f"admin.users.status.{state}")


st.dataframe(
    [
        {
            tr("admin.users.column.username"): u.username,
            tr("admin.users.column.name"): u.name,
            tr("admin.users.column.role"): role_label(u.role),
            tr("admin.users.column.language"): language_label(u.language),
            tr("admin.users.column.status"): status_of(u.username, u.disabled),
            tr("admin.users.column.last_login"): u.last_login_at,
            tr("admin.users.column.created"): u.created_at,
        }
        for u in users
    ],
    hide_index=True,
    placeholder=NA,
)
round_ = st.session_state.get(FORM_KEY, 0)

st.subheader(tr("admin.users.create.title"))
with st.form(f"create_user_{round_}"):
    left, right = st.columns(2)
    username = left.text_input(tr("admin.users.field.username"))
    role = right.selectbox(
        tr("admin.users.field.role"),
        roles.ROLES,
        index=roles.ROLES.index(roles.ANALYST),
        format_func=role_label,
    )
    name = left.text_input(tr("admin.users.field.name"))
    email = right.text_input(tr("admin.users.field.email"))
    password = left.text_input(
        tr("admin.users.field.password"),
        type="password",
        help=tr("admin.users.field.password.help"),
    )
    language = right.selectbox(tr("common.language"), LANGUAGE_CHOICES, format_func=language_label)
    if st.form_submit_button(tr("admin.users.create.submit"), type="primary"):
        act(
            lambda: (
                actions.create_user(
                    username,
                    role=role,
                    name=name,
                    email=email,
                    password=password or None,
                    language=language,
                ).generated_password
            ),
            md_t(
                tr, "admin.users.created", role=role_label(role), username=username.strip().lower()
            ),
        )

st.subheader(tr("admin.users.change.title"))
chosen = st.selectbox(
    tr("admin.users.field.user"), [u.username for u in users], key="admin_users_pick"
)
user = next((u for u in users if u.username == chosen), None)
if user is not None:
    name_ = user.username
    role_col, language_col, status_col, password_col = st.columns(4)
    with role_col:
        new_role = st.selectbox(
            tr("admin.users.field.new_role"),
            roles.ROLES,
            index=roles.ROLES.index(user.role),
            format_func=role_label,
            key=f"role_{name_}",
        )
        if st.button(tr("admin.users.role.submit"), disabled=new_role == user.role):
            act(
                lambda: actions.set_role(name_, new_role),
                md_t(tr, "admin.users.role.done", username=name_, role=role_label(new_role)),
            )
    with language_col:
        new_language = st.selectbox(
            tr("common.language"),
            LANGUAGE_CHOICES,
            index=LANGUAGE_CHOICES.index(user.language),
            format_func=language_label,
            key=f"language_{name_}",
        )
        if st.button(tr("admin.users.language.submit"), disabled=new_language == user.language):
            act(
                lambda: actions.set_language(name_, new_language),
                md_t(tr, "admin.users.language.done", username=name_),
            )
    with status_col:
        st.markdown(md_t(tr, "admin.users.status.now", status=status_of(name_, user.disabled)))
        if user.disabled and st.button(tr("admin.users.enable")):
            act(lambda: actions.enable(name_), md_t(tr, "admin.users.enabled", username=name_))
        if not user.disabled and st.button(tr("admin.users.disable")):
            act(lambda: actions.disable(name_), md_t(tr, "admin.users.disabled", username=name_))
        if name_ in locked and st.button(tr("admin.users.unlock")):
            act(lambda: actions.unlock(name_), md_t(tr, "admin.users.unlocked", username=name_))
    with password_col:
        st.markdown(tr("admin.users.field.password.title"))
        if st.button(tr("admin.users.password.reset")):
            act(
                lambda: actions.reset_password(name_),
                md_t(tr, "admin.users.password.new", username=name_),
            )
    with st.expander(md_t(tr, "admin.users.delete.title", username=name_)):
        # What goes, counted now; the deletion itself is one transaction (auth.user_data).
        counts = auth.users.data_counts(name_)
        st.text(tr("admin.users.delete.intro", username=name_))
        st.markdown(
            "\n".join(
                f"- {tr(f'admin.users.delete.item.{kind}', count=counts[kind])}"
                for kind in DELETED_KINDS
            )
        )
        st.caption(tr("admin.users.delete.note"))
        sure = st.checkbox(
            md_t(tr, "admin.users.delete.confirm", username=name_), key=f"sure_{name_}"
        )
        removed = sum(n for kind, n in counts.items() if kind not in KEPT_KINDS)
        if st.button(tr("admin.users.delete.submit"), type="primary", disabled=not sure):
            act(
                lambda: delete_user(name_),
                md_t(tr, "admin.users.deleted.summary", username=name_, count=removed),
            )
