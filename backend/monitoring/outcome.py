"""How an asked question ended, in one word an admin can count: the outcome of a run.

The words follow what the asker was told (`backend.people_errors`) and the audit's
statuses (`auth.audit`), read from the catalogue key of the answer's error:

* answered / empty — the query ran; empty: it found no rows (often a wrong filter);
* refused — the guard refused the query (access rules, a write, a system table ...);
* db_error — the database refused, failed or stopped it (errors, time limit, down);
* gave_up — the model wrote no query that fits the schema within its tries;
* model_down — the language model did not answer;
* other — anything else (nothing indexed yet, an empty question, an untranslated error).

An answer the engine gave up on is classified by its most telling failure, the one the
asker reads (`backend.run_record.gave_up`): the last try that reached the guard or the
database.
"""

from __future__ import annotations

from typing import Literal, get_args

from backend.domain import Answer, Attempt
from backend.i18n.message import Message

Outcome = Literal["answered", "empty", "refused", "db_error", "gave_up", "model_down", "other"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
# The outcomes that gave the asker no result.
FAILED: tuple[Outcome, ...] = ("refused", "db_error", "gave_up", "model_down", "other")


def outcome_of(answer: Answer) -> Outcome:
    """The outcome of `answer` (see module)."""
    if answer.result is not None and answer.error is None:
        return "empty" if answer.result.row_count == 0 else "answered"
    message = answer.error_message
    if message is None:
        return "other"
    if message.key == "engine.ask.gave_up":
        return _failure(_telling(answer.attempts), default="gave_up")
    if message.key.startswith("engine.ollama."):
        return "model_down"
    return _failure(message, default="other")


def _telling(attempts: tuple[Attempt, ...]) -> Message | None:
    for attempt in reversed(attempts):
        if attempt.stage in {"check", "execute"}:
            return attempt.message
    return None


def _failure(message: Message | None, *, default: Outcome) -> Outcome:
    key = "" if message is None else message.key
    if key.startswith("guard."):
        return "refused"
    if key.startswith("engine.db."):
        return "db_error"
    return default
