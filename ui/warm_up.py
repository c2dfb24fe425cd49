"""Warm the model in the background: once per process for every role, and at login.

With the whole schema in the prompt, every question of a role starts with the same few
thousand tokens; the model server caches them after the first question, which pays for
all of them (minutes on a CPU). `warm_up_app` pays that once per process, from the first
page anyone opens after a start (the login page): every role's start, the role most
users have first (`backend.warm_up`). `warm_up_session` warms the user's own role right
after login, ahead of the start-up's (a server may keep only its last start).
The threads touch no Streamlit API.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter

import streamlit as st

from auth import roles
from auth.services import AuthServices
from backend.config import Settings, get_settings
from backend.domain import Actor
from backend.pipeline import Engine
from backend.sources import MAIN
from backend.warm_up import start_warm_up
from ui.context import current_actor, get_auth, get_services
from wiring.services import Services

log = logging.getLogger(__name__)

WARMED_KEY = "model_warm_up_started"


def warm_up_app() -> None:
    """Start warming every role's prompt start, once per process; never fails the page."""
    try:
        _warm_up_app(get_settings())
    except Exception:  # the pages report a broken database or index themselves
        log.warning("no model warm-up at start: the services are not available", exc_info=True)


@st.cache_resource(show_spinner=False)
def _warm_up_app(_settings: Settings) -> threading.Thread | None:
    if not _settings.ollama_warm_up:
        return None
    services = get_services()
    return start_warm_up(services.engine, actors_by_use(get_auth()), services.activity)


def actors_by_use(auth: AuthServices) -> list[Actor]:
    """One actor per role that may use `main`, the role with the most active users first
    (the start-up warms `main`; a user's own source is warmed at login)."""
    users = Counter(user.role for user in auth.users.list_users() if user.active)
    ordered = sorted(roles.ROLES, key=lambda role: -users[role])
    return [
        Actor(username=f"warm-up:{role}", role=role, policy=auth.policies.policy_for_role(role))
        for role in ordered
        if auth.policies.may_use(role, MAIN)
    ]


def warm_up_session() -> threading.Thread | None:
    """Warm the model for the logged-in user, once per session; never fails the page."""
    if st.session_state.get(WARMED_KEY):
        return None
    try:
        actor = current_actor()
        return None if actor is None else warm_up_once(get_services(), actor)
    except Exception:  # the pages report a broken database or index themselves
        log.warning("no model warm-up: the services are not available", exc_info=True)
        st.session_state[WARMED_KEY] = True
        return None


def warm_up_once(services: Services, actor: Actor) -> threading.Thread | None:
    """Start warming the model for `actor` unless this session already did (or it's off)."""
    if not services.settings.ollama_warm_up or st.session_state.get(WARMED_KEY):
        return None
    st.session_state[WARMED_KEY] = True
    thread = threading.Thread(
        target=_warm, args=(services.engine, actor), name="keskinube-warm-up", daemon=True
    )
    thread.start()
    return thread


def _warm(engine: Engine, actor: Actor) -> None:
    try:
        if engine.warm_up(actor):
            log.info("model warmed up for role %s", actor.role)
    except Exception:  # a background thread: never let it die loudly
        log.exception("model warm-up failed")
