"""The schema check inside Engine.ask and run_sql, on MariaDB with case-sensitive names.

An invented legacy billing schema (upper-case abbreviated names, as on many older
systems) in a scratch database on the real server; the model is the scripted Ollama
server. MariaDB on Linux compares table names case-sensitively
(`lower_case_table_names=0`), so the model's lower-case spelling fails there unless the
validator respells it; a query naming a column that does not exist is answered with the
validator's facts and never reaches the database.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from backend.domain import Actor
from testkit.scripted_ollama import ScriptedOllama, when
from tests.support.engine_db import RecordingRunner
from tests.support.services import scripted_services
from wiring.services import Services

pytestmark = pytest.mark.mariadb

ANALYST = Actor(username="ana", role="analyst")
SCHEMA = [
    "CREATE TABLE CUST_MST (CUST_NO INT PRIMARY KEY, CUST_NM VARCHAR(40), STS_CD CHAR(1))",
    "CREATE TABLE MTR_MST (MTR_NO INT PRIMARY KEY, CUST_NO INT, "
    "FOREIGN KEY (CUST_NO) REFERENCES CUST_MST (CUST_NO))",
    "CREATE TABLE BILL_HDR (BILL_NO INT PRIMARY KEY, MTR_NO INT, AMT_DUE DECIMAL(8,2), "
    "FOREIGN KEY (MTR_NO) REFERENCES MTR_MST (MTR_NO))",
    "INSERT INTO CUST_MST VALUES (1, 'Aino', 'A'), (2, 'Bruno', 'A'), (3, 'Chen', 'X')",
    "INSERT INTO MTR_MST VALUES (10, 1), (20, 2), (30, 3)",
    "INSERT INTO BILL_HDR VALUES (100, 10, 12.50), (101, 10, 7.50), (200, 20, 30.00)",
]


@pytest.fixture
def billing(mysql_url: str) -> str:
    engine = sa.create_engine(mysql_url)
    with engine.begin() as conn:
        if conn.exec_driver_sql("SELECT @@lower_case_table_names").scalar_one() != 0:
            pytest.skip("this server folds table names to lower case")
        for statement in SCHEMA:
            conn.exec_driver_sql(statement)
    engine.dispose()
    return mysql_url


@pytest.fixture
def services(billing: str, scripted_ollama: ScriptedOllama) -> Iterator[Services]:
    with scripted_services(scripted_ollama, billing) as built:
        built.engine.runner = RecordingRunner(built.engine.runner)  # type: ignore[assignment]
        scripted_ollama.clear_requests()
        yield built


def test_lower_case_table_names_fail_on_this_server_as_written(billing: str) -> None:
    engine = sa.create_engine(billing)
    with pytest.raises(sa.exc.ProgrammingError, match="doesn't exist"), engine.connect() as conn:
        conn.exec_driver_sql("SELECT cust_nm FROM cust_mst")
    engine.dispose()


def test_the_models_lower_case_spelling_runs_on_a_case_sensitive_server(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    sql = (
        "SELECT c.cust_nm, SUM(b.amt_due) AS owed FROM cust_mst c JOIN mtr_mst m ON "
        "m.cust_no = c.cust_no JOIN bill_hdr b ON b.mtr_no = m.mtr_no GROUP BY c.cust_nm "
        "ORDER BY owed DESC"
    )
    scripted_ollama.add(when("owes", reply=f"```sql\n{sql}\n```"))
    answer = services.engine.ask("Who owes the most?", ANALYST)
    assert answer.ok, answer.error
    assert [a.stage for a in answer.attempts] == ["ok"] and scripted_ollama.chat_count == 1
    assert answer.sql is not None and "FROM CUST_MST AS c" in answer.sql
    frame = answer.result.frame if answer.result is not None else None
    assert frame is not None and frame.values.tolist() == [["Bruno", 30.0], ["Aino", 20.0]]


def test_an_unknown_column_is_answered_with_facts_and_no_database_call(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    wrong = "SELECT c.customer_name FROM cust_mst c WHERE c.status = 'A'"
    right = "SELECT c.cust_nm FROM cust_mst c WHERE c.sts_cd = 'A' ORDER BY c.cust_nm"
    scripted_ollama.add(
        when("active customers", reply=f"```sql\n{wrong}\n```"),
        when("That query failed", reply=f"```sql\n{right}\n```"),
    )
    runner: RecordingRunner = services.engine.runner  # type: ignore[assignment]
    answer = services.engine.ask("Names of active customers", ANALYST)
    assert answer.ok, answer.error
    assert [a.stage for a in answer.attempts] == ["check", "ok"]
    assert len(runner.statements) == 1  # only the corrected query reached the database
    retry = scripted_ollama.last_chat["messages"][-1]["content"]
    assert retry.startswith("That query failed:")
    assert "CUST_MST (as c) has no column customer_name." in retry
    assert "CUST_MST (as c) has no column status." in retry
    assert "The columns of CUST_MST are: CUST_NO, CUST_NM, STS_CD." in retry
    assert answer.result is not None
    assert answer.result.frame.iloc[:, 0].tolist() == ["Aino", "Bruno"]


def test_a_join_without_a_key_is_answered_with_the_key_path(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    wrong = "SELECT c.CUST_NM, b.AMT_DUE FROM CUST_MST c JOIN BILL_HDR b ON b.BILL_NO = c.CUST_NO"
    scripted_ollama.add(
        when("bills per customer", reply=f"```sql\n{wrong}\n```"),
        when("That query failed", reply="no idea"),
    )
    runner: RecordingRunner = services.engine.runner  # type: ignore[assignment]
    answer = services.engine.ask("Bills per customer", ANALYST)
    assert not answer.ok and not runner.statements
    retry = scripted_ollama.chat_requests[1]["messages"][-1]["content"]
    assert "join them through MTR_MST: BILL_HDR.MTR_NO → MTR_MST.MTR_NO, " in retry
    assert "MTR_MST.CUST_NO → CUST_MST.CUST_NO" in retry
    # The reader sees a catalogue message, in their language.
    assert answer.error_message is not None
    assert "do not link them" in answer.error_message.render("en")
    assert "no las relacionan" in answer.error_message.render("es")


def test_a_users_own_sql_gets_the_repair_but_not_the_facts(services: Services) -> None:
    answer = services.engine.run_sql("SELECT COUNT(*) AS n FROM bill_hdr", ANALYST)
    assert answer.ok, answer.error
    assert answer.result is not None and answer.result.frame["n"].tolist() == [3]
    failed = services.engine.run_sql("SELECT customer_name FROM cust_mst", ANALYST)
    assert not failed.ok
    assert failed.attempts[0].stage == "execute"  # the database's own error, as before
    assert "customer_name" in (failed.error or "")


def test_retrieved_tables_not_directly_linked_get_their_key_path_in_the_prompt(
    billing: str, scripted_ollama: ScriptedOllama
) -> None:
    with scripted_services(
        scripted_ollama, billing, schema_mode="retrieve", retrieval_k=2
    ) as built:
        scripted_ollama.add(when("AMT_DUE", reply="```sql\nSELECT 1\n```"))
        answer = built.engine.ask("CUST_NM with AMT_DUE of each BILL_HDR for CUST_MST", ANALYST)
    assert answer.retrieval is not None
    assert answer.retrieval.added_for_joins == ("MTR_MST",)
    user = scripted_ollama.last_chat["messages"][-1]["content"]
    assert "Join paths between the tables the question needs:" in user
    assert "MTR_MST.CUST_NO → CUST_MST.CUST_NO" in user
    assert "BILL_HDR.MTR_NO → MTR_MST.MTR_NO" in user
