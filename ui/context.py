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
from backend.sources import MAIN, DataSource
from wiring.drift import start_drift_watch
from wiring.services import (
    Services,
    index_database,
    load_knowledge,
    start_background_draft,
)
from wiring.sources import SourceRegistry, source_store

log = logging.getLogger(__name__)

# Session key of the reader's language: set from the user's saved choice at login and by
# the language picker; read on every run, so a switch applies at once.
LANGUAGE_KEY = "language"
# Session key of the data source the user works on (the sidebar's picker, a conversation).
SOURCE_KEY = "data_source"


def _prepare(services: Services) -> None:
    """What a source's services start with once built in the app process."""
    try:
        # Incremental: touches nothing when the schema is unchanged since the last run.
        index_database(services)
        if services.settings.knowledge_draft_on_start:  # a background thread
            start_background_draft(services)
    except KeskinubeError as exc:
        log.warning("start-up indexing of source %s failed: %s", services.source, exc)
    start_drift_watch(services)  # a background thread: never in a page's run


@st.cache_resource(show_spinner=False)
def _registry(_settings: Settings) -> SourceRegistry:
    return SourceRegistry(_settings, source_store(_settings, get_auth().engine), on_built=_prepare)


def get_registry() -> SourceRegistry:
    """Every data source and its services, built once per process (each on first use)."""
    return _registry(get_settings())


def get_services() -> Services:
    """The engine and its adapters on the current user's data source (`current_source`),
    built once per process and source (indexes on first use)."""
    return get_registry().services(current_source())


def usable_sources(user: User) -> list[DataSource]:
    """The data sources `user` may ask questions of, `main` first (read afresh: a rule
    an admin changes applies at the next page run)."""
    sources = get_registry().sources()
    names = set(get_auth().policies.usable_sources(user.role, [s.name for s in sources]))
    return [source for source in sources if source.name in names]


def current_source() -> str:
    """The data source the user works on: their pick when they may still use it, else
    the first they may use; `main` before login (and for a user who may use none, whose
    actor is then refused)."""
    user = current_user()
    if user is None:
        return MAIN
    names = [source.name for source in usable_sources(user)]
    chosen = st.session_state.get(SOURCE_KEY)
    if chosen in names:
        return str(chosen)
    return names[0] if names else MAIN


def choose_source(name: str) -> None:
    """Work on `name` from the next run (the picker, opening a conversation)."""
    st.session_state[SOURCE_KEY] = name


# Knowledge edits reach the answers' labels within this many seconds.
KNOWLEDGE_TTL_S = 60


@st.cache_resource(ttl=KNOWLEDGE_TTL_S, show_spinner=False)
def _knowledge(database: str, _services: Services) -> Knowledge:
    return load_knowledge(_services)


def get_knowledge(services: Services | None = None) -> Knowledge:
    """The schema knowledge (labels and descriptions) of `services`' source (by default
    the current one), read at most once a minute; shared and never changed in place."""
    services = services or get_services()
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
    """The logged-in user as the engine sees them on the current source: role, access
    policy, attributes. UnknownSource when they may use no source at all."""
    user = current_user()
    if user is None:
        return None
    return get_auth().policies.actor_for(
        user, source=current_source(), default_language=current_language()
    )


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
