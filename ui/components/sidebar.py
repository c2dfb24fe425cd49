"""The sidebar under the navigation: who is logged in, logout, and the services' health
(where they run, and why one is down, only for admins: others read "available").

Health (business database, Qdrant, Ollama with its models pulled) is checked at most
every 30 s per process: `st.cache_data` keyed on the settings that name the services,
never on anything about the user. What a check found is kept as catalogue messages and
written in the reader's language when the sidebar is drawn.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import streamlit as st

from auth import roles
from auth.services import AuthServices
from auth.users import User
from backend.config import Settings
from backend.errors import KeskinubeError
from backend.i18n import Message
from ui.auth_gate import SessionCookie, logout_button
from ui.components.markdown import escape_markdown, md_message
from ui.context import get_services, translator
from wiring.health import check_models, describe_database, ping_database

log = logging.getLogger(__name__)

HEALTH_TTL_S = 30


@dataclass(frozen=True)
class Health:
    """One service's state as the sidebar shows it; text is plain or a catalogue message."""

    name: str | Message
    ok: bool
    detail: str | Message


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


def service_health(settings: Settings) -> tuple[Health, ...]:
    """The cached health of the services named in `settings`."""
    return _check_health(
        settings.business_database_url,
        settings.qdrant_url or settings.qdrant_location,
        settings.ollama_base_url,
        (settings.ollama_model, settings.ollama_embed_model),
    )


@st.cache_data(ttl=HEALTH_TTL_S, show_spinner=False)
def _check_health(
    database_url: str, qdrant: str, ollama_url: str, models: tuple[str, ...]
) -> tuple[Health, ...]:
    return (_database(database_url), _qdrant(qdrant), _ollama(ollama_url, models))


def _database(url: str) -> Health:
    name, label = Message.of("sidebar.health.database"), describe_database(url)
    try:
        ping_database(get_services().db_engine)
    except KeskinubeError as exc:
        return Health(name, False, exc.message or str(exc))
    except Exception:
        log.exception("database health check failed")
        return Health(name, False, Message.of("sidebar.health.unreachable", service=label))
    return Health(name, True, label)


def _qdrant(location: str) -> Health:
    name = "Qdrant"  # i18n: not prose (a product name)
    label: str | Message = location
    if not location.startswith("http"):
        label = Message.of("sidebar.health.embedded")
    try:
        get_services().qdrant.get_collections()
    except KeskinubeError as exc:
        return Health(name, False, exc.message or str(exc))
    except Exception:
        log.exception("Qdrant health check failed")
        return Health(name, False, Message.of("sidebar.health.unreachable", service=label))
    return Health(name, True, label)


def _ollama(base_url: str, models: tuple[str, ...]) -> Health:
    name = "Ollama"  # i18n: not prose (a product name)
    found = check_models(base_url, models, timeout_s=2.0)
    if found.ok:
        return Health(name, True, Message.of("sidebar.health.models_pulled", url=base_url))
    problem = found.message or Message.of("sidebar.health.not_ready", url=base_url)
    return Health(name, False, problem)
