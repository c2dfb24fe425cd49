"""Warming the model server before anyone asks: each distinct prompt start once.

Every role's prompts start with the schema that role may see; roles that see the same
tables share that start, evaluated once. Callers list the role most people ask in first:
a server that keeps several starts (a recent llama.cpp) then has the likeliest one ready
soonest, and one that keeps only its last start (Ollama, one slot) is warmed again for
each user's role at login. The start-up warm-up runs `in_background`: a question, or a
login's warm-up, is sent before its next start (`backend.model_activity`).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Sequence

from backend.domain import Actor
from backend.errors import KeskinubeError
from backend.model_activity import ModelActivity
from backend.pipeline import Engine

log = logging.getLogger(__name__)


def warm_up_roles(engine: Engine, actors: Sequence[Actor]) -> int:
    """Prefill the distinct prompt starts of `actors`, in their order; returns how many
    starts were evaluated. Never raises (logged)."""
    chosen: dict[str, Actor] = {}
    for actor in actors:
        try:
            prompt = engine.warm_up_prompt(actor)
        except KeskinubeError as exc:
            log.warning("no warm-up for role %s: %s", actor.role, exc)
            continue
        except Exception:  # never raised: a warm-up is worth no failure of its caller
            log.exception("no warm-up for role %s", actor.role)
            continue
        if prompt:
            chosen.setdefault(prompt[0][1], actor)  # a shared start: warmed at its first role
    warmed = 0
    for actor in chosen.values():
        try:
            warmed += engine.warm_up(actor)
        except Exception:  # on a background thread: logged, never raised
            log.exception("model warm-up for role %s failed", actor.role)
    return warmed


def start_warm_up(
    engine: Engine, actors: Sequence[Actor], activity: ModelActivity | None = None
) -> threading.Thread:
    """`warm_up_roles` on a daemon thread: the app serves pages meanwhile, and with the
    model server's `activity`, questions go first."""

    def run() -> None:
        with activity.in_background() if activity else contextlib.nullcontext():
            warmed = warm_up_roles(engine, actors)
        log.info("model warm-up at start: %d prompt start(s) evaluated", warmed)

    thread = threading.Thread(target=run, name="keskinube-start-warm-up", daemon=True)
    thread.start()
    return thread
