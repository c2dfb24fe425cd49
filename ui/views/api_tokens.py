"""API tokens (every role): create a personal token, see it once, list and revoke them.

A user sees and revokes only their own tokens; an admin also sees every user's, in a
second section, and may revoke any. Changes go through `auth.token_actions`, which writes
the audit log. A new token's secret is shown once, on the run right after it was made,
and is kept nowhere else. Names are the users' own text: shown in tables (plain text) or
escaped wherever Streamlit would read markdown.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

import streamlit as st

from appdb.clock import utc_now
from auth import roles
from auth.token_actions import create_token, revoke_token
from auth.tokens import NAME_LENGTH, ApiToken
from backend.errors import KeskinubeError
from ui.components.markdown import md_error, md_t
from ui.context import get_auth, translator
from ui.navigation import require_page

log = logging.getLogger(__name__)
FLASH_KEY = "api_tokens_flash"
FORM_KEY = "api_tokens_form_round"
EXPIRY_DAYS: tuple[int | None, ...] = (None, 30, 90, 365)  # None: never expires

user = require_page(roles.PAGE_API_TOKENS)
auth = get_auth()
tr = translator()
now = utc_now()


def act(change: Callable[[], str | None], message: str) -> None:
    """Run one change; on success keep `message` and any secret it returns, and rerun."""
    try:
        secret = change()
    except KeskinubeError as exc:
        log.info("api tokens, %s: refused: %s", user.username, exc)
        st.error(md_error(exc, tr.language))
        return
    st.session_state[FLASH_KEY] = (message, secret)
    st.session_state[FORM_KEY] = st.session_state.get(FORM_KEY, 0) + 1  # a fresh, empty form
    st.rerun()


def when(moment: datetime | None) -> str:
    return tr("tokens.never") if moment is None else f"{moment:%Y-%m-%d %H:%M}"


def table(tokens: Sequence[ApiToken], *, owners: bool) -> None:
    """The tokens as plain-text cells; `owners` adds the user column."""
    rows = []
    for token in tokens:
        row = {tr("tokens.column.user"): token.username} if owners else {}
        row |= {
            tr("tokens.column.name"): token.name,
            tr("tokens.column.prefix"): f"{token.prefix}…",
            tr("tokens.column.created"): when(token.created_at),
            tr("tokens.column.expires"): when(token.expires_at),
            tr("tokens.column.last_used"): when(token.last_used_at),
            tr("tokens.column.status"): tr(f"tokens.status.{token.status(now)}"),
        }
        rows.append(row)
    st.dataframe(rows, hide_index=True)


def revoke_picker(tokens: Sequence[ApiToken], *, key: str, owners: bool) -> None:
    """Pick one of `tokens` that is not revoked yet, confirm, and revoke it."""
    live = {t.id: t for t in tokens if t.revoked_at is None}
    if not live:
        return

    def label(token_id: int) -> str:
        token = live[token_id]
        shown = f"{token.name} ({token.prefix}…)"
        return f"{token.username}: {shown}" if owners else shown

    picked = st.selectbox(tr("tokens.revoke.pick"), list(live), format_func=label, key=key)
    token = live[picked]
    sure = st.checkbox(
        md_t(tr, "tokens.revoke.confirm", name=token.name, prefix=token.prefix),
        key=f"{key}_sure_{token.id}",
    )
    if st.button(tr("tokens.revoke.submit"), key=f"{key}_go", disabled=not sure):
        act(
            lambda: revoke(token.id),
            md_t(tr, "tokens.revoked", name=token.name, username=token.username),
        )


def revoke(token_id: int) -> None:
    revoke_token(auth, token_id, by=user)


def expiry_label(days: int | None) -> str:
    return tr("tokens.expiry.never") if days is None else tr("tokens.expiry.days", days=days)


st.title(tr("app.nav.api_tokens"))
st.caption(tr("tokens.intro"))
if flash := st.session_state.get(FLASH_KEY):
    st.success(flash[0])
    if flash[1]:
        st.code(flash[1], language=None)
        st.caption(tr("tokens.shown_once"))
    del st.session_state[FLASH_KEY]  # after drawing it: an interrupted run shows it again

st.subheader(tr("tokens.create.title"))
with st.form(f"api_tokens_create_{st.session_state.get(FORM_KEY, 0)}"):
    name_col, expiry_col = st.columns([3, 1])
    name = name_col.text_input(
        tr("tokens.create.name"),
        max_chars=NAME_LENGTH,
        help=tr("tokens.create.name.help", limit=NAME_LENGTH),
    )
    days = expiry_col.selectbox(
        tr("tokens.create.expiry"),
        EXPIRY_DAYS,
        format_func=expiry_label,
    )
    if st.form_submit_button(tr("tokens.create.submit"), type="primary"):
        act(
            lambda: create_token(auth, user.username, name, days=days, by=user.username).secret,
            md_t(tr, "tokens.created", name=" ".join(name.split())),
        )

st.subheader(tr("tokens.mine.title"))
mine = auth.tokens.list_for(user.username)
if mine:
    table(mine, owners=False)
    revoke_picker(mine, key="api_tokens_mine", owners=False)
else:
    st.info(tr("tokens.mine.none"))

if user.is_admin:
    st.subheader(tr("tokens.all.title"))
    everyone = auth.tokens.list_all()
    if everyone:
        table(everyone, owners=True)
        revoke_picker(everyone, key="api_tokens_all", owners=True)
    else:
        st.info(tr("tokens.all.none"))
