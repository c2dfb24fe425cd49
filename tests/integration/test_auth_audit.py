"""The audit log on SQLite and MariaDB: SQL runs, filters, paging, CSV export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pandas as pd

from auth import audit
from auth.admin import AdminActions
from auth.audit import CSV_COLUMNS, AuditFilter
from auth.services import AuthServices
from backend.domain import Answer, Attempt, QueryResult
from backend.i18n import Message
from tests.support.auth_fixtures import START, ManualClock


def _seed(auth: AuthServices, clock: ManualClock) -> None:
    """Six rows one minute apart: three SQL runs and three login events."""
    log = auth.audit
    log.record_sql("ann", "Revenue by month?", "SELECT 1", 12, audit.OK, 0.42)
    clock.advance(minutes=1)
    log.record_sql("ann", "Top 5% customers", "SELECT 2", None, audit.REJECTED, 0.01, "denied")
    clock.advance(minutes=1)
    log.record_sql("bob", "Orders in March", "SELECT 3", 0, audit.ERROR, 1.5, "Unknown column")
    clock.advance(minutes=1)
    log.record_login("bob", audit.LOGIN_FAILURE)
    clock.advance(minutes=1)
    log.record_login("bob", audit.LOGIN_SUCCESS)
    clock.advance(minutes=1)
    log.record_login("bob", audit.LOGOUT)


def test_record_sql_stores_every_field(auth: AuthServices, clock: ManualClock) -> None:
    auth.audit.record_sql("ann", "How many?", "SELECT COUNT(*) FROM t", 1, audit.OK, 0.25, None)
    (entry,) = auth.audit.query().entries
    assert (entry.at, entry.username, entry.event, entry.status) == (
        START,
        "ann",
        audit.SQL_RUN,
        audit.OK,
    )
    assert (entry.question, entry.sql, entry.row_count, entry.duration_s) == (
        "How many?",
        "SELECT COUNT(*) FROM t",
        1,
        0.25,
    )


def test_record_answer_maps_the_engine_answer(auth: AuthServices) -> None:
    frame = pd.DataFrame({"n": [1, 2, 3]})
    good = Answer(
        question="q1",
        sql="SELECT n FROM t",
        result=QueryResult(frame, False, 0.1),
        timings={"generate": 1.0, "execute": 0.25},
    )
    refused = Answer(
        question="q2",
        sql="SELECT salary FROM employees",
        result=None,
        attempts=(Attempt("SELECT salary FROM employees", "salary is not allowed", "check"),),
        error="salary is not allowed",
    )
    auth.audit.record_answer("ann", good)
    auth.audit.record_answer("ann", refused)
    second, first = auth.audit.query().entries
    assert (first.status, first.row_count, first.duration_s) == (audit.OK, 3, 1.25)
    assert (second.status, second.detail) == (audit.REJECTED, "salary is not allowed")


def test_query_filters_by_user_event_status_time_and_text(
    auth: AuthServices, clock: ManualClock
) -> None:
    _seed(auth, clock)

    def questions(**filters: object) -> list[str | None]:
        page = auth.audit.query(AuditFilter(**filters))  # type: ignore[arg-type]
        return [entry.question for entry in page.entries]

    assert auth.audit.query().total == 6
    assert len(questions(username="BOB")) == 4
    assert questions(event=audit.SQL_RUN, status=audit.OK) == ["Revenue by month?"]
    assert questions(event=audit.SQL_RUN, username="ann") == [
        "Top 5% customers",
        "Revenue by month?",
    ]
    window = {"since": START + timedelta(minutes=1), "until": START + timedelta(minutes=3)}
    assert questions(**window) == ["Orders in March", "Top 5% customers"]
    assert questions(text="march") == ["Orders in March"]
    assert questions(text="5%") == ["Top 5% customers"]  # % is a literal, not a wildcard
    assert questions(text="unknown COLUMN") == ["Orders in March"]  # searches detail too
    assert questions(text="select 3") == ["Orders in March"]  # and the SQL


def test_query_pages_newest_first(auth: AuthServices, clock: ManualClock) -> None:
    _seed(auth, clock)
    first = auth.audit.query(limit=4)
    second = auth.audit.query(limit=4, offset=4)
    assert (first.total, len(first.entries), first.has_more) == (6, 4, True)
    assert (len(second.entries), second.has_more) == (2, False)
    assert first.entries[0].event == audit.LOGOUT
    assert second.entries[-1].question == "Revenue by month?"


def test_csv_export_streams_matching_rows_oldest_first(
    auth: AuthServices, clock: ManualClock
) -> None:
    _seed(auth, clock)
    out = io.StringIO(newline="")
    assert auth.audit.write_csv(out, AuditFilter(event=audit.SQL_RUN)) == 3
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [row["question"] for row in rows] == [
        "Revenue by month?",
        "Top 5% customers",
        "Orders in March",
    ]
    assert tuple(rows[0]) == CSV_COLUMNS
    assert (rows[0]["at"], rows[0]["row_count"], rows[1]["row_count"]) == (
        "2026-03-02 09:00:00",
        "12",
        "",
    )
    assert "".join(auth.audit.iter_csv(AuditFilter(event=audit.SQL_RUN))) == out.getvalue()


def test_csv_export_defuses_spreadsheet_formulas(auth: AuthServices) -> None:
    auth.audit.record_sql("ann", '=HYPERLINK("http://x")', "SELECT 1", 1, audit.OK, 0.1)
    (row,) = csv.DictReader(io.StringIO("".join(auth.audit.iter_csv())))
    assert row["question"] == '\'=HYPERLINK("http://x")'


def test_long_texts_are_cut_to_fit(auth: AuthServices) -> None:
    auth.audit.record_sql("ann", "q" * 30_000, "SELECT 1", 1, audit.OK, 0.1)
    (entry,) = auth.audit.query().entries
    assert entry.question is not None and len(entry.question) == 20_000


def test_a_message_detail_is_recorded_in_english_and_shown_in_the_readers_language(
    auth: AuthServices,
) -> None:
    actions = AdminActions(auth, by="boss")
    actions.create_user("newbie", role="analyst", password="Correct-horse-9")
    actions.set_table_rules("analyst", allowed_tables=None, denied_columns=[])
    auth.audit.record_admin("boss", "an older row, written before details were messages")
    older, rules, created = auth.audit.query().entries
    assert created.detail == "created analyst newbie"  # the record: searched and exported
    assert created.detail_in("es") == "creó el usuario newbie con el rol analyst"
    assert rules.detail == "set the rules of analyst on main: all tables; denied columns: none"
    assert rules.detail_in("es") == (
        "cambió las reglas de analyst en main: todas las tablas; columnas denegadas: ninguno"
    )
    assert older.detail_in("es") == older.detail  # no message: shown as written
    assert [e.detail for e in auth.audit.query(AuditFilter(text="created analyst")).entries] == [
        "created analyst newbie"
    ]
    exported = list(csv.DictReader(io.StringIO("".join(auth.audit.iter_csv()))))
    assert exported[0]["detail"] == "created analyst newbie"


def test_a_refused_answer_is_recorded_with_its_guard_reason_as_a_message(
    auth: AuthServices,
) -> None:
    reason = Message.of("guard.only_select", detail="DELETE")
    refused = Answer(
        question="q",
        sql="DELETE FROM t",
        result=None,
        attempts=(Attempt("DELETE FROM t", str(reason), "check"),),
        error=str(reason),
        error_message=reason,
    )
    auth.audit.record_answer("ann", refused)
    (entry,) = auth.audit.query().entries
    assert entry.detail == str(reason)
    assert entry.detail_in("es") == reason.render("es") != entry.detail
