"""The sidebar under the navigation: who is logged in, logout, and the services' health.

Health (business database, Qdrant, Ollama with its models pulled) is checked at most
every 30 s per process: `st.cache_data` keyed on the settings that name the services,
never on anything about the user.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
import streamlit as st
import streamlit_authenticator as stauth

from auth.services import AuthServices
from auth.users import User
from backend.adapters.ollama import check_ollama
from backend.config import Settings
from backend.errors import KeskinubeError
from ui.auth_gate import logout_button
from ui.context import get_services

log = logging.getLogger(__name__)

HEALTH_TTL_S = 30


@dataclass(frozen=True)
class Health:
    """One service's state as the sidebar shows it."""

    name: str
    ok: bool
    detail: str


def render_sidebar(
    user: User, settings: Settings, auth: AuthServices, authenticator: stauth.Authenticate
) -> None:
    """The user box with the logout button, then the services and the model in use."""
    with st.sidebar:
        with st.container(border=True):
            st.markdown(f"**{user.name}**")
            st.caption(f"{user.username} · {user.role}")
            logout_button(auth, authenticator)
        st.caption("Services")
        for item in service_health(settings):
            dot = ":green[●]" if item.ok else ":red[●]"
            st.markdown(f"{dot} **{item.name}** · {item.detail}")
        st.caption(f"Model: `{settings.ollama_model}`")


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
    label = _describe_database(url)
    try:
        with get_services().db_engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except KeskinubeError as exc:
        return Health("Database", False, str(exc))
    except Exception:
        log.exception("database health check failed")
        return Health("Database", False, f"{label} can't be reached")
    return Health("Database", True, label)


def _qdrant(location: str) -> Health:
    label = location if location.startswith("http") else "embedded"
    try:
        get_services().qdrant.get_collections()
    except KeskinubeError as exc:
        return Health("Qdrant", False, str(exc))
    except Exception:
        log.exception("Qdrant health check failed")
        return Health("Qdrant", False, f"{label}: not reachable")
    return Health("Qdrant", True, label)


def _ollama(base_url: str, models: tuple[str, ...]) -> Health:
    found = check_ollama(base_url=base_url, models=models, timeout_s=2.0)
    if found.ok:
        return Health("Ollama", True, f"{base_url}, models pulled")
    return Health("Ollama", False, found.message or f"{base_url} is not ready")


def _describe_database(url: str) -> str:
    parsed = sa.make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return f"SQLite {Path(parsed.database or ':memory:').name}"
    return f"{backend} {parsed.host or 'localhost'}/{parsed.database or ''}"
