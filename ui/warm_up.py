"""Warm the model for the user's role right after login, in the background.

With the whole schema in the prompt, every question of a role starts with the same few
thousand tokens; the model server caches them after the first question, which pays for
all of them (minutes on a CPU). `Engine.warm_up` pays that while the user reads the
page. Once per login session; the thread touches no Streamlit API.
"""

from __future__ import annotations

import logging
import threading

import streamlit as st

from backend.domain import Actor
from backend.pipeline import Engine
from backend.wiring import Services
from ui.context import current_actor, get_services

log = logging.getLogger(__name__)

WARMED_KEY = "model_warm_up_started"


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
