"""The sidebar under the navigation: who is logged in, logout, the data source picker (for
a user who may use more than one), and the services' health (where they run, and why one
is down, only for admins: others read "available").

Health (business database, Qdrant, Ollama with its models pulled) is checked at most
every 30 s per process: `st.cache_data` keyed on the settings that name the services,
never on anything about the user. What a check found is kept as catalogue messages and
written in the reader's language when the sidebar is drawn.
"""

from __future__ import annotations

import streamlit as st

from auth import roles
from auth.services import AuthServices
from auth.users import User
from backend.config import Settings
from ui.auth_gate import SessionCookie, logout_button
from ui.components.markdown import escape_markdown, md_message
from ui.context import (
    choose_source,
    current_source,
    get_registry,
    translator,
    usable_sources,
)
from wiring.health import Health

HEALTH_TTL_S = 30


def render_sidebar(
    user: User, settings: Settings, auth: AuthServices, cookie: SessionCookie
) -> None:
    """The user box with the logout button, then the services and the model in use."""
    tr = translator()
    with st.sidebar:
        with st.container(border=True):
            st.markdown(f"**{escape_markdown(user.name)}**")
            role = tr(f"auth.role.{user.role}") if roles.is_role(user.role) else user.role
            st.caption(escape_markdown(f"{user.username} · {role}"))
            logout_button(auth, cookie)
        source_picker(user)
        st.caption(tr("sidebar.services"))
        # Where the services run (hosts, URLs, their errors) is for admins only.
        admin = user.role == roles.ADMIN
        for item in service_health(settings):
            dot = ":green[●]" if item.ok else ":red[●]"
            # Details quote URLs and the services' own error texts.
            name = md_message(item.name, tr.language)
            if admin:
                detail = md_message(item.detail, tr.language)
            else:
                detail = tr("sidebar.health.available" if item.ok else "sidebar.health.unavailable")
            st.markdown(f"{dot} **{name}** · {detail}")
        st.caption(tr("sidebar.model", model=settings.ollama_model))


_PICKER_KEY = "sidebar_source"


def source_picker(user: User) -> None:
    """Pick the data source questions go to; shown only when there is a choice."""
    sources = usable_sources(user)
    if len(sources) < 2:
        return
    tr = translator()
    labels = {s.name: s.name + (f" · {s.description}" if s.description else "") for s in sources}
    # Set before the widget is drawn: a conversation opened elsewhere may have switched it.
    st.session_state[_PICKER_KEY] = current_source()
    st.selectbox(
        tr("sidebar.source"),
        list(labels),
        # Names and descriptions are the admin's words: never markdown.
        format_func=lambda name: labels[name],
        key=_PICKER_KEY,
        help=tr("sidebar.source.help"),
        on_change=lambda: choose_source(st.session_state[_PICKER_KEY]),
    )


def service_health(settings: Settings) -> tuple[Health, ...]:
    """The services' health on the current data source, checked at most every
    HEALTH_TTL_S seconds per process and source."""
    return _check_health(
        current_source(),
        settings.qdrant_url or settings.qdrant_location,
        settings.ollama_base_url,
        (settings.ollama_model, settings.ollama_embed_model),
    )


@st.cache_data(ttl=HEALTH_TTL_S, show_spinner=False)
def _check_health(
    source: str, qdrant: str, ollama_url: str, models: tuple[str, ...]
) -> tuple[Health, ...]:
    del qdrant, ollama_url, models  # cache key only: the settings naming them
    return get_registry().services(source).health()
