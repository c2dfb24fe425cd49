"""The conversation store on SQLite and MariaDB: per-user history that redraws every answer."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
import pytest
import sqlalchemy as sa

from backend.charts import ChartSpec, choose_chart
from backend.conversations import (
    DEFAULT_TITLE,
    ConversationNotFound,
    ConversationStore,
    written_sql,
)
from backend.domain import Answer, AppliedRule, Attempt, QueryResult, Turn
from backend.errors import KeskinubeError
from backend.frame_json import decode_frame, encode_frame
from backend.i18n import Message, render
from tests.support.auth_fixtures import ManualClock

MODEL_SQL = "SELECT month, revenue FROM monthly"
CHECKED_SQL = "SELECT month, revenue FROM monthly LIMIT 1001"


def typed_frame() -> pd.DataFrame:
    """One column of every dtype the SQL runner produces, with missing values."""
    return pd.DataFrame(
        {
            "month": pd.Series(["2026-01", "2026-02", None], dtype="string"),
            "revenue": [1200.5, float("nan"), 980.25],
            "orders": [3, 4, 5],
            "returns": pd.array([1, None, 2], dtype="Int64"),
            "shipped_at": pd.Series(
                pd.to_datetime(["2026-01-03 10:15", "2026-02-01", None], format="ISO8601")
            ).astype("datetime64[us]"),
            "paid": [True, False, True],
            "label": pd.Series(["a", "b", "c"], dtype="str"),
            "day": [dt.date(2026, 1, 1), None, dt.date(2026, 1, 3)],
        }
    )


def make_answer(question: str = "Revenue per month?", frame: pd.DataFrame | None = None) -> Answer:
    frame = typed_frame() if frame is None else frame
    return Answer(
        question=question,
        sql=CHECKED_SQL,
        result=QueryResult(frame, truncated=True, elapsed_s=0.25),
        attempts=(Attempt("SELECT bad", "no such column", "execute"), Attempt(MODEL_SQL)),
        timings={"generate": 1.5, "execute": 0.25},
        prompt_tokens=900,
        completion_tokens=40,
    )


@pytest.fixture
def store(app_engine: sa.Engine, clock: ManualClock) -> ConversationStore:
    return ConversationStore(app_engine, clock=clock)


def test_create_lists_newest_used_first(store: ConversationStore, clock: ManualClock) -> None:
    first = store.create("ana")
    clock.advance(minutes=1)
    second = store.create("ana", "Q3 numbers")
    assert [c.id for c in store.list_for("ana")] == [second.id, first.id]
    clock.advance(minutes=1)
    store.append("ana", first.id, make_answer())
    assert [c.id for c in store.list_for("ana")] == [first.id, second.id]
    assert second.title == "Q3 numbers"


def test_first_question_names_an_untitled_conversation(store: ConversationStore) -> None:
    conversation = store.create("ana")
    assert conversation.title == DEFAULT_TITLE
    store.append("ana", conversation.id, make_answer("Revenue per month?"))
    store.append("ana", conversation.id, make_answer("and per week?"))
    assert store.get("ana", conversation.id).title == "Revenue per month?"


def test_append_round_trips_the_answer_with_dtypes(store: ConversationStore) -> None:
    conversation = store.create("ana")
    frame = typed_frame()
    spec = choose_chart(frame)
    store.append("ana", conversation.id, make_answer(frame=frame), chart=spec, summary="Up 8%.")
    [turn] = store.turns("ana", conversation.id)
    assert turn.kind == "question"
    assert turn.question == "Revenue per month?"
    assert turn.written_sql == MODEL_SQL  # the model's SQL, not the guard's capped output
    assert turn.answer.sql == CHECKED_SQL
    assert turn.chart == spec and turn.summary == "Up 8%."
    assert turn.answer.attempts[0] == Attempt("SELECT bad", "no such column", "execute")
    assert turn.answer.timings == {"generate": 1.5, "execute": 0.25}
    assert turn.answer.prompt_tokens == 900 and turn.answer.completion_tokens == 40
    result = turn.answer.result
    assert result is not None and result.truncated and result.elapsed_s == 0.25
    pd.testing.assert_frame_equal(result.frame, frame)


def test_append_keeps_the_access_rules_that_shaped_the_answer(store: ConversationStore) -> None:
    conversation = store.create("mia")
    rules = (
        AppliedRule("customers", "region_id = '2'", ("email",), "Only customers of Iberia."),
        AppliedRule("employees", None, ("salary",)),
    )
    store.append("mia", conversation.id, replace(make_answer(), rules=rules))
    store.append("mia", conversation.id, make_answer("Orders?"))
    first, second = store.turns("mia", conversation.id)
    assert first.answer.rules == rules
    assert second.answer.rules == ()


def test_frame_codec_keeps_time_zones_and_empty_frames() -> None:
    zoned = pd.DataFrame(
        {"at": pd.Series(pd.to_datetime(["2026-03-01 12:00"]).tz_localize("Europe/Helsinki"))}
    )
    zoned["at"] = zoned["at"].astype("datetime64[us, Europe/Helsinki]")
    pd.testing.assert_frame_equal(decode_frame(encode_frame(zoned)), zoned)
    empty = pd.DataFrame({"n": pd.Series([], dtype="int64")})
    pd.testing.assert_frame_equal(decode_frame(encode_frame(empty)), empty)


def test_an_error_turn_keeps_the_message_and_no_result(store: ConversationStore) -> None:
    conversation = store.create("ana")
    failed = Answer(
        question="Salaries?",
        sql="SELECT salary FROM employees",
        result=None,
        attempts=(Attempt("SELECT salary FROM employees", "reads employees.salary", "check"),),
        error="that query reads employees.salary, which your role can't see",
    )
    store.append("ana", conversation.id, failed)
    [turn] = store.turns("ana", conversation.id)
    assert turn.answer.result is None and not turn.answer.ok
    assert turn.answer.error == failed.error
    assert turn.chart is None


def test_hand_written_sql_turn_keeps_what_the_user_typed(store: ConversationStore) -> None:
    conversation = store.create("ana")
    typed = "select month, revenue from monthly -- mine"
    ran = Answer(question="", sql=CHECKED_SQL, result=make_answer().result)
    store.append("ana", conversation.id, ran, kind="sql", written=typed)
    [turn] = store.turns("ana", conversation.id)
    assert turn.kind == "sql" and turn.written_sql == typed
    assert store.get("ana", conversation.id).title == DEFAULT_TITLE


def test_history_gives_recent_questions_with_their_sql(store: ConversationStore) -> None:
    conversation = store.create("ana")
    for n in range(7):
        store.append("ana", conversation.id, make_answer(f"question {n}"))
    failed = Answer(question="broken", sql="SELECT x", result=None, error="no such column")
    store.append("ana", conversation.id, failed)
    history = store.history("ana", conversation.id)
    assert len(history) == 5
    assert history[-1] == Turn("broken", None)
    assert history[0] == Turn("question 3", MODEL_SQL)


def test_rename_and_delete(store: ConversationStore) -> None:
    conversation = store.create("ana")
    store.append("ana", conversation.id, make_answer())
    assert store.rename("ana", conversation.id, "  Monthly   revenue ").title == "Monthly revenue"
    with pytest.raises(KeskinubeError):
        store.rename("ana", conversation.id, "   ")
    store.delete("ana", conversation.id)
    assert store.list_for("ana") == []
    with pytest.raises(ConversationNotFound):
        store.turns("ana", conversation.id)


def test_users_never_see_each_others_conversations(store: ConversationStore) -> None:
    mine = store.create("ana")
    turn = store.append("ana", mine.id, make_answer())
    assert store.list_for("bob") == []
    for attempt in (
        lambda: store.get("bob", mine.id),
        lambda: store.turns("bob", mine.id),
        lambda: store.turn("bob", turn.id),
        lambda: store.rename("bob", mine.id, "stolen"),
        lambda: store.delete("bob", mine.id),
        lambda: store.append("bob", mine.id, make_answer()),
    ):
        with pytest.raises(ConversationNotFound):
            attempt()
    assert len(store.turns("ana", mine.id)) == 1


def test_set_chart_keeps_the_users_choice(store: ConversationStore) -> None:
    conversation = store.create("ana")
    turn = store.append("ana", conversation.id, make_answer(), chart=ChartSpec("table"))
    bar = ChartSpec("bar", x="label", y="orders", title="Orders by label")
    store.set_chart("ana", turn.id, bar, "C leads.")
    again = store.turn("ana", turn.id)
    assert again.chart == bar and again.summary == "C leads."
    with pytest.raises(ConversationNotFound):
        store.set_chart("bob", turn.id, bar, "")


def test_written_sql_prefers_the_successful_attempt() -> None:
    assert written_sql(make_answer()) == MODEL_SQL
    assert written_sql(Answer(question="q", sql="SELECT 1", result=None)) == "SELECT 1"


def test_an_error_turn_keeps_its_catalogue_message_for_any_language(
    store: ConversationStore,
) -> None:
    conversation = store.create("ana")
    message = Message.of("engine.db.timeout", seconds="30")
    failed = Answer(
        question="Everything?",
        sql="SELECT 1",
        result=None,
        error=str(message),
        error_message=message,
    )
    store.append("ana", conversation.id, failed)
    [turn] = store.turns("ana", conversation.id)
    assert turn.answer.error == "the database took longer than 30 s"
    assert turn.answer.error_message == message
    assert render(turn.answer.error_message, "es") == "la base de datos ha tardado más de 30 s"


def test_conversation_errors_read_in_the_readers_language(store: ConversationStore) -> None:
    with pytest.raises(ConversationNotFound) as gone:
        store.get("ana", 404)
    assert gone.value.render("es") == "Esa conversación ya no existe."
    conversation = store.create("ana")
    with pytest.raises(KeskinubeError) as unnamed:
        store.rename("ana", conversation.id, " ")
    assert unnamed.value.render("es") == "Ponle un nombre a la conversación."


def test_a_voted_answer_keeps_the_chosen_query_and_its_agreement(store: ConversationStore) -> None:
    # Three candidates ran; the vote chose the first, so the last that worked is not it.
    answer = replace(
        make_answer(),
        attempts=(
            Attempt("SELECT empty"),
            Attempt(MODEL_SQL, candidate=1),
            Attempt("SELECT other", candidate=2),
        ),
        agreement=(2, 3),
        model_sql=MODEL_SQL,
    )
    assert written_sql(answer) == MODEL_SQL
    assert written_sql(replace(answer, model_sql=None)) == "SELECT other"
    conversation = store.create("ana")
    store.append("ana", conversation.id, answer)
    [turn] = store.turns("ana", conversation.id)
    assert turn.written_sql == MODEL_SQL
    assert turn.answer.agreement == (2, 3) and turn.answer.model_sql == MODEL_SQL
    assert [a.candidate for a in turn.answer.attempts] == [0, 1, 2]
