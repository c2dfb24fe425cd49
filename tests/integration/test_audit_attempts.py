"""Every try that reached the database is audited, and a failed audit write is handled one
way everywhere: by the answer service (real MariaDB business database, scripted Ollama,
app database on SQLite).

An answer's attempts carry the statement the guard let through (`executed`) and the
database's error code; the audit log gets one row for each try that reached the database
before the last, then the outcome — in one transaction. Tries the guard refused never ran,
so they get no row of their own. No row holds the database's raw error text.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from appdb.engine import create_app_engine
from appdb.migrate import upgrade
from auth import audit
from auth.audit import AuditLog
from backend.answer_service import AnswerService
from backend.domain import AccessPolicy, Actor
from backend.i18n.message import Message
from testkit.scripted_ollama import ScriptedOllama, when
from tests.support.services import scripted_services
from wiring.services import Services

pytestmark = pytest.mark.mariadb

SETUP = [
    "CREATE TABLE orders (id INT PRIMARY KEY, region VARCHAR(10), amount DECIMAL(10, 2),"
    " note VARCHAR(40))",
    "INSERT INTO orders VALUES (1, 'north', 10, 'zz-private-1'), (2, 'south', 20, 'zz-private-2')",
    "CREATE TABLE scratch (id INT PRIMARY KEY, extra VARCHAR(10))",
    "INSERT INTO scratch VALUES (1, 'x')",
    "CREATE TABLE big (i INT PRIMARY KEY)",
    "INSERT INTO big WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
    " WHERE i < 100) SELECT i FROM n",
]
GOOD = "SELECT COUNT(*) AS n FROM orders"
UNKNOWN = "SELECT nope FROM orders"  # caught by the schema check: never reaches the database
OVERFLOW = "SELECT EXP(amount * 1000) FROM orders"
TWO_ROWS = "SELECT id FROM orders WHERE (SELECT region FROM orders) > ''"
DENIED = "SELECT note FROM orders"
SLOW = "SELECT COUNT(*) FROM big a, big b, big c, big d, big e WHERE a.i + b.i + c.i > e.i"
ANA = Actor("ana", "analyst")
NO_NOTES = Actor(
    "nina", "analyst", policy=AccessPolicy(denied_columns=frozenset({("orders", "note")}))
)


@pytest.fixture
def services(mysql_url: str, scripted_ollama: ScriptedOllama) -> Iterator[Services]:
    engine = sa.create_engine(mysql_url)
    with engine.begin() as conn:
        for statement in SETUP:
            conn.exec_driver_sql(statement)
    engine.dispose()
    with scripted_services(scripted_ollama, mysql_url, query_timeout_s=1, max_retries=2) as built:
        scripted_ollama.clear_requests()
        yield built


@pytest.fixture
def audit_log(tmp_path: Path) -> AuditLog:
    engine = create_app_engine(f"sqlite:///{tmp_path / 'app.sqlite'}")
    upgrade(engine)
    return AuditLog(engine)


@pytest.fixture
def answers(services: Services, audit_log: AuditLog) -> AnswerService:
    return AnswerService(services.engine, audit_log)


def sql_block(sql: str) -> str:
    return f"```sql\n{sql}\n```"


def rows(log: AuditLog) -> list[audit.AuditEntry]:
    return list(log.iter_entries())


@pytest.mark.parametrize(
    ("replies", "actor", "statuses", "codes"),
    [
        ([UNKNOWN, GOOD], ANA, [audit.OK], [None]),
        ([TWO_ROWS, GOOD], ANA, [audit.ERROR, audit.OK], [1242, None]),
        ([UNKNOWN, TWO_ROWS, OVERFLOW], ANA, [audit.ERROR] * 2, [1242, 1690]),
        ([DENIED, TWO_ROWS, GOOD], NO_NOTES, [audit.ERROR, audit.OK], [1242, None]),
        ([OVERFLOW, DENIED, GOOD], NO_NOTES, [audit.ERROR, audit.OK], [1690, None]),
        (
            [TWO_ROWS, OVERFLOW, DENIED],
            NO_NOTES,
            [audit.ERROR, audit.ERROR, audit.REJECTED],
            [1242, 1690],
        ),
        ([SLOW], ANA, [audit.TIMEOUT], [1969]),
        ([GOOD], ANA, [audit.OK], [None]),
    ],
)
def test_every_try_that_ran_is_audited(
    answers: AnswerService,
    scripted_ollama: ScriptedOllama,
    audit_log: AuditLog,
    replies: list[str],
    actor: Actor,
    statuses: list[str],
    codes: list[int | None],
) -> None:
    scripted_ollama.add(when("orders", replies=[sql_block(r) for r in replies], anywhere=True))
    reply = answers.ask(actor, "how many orders", source="api", keep=False)
    answer = reply.answer
    ran = [a for a in answer.attempts if a.reached_database]
    assert [a.code for a in ran] == codes, answer.attempts
    assert all("LIMIT" in (a.executed or "") for a in ran)  # the guard's text, not the model's
    assert reply.audit_warning is None
    entries = rows(audit_log)
    assert {e.source for e in entries} == {"api"}
    assert [e.status for e in entries] == statuses
    refused_last = not answer.attempts[-1].reached_database
    assert len(entries) == len(ran) + refused_last  # refused tries get no row of their own
    for entry, attempt in zip(entries, ran, strict=False):
        assert entry.sql == attempt.executed
    for entry in entries:
        assert entry.question == "how many orders" and entry.username == actor.username
        assert "zz-private" not in (entry.detail or "")
        assert "Subquery returns" not in (entry.detail or "")  # not the database's text
    for entry, code in zip(entries[:-1], codes, strict=False):
        assert entry.detail is not None and f"database error {code}" in entry.detail
    assert answer.ok == (statuses[-1] == audit.OK)


def test_run_sql_is_audited_with_the_statement_that_ran(
    answers: AnswerService, audit_log: AuditLog
) -> None:
    replies = [
        answers.run_sql(ANA, "SELECT region FROM orders", source="page", keep=False),
        answers.run_sql(ANA, TWO_ROWS, source="tile", question="Sales", keep=False),
        answers.run_sql(NO_NOTES, DENIED, source="review", keep=False),
    ]
    assert all(reply.audit_warning is None for reply in replies)
    good, bad, refused = (reply.answer for reply in replies)
    entries = rows(audit_log)
    assert [e.status for e in entries] == [audit.OK, audit.ERROR, audit.REJECTED]
    assert [e.source for e in entries] == ["page", "tile", "review"]
    assert [e.question for e in entries] == ["", "Sales", ""]
    assert entries[0].sql == good.attempts[0].executed and "LIMIT" in (entries[0].sql or "")
    assert bad.attempts[0].code == 1242 and entries[1].sql == bad.attempts[0].executed
    assert refused.attempts[0].executed is None and entries[2].sql == DENIED


def test_a_cached_sql_that_fails_is_audited_before_the_models_answer(
    services: Services,
    answers: AnswerService,
    scripted_ollama: ScriptedOllama,
    audit_log: AuditLog,
    mysql_url: str,
) -> None:
    scripted_ollama.add(
        when("extras", replies=[sql_block("SELECT extra FROM scratch"), sql_block(GOOD)])
    )
    first = services.engine.ask("list the extras", ANA)
    assert first.ok
    engine = sa.create_engine(mysql_url)
    with engine.begin() as conn:  # the cached SQL no longer runs
        conn.exec_driver_sql("ALTER TABLE scratch DROP COLUMN extra")
    engine.dispose()
    reply = answers.ask(Actor("bea", "analyst"), "list the extras", source="cli", keep=False)
    second = reply.answer
    assert second.ok and not second.cached
    assert [a.code for a in second.attempts if a.reached_database] == [1054, None]
    assert reply.audit_warning is None
    assert [e.status for e in rows(audit_log)] == [audit.ERROR, audit.OK]


def test_a_failed_audit_write_is_logged_and_warned_never_raised(
    services: Services,
    scripted_ollama: ScriptedOllama,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = AuditLog(sa.create_engine(f"sqlite:///{tmp_path / 'no_tables.sqlite'}"))
    answers = AnswerService(services.engine, broken)
    scripted_ollama.add(when("orders", reply=sql_block(GOOD)))
    with caplog.at_level(logging.ERROR, logger="backend.answer_service"):
        reply = answers.ask(ANA, "how many orders", source="page", keep=False)
        by_hand = answers.run_sql(ANA, GOOD, source="tile", keep=False)
    assert reply.answer.ok and by_hand.answer.ok  # the answers are kept all the same
    assert reply.audit_warning == by_hand.audit_warning == Message.of("audit.write_failed")
    assert reply.audit_warning.render("es") != reply.audit_warning.render("en")
    logged = [r for r in caplog.records if r.name == "backend.answer_service"]
    assert len(logged) == 2 and all(r.exc_info is not None for r in logged)
    assert "ana" in logged[0].getMessage()
