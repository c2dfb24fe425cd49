"""Question names in retrieve mode: the model says what a database would call the
question's things, and the search reads those names beside the question.

An invented schema on the real MariaDB where the user's word ("clients") names the wrong
table (TLS client certificates) and the right one is called `customers`; the scripted
Ollama answers the names request (its system message asks for a database designer's
names) and then the SQL request.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

import pytest

from backend.domain import AccessPolicy, Actor
from backend.question_names import NAMES_SYSTEM
from testkit.scripted_ollama import ScriptedOllama, when
from tests.support.engine_db import create_schema
from tests.support.harbour_schema import QUESTION, SCHEMA, harbour_services
from wiring.services import Services

pytestmark = pytest.mark.mariadb

ANALYST = Actor(username="ana", role="analyst")
NAMES = "clients: customers, buyers, accounts\nSpain: country, countries"


@pytest.fixture
def harbour(mysql_url: str) -> str:
    return create_schema(mysql_url, SCHEMA)


def build(
    scripted_ollama: ScriptedOllama, url: str, names: str = NAMES, **overrides: object
) -> AbstractContextManager[Services]:
    names_reply = when("database designer would", reply=names, anywhere=True)
    settings = {"question_names": True, **overrides}
    return harbour_services(scripted_ollama, url, replies=[names_reply], **settings)


def _top(services: Services, actor: Actor = ANALYST) -> list[str]:
    return [t.name for t in services.engine.choose_tables(QUESTION, actor).tables]


def test_the_names_lead_the_search_to_the_table_the_user_meant(
    harbour: str, scripted_ollama: ScriptedOllama
) -> None:
    with build(scripted_ollama, harbour) as services:
        assert _top(services) == ["customers"]
    with build(scripted_ollama, harbour, question_names=False) as services:
        # The user's own word alone finds the look-alike: what the names are for.
        assert _top(services) == ["client_certificates"]
        assert scripted_ollama.chat_count == 0, "no names request with the setting off"


def test_an_answer_asks_for_names_first_then_writes_sql_over_the_found_table(
    harbour: str, scripted_ollama: ScriptedOllama
) -> None:
    with build(scripted_ollama, harbour) as services:
        answer = services.engine.ask(QUESTION, ANALYST)
    assert answer.ok, answer.error
    assert answer.result is not None
    assert answer.result.frame["full_name"].tolist() == ["Ada", "Cy"]
    names, write = scripted_ollama.chat_requests
    assert names["messages"][0]["content"] == NAMES_SYSTEM
    assert names["messages"][-1]["content"] == QUESTION
    sql_prompt = "\n".join(m["content"] for m in write["messages"])
    assert "CREATE TABLE customers" in sql_prompt
    assert "client_certificates" not in sql_prompt
    assert "select" in answer.timings, "the names call is timed with table choosing"


def test_the_names_request_carries_no_schema_whatever_the_role(
    harbour: str, scripted_ollama: ScriptedOllama
) -> None:
    clerk = Actor(
        username="cleo",
        role="clerk",
        policy=AccessPolicy(allowed_tables=frozenset({"vessels", "berths"})),
    )
    with build(scripted_ollama, harbour) as services:
        found = _top(services, clerk)
    sent = "\n".join(m["content"] for m in scripted_ollama.chat_requests[0]["messages"])
    for name in ("customers", "client_certificates", "vessels", "berths", "staff_rota"):
        assert name not in sent
    assert found and set(found) <= {"vessels", "berths"}, "names never widen what a role sees"


def test_with_table_selection_the_names_come_first_then_the_pick_then_the_sql(
    harbour: str, scripted_ollama: ScriptedOllama
) -> None:
    with build(scripted_ollama, harbour, table_selection=True) as services:
        scripted_ollama.add(when(regex=r"Tables:\s*$", reply="customers"))
        answer = services.engine.ask(QUESTION, ANALYST)
    assert answer.ok, answer.error
    names, pick, write = scripted_ollama.chat_requests
    assert names["messages"][0]["content"] == NAMES_SYSTEM
    assert pick["messages"][-1]["content"].endswith("Tables:")
    assert answer.retrieval is not None and answer.retrieval.selected == ("customers",)
    assert "CREATE TABLE customers" in "\n".join(m["content"] for m in write["messages"])


@pytest.mark.parametrize("reply", ["", "I am not sure.", "SELECT * FROM customers"])
def test_a_reply_listing_no_names_leaves_the_plain_search(
    harbour: str, scripted_ollama: ScriptedOllama, reply: str
) -> None:
    with build(scripted_ollama, harbour, names=reply) as services:
        assert _top(services) == ["client_certificates"]


def test_without_retrieval_there_is_no_names_request(
    harbour: str, scripted_ollama: ScriptedOllama
) -> None:
    with build(scripted_ollama, harbour, schema_mode="full") as services:
        assert services.engine.ask(QUESTION, ANALYST).ok
    assert scripted_ollama.chat_count == 1
