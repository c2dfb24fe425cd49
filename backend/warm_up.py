"""Warming the model server before anyone asks: each distinct prompt start once.

Every role's prompts start with the schema that role may see; roles that see the same
tables share that start. A model server on a CPU keeps one start cached (Ollama's and
llama.cpp's default of one slot), so the start evaluated last is the one the next
question finds ready: callers list the role most people ask in last.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from backend.domain import Actor
from backend.errors import KeskinubeError
from backend.pipeline import Engine

log = logging.getLogger(__name__)


def warm_up_roles(engine: Engine, actors: Sequence[Actor]) -> int:
    """Prefill the distinct prompt starts of `actors`, so that the last actor's is the one
    left cached; returns how many starts were evaluated. Never raises (logged)."""
    chosen: dict[str, Actor] = {}
    for actor in actors:
        try:
            prompt = engine.warm_up_prompt(actor)
        except KeskinubeError as exc:
            log.warning("no warm-up for role %s: %s", actor.role, exc)
            continue
        if prompt:
            start = prompt[0][1]
            chosen.pop(start, None)  # a start shared with a later role: warmed at its place
            chosen[start] = actor
    warmed = 0
    for actor in chosen.values():
        try:
            warmed += engine.warm_up(actor)
        except Exception:  # on a background thread: logged, never raised
            log.exception("model warm-up for role %s failed", actor.role)
    return warmed


def start_warm_up(engine: Engine, actors: Sequence[Actor]) -> threading.Thread:
    """`warm_up_roles` on a daemon thread: the app serves pages meanwhile."""

    def run() -> None:
        warmed = warm_up_roles(engine, actors)
        log.info("model warm-up at start: %d prompt start(s) evaluated", warmed)

    thread = threading.Thread(target=run, name="keskinube-start-warm-up", daemon=True)
    thread.start()
    return thread
