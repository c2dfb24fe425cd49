"""One question at a time in the chat, none lost (AppTest, and Streamlit's own requests).

The chat page runs on its own as a logged-in admin; Ollama is unreachable, so every
question gets an error answer quickly, which is stored and audited like any other.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException

from auth.audit import AuditFilter
from auth.services import AuthServices
from backend.conversations import ConversationStore
from backend.pipeline import Engine
from tests.support.apptest import open_page, page_services
from tests.support.runs import recorded_runs
from ui.components.conversations import CURRENT_KEY
from ui.components.question_queue import QUEUE_KEY, Pending
from ui.components.uninterrupted import Uninterrupted


@pytest.fixture
def auth(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[AuthServices]:
    yield from page_services(monkeypatch, tmp_path, {"boss": ("admin", "Chief-unit-Passw0rd")})


def audited_questions(auth: AuthServices) -> list[str]:
    entries = auth.audit.query(AuditFilter(username="boss"), limit=50).entries
    return [e.question or "" for e in reversed(entries) if e.event == "sql_run"]


def stored_questions(at_conversation: int, auth: AuthServices) -> list[str]:
    from backend.conversations import ConversationStore

    store = ConversationStore(auth.engine)
    return [t.question for t in store.turns("boss", at_conversation)]


def test_a_question_is_stored_audited_and_the_input_is_on_again(auth: AuthServices) -> None:
    at = open_page("chat", timeout=90)
    assert not at.chat_input[0].proto.disabled
    at = at.chat_input[0].set_value("How many customers are there?").run()
    assert not at.exception
    assert at.session_state[QUEUE_KEY] == []
    assert not at.chat_input[0].proto.disabled
    conversation = at.session_state[CURRENT_KEY]
    assert stored_questions(conversation, auth) == ["How many customers are there?"]
    assert "How many customers are there?" in audited_questions(auth)
    [run] = recorded_runs(auth.engine)  # Ollama is down
    assert (run["username"], run["source"], run["outcome"]) == ("boss", "page", "model_down")
    [turn] = ConversationStore(auth.engine).turns("boss", conversation)
    assert turn.run_id == run["id"]  # what its thumbs up or down will refer to


def test_questions_queued_together_are_all_answered_in_order_in_one_conversation(
    auth: AuthServices,
) -> None:
    at = open_page("chat", timeout=90)
    at.session_state[QUEUE_KEY] = [Pending("First question?", None), Pending("Second one?", None)]
    at = at.run()
    assert not at.exception
    assert at.session_state[QUEUE_KEY] == []
    conversation = at.session_state[CURRENT_KEY]
    assert stored_questions(conversation, auth) == ["First question?", "Second one?"]
    audited = audited_questions(auth)
    assert audited.index("First question?") < audited.index("Second one?")


def test_the_input_is_off_while_a_question_is_answered_and_a_crash_does_not_stick(
    auth: AuthServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page("chat", timeout=90)

    def crash(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the page is drawn up to here while the answer is produced")

    monkeypatch.setattr(Engine, "ask", crash)
    at = at.chat_input[0].set_value("Which region sells most?").run()
    assert at.exception  # the crash shows; the page as drawn until then is kept
    assert at.chat_input[0].proto.disabled
    assert at.session_state[QUEUE_KEY] == []  # not asked again in a loop
    monkeypatch.undo()
    at = at.run()
    assert not at.exception and not at.chat_input[0].proto.disabled


def test_a_queued_question_is_shown_as_queued(auth: AuthServices) -> None:
    at = open_page("chat", timeout=90)
    at.session_state[QUEUE_KEY] = [Pending("First question?", None), Pending("Second one?", None)]
    at.run()
    # Both answered in that run; while the first was, the second was drawn as queued.
    assert stored_questions(at.session_state[CURRENT_KEY], auth)[-1] == "Second one?"


def test_a_held_rerun_lets_the_drawing_finish_and_is_raised_afterwards() -> None:
    held = Uninterrupted()
    calls: list[str] = []
    request = RerunException(None)

    def draw(label: str) -> str:
        calls.append(label)
        if len(calls) == 1:
            raise request  # Streamlit consumes the request as it raises it
        return label

    assert held.call(draw, "Writing SQL…") == "Writing SQL…"
    assert calls == ["Writing SQL…", "Writing SQL…"]
    assert held.call(draw, "Done") == "Done"
    with pytest.raises(RerunException) as raised:
        held.release()
    assert raised.value is request
    held.release()  # nothing held any more


def test_after_a_stop_nothing_is_drawn_and_the_stop_is_raised_at_the_end() -> None:
    """Streamlit raises a stop (a closed tab) again at every call: the answer must still
    be finished and kept, so the drawing calls after it become no-ops."""
    held = Uninterrupted()
    stop = StopException()
    drawn: list[str] = []

    def draw(label: str) -> str:
        drawn.append(label)
        raise stop

    status = held.call(draw, "Writing SQL…")
    with status:  # a stand-in: any use of what a draw returns works and draws nothing
        status.update(label="Done", state="complete")
        held.call(draw, "Drawing the chart…")
    assert drawn == ["Writing SQL…"]
    with pytest.raises(StopException) as raised:
        held.release()
    assert raised.value is stop
