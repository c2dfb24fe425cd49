"""Process-wide services for the pages, and who the current user is.

`st.cache_resource` holds only shared infrastructure (database engines, the Qdrant
client, the engine, the auth services) — never anything per user. Who is asking lives in
`st.session_state`, set by the login gate in `ui/app.py`.
"""

from __future__ import annotations

import logging

import streamlit as st

from auth.services import AuthServices
from auth.startup import open_app_auth
from auth.users import User
from backend.config import Settings, get_settings
from backend.domain import Actor
from backend.errors import KeskinubeError
from backend.i18n import DEFAULT_LANGUAGE, Language, Translator, normalise_language
from backend.knowledge import Knowledge
from wiring.drift import start_drift_watch
from wiring.services import (
    Services,
    build_services,
    index_database,
    load_knowledge,
    start_background_draft,
)

log = logging.getLogger(__name__)

# Session key of the reader's language: set from the user's saved choice at login and by
# the language picker; read on every run, so a switch applies at once.
LANGUAGE_KEY = "language"


@st.cache_resource(show_spinner=False)
def _services(_settings: Settings) -> Services:
    services = build_services(_settings)
    try:
        # Incremental: touches nothing when the schema is unchanged since the last run.
        index_database(services)
        if _settings.knowledge_draft_on_start:  # in a background thread: never blocks a page
            start_background_draft(services)
    except KeskinubeError as exc:
        log.warning("start-up indexing failed: %s", exc)
    start_drift_watch(services)  # a background thread: never in a page's run
    return services


def get_services() -> Services:
    """The engine and its adapters, built once per process (indexes on first use)."""
    return _services(get_settings())


# Knowledge edits reach the answers' labels within this many seconds.
KNOWLEDGE_TTL_S = 60


@st.cache_resource(ttl=KNOWLEDGE_TTL_S, show_spinner=False)
def _knowledge(database: str, _services: Services) -> Knowledge:
    return load_knowledge(_services)


def get_knowledge() -> Knowledge:
    """The schema knowledge (labels and descriptions), read at most once a minute; shared
    and never changed in place."""
    services = get_services()
    return _knowledge(services.database, services)


@st.cache_resource(show_spinner=False)
def _auth(_settings: Settings) -> AuthServices:
    return open_app_auth(_settings)


def get_auth() -> AuthServices:
    """Users, policies, lockout and audit on the app database, built once per process."""
    return _auth(get_settings())


def current_user() -> User | None:
    """The logged-in user, re-read from the app database (role changes apply at once)."""
    username = st.session_state.get("username")
    if not username or st.session_state.get("authentication_status") is not True:
        return None
    return get_auth().users.find_user(username)


def current_actor() -> Actor | None:
    """The logged-in user as the engine sees them: role, access policy, attributes."""
    user = current_user()
    if user is None:
        return None
    return get_auth().policies.actor_for(user, default_language=current_language())


def _browser_language() -> Language | None:
    try:
        return normalise_language(st.context.locale)
    except Exception:  # outside a browser session (AppTest, bare mode)
        return None


def current_language() -> Language:
    """The user's own choice, else KESKINUBE_LANGUAGE, else the browser's, else English."""
    return (
        normalise_language(st.session_state.get(LANGUAGE_KEY))
        or get_settings().language
        or _browser_language()
        or DEFAULT_LANGUAGE
    )


def translator() -> Translator:
    """`tr('key', **params)` in the current reader's language."""
    return Translator(current_language())
