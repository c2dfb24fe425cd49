"""The answer cache and conversations, roles and row filters (Engine.ask end to end).

A follow-up means nothing without its conversation, so it neither reads nor writes the
cache: another user's identical follow-up in another conversation always reaches the
model. A cached SQL is only ever served to the role that stored it, and even then it runs
through the guard with the asker's own policy and attributes.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from backend.domain import AccessPolicy, Actor, RowFilter, Turn
from demo_data import build_demo_database
from testkit.scripted_ollama import ScriptedOllama, when
from tests.support.services import scripted_services
from wiring.services import Services

CUSTOMERS_SQL = "SELECT COUNT(*) AS n FROM customers"
ORDERS_SQL = "SELECT COUNT(*) AS n FROM orders"
ANA = Actor("ana", "analyst")
BOB = Actor("bob", "analyst")
CONTEXT_A = Turn("How many customers are there?", CUSTOMERS_SQL)
CONTEXT_B = Turn("How many orders are there?", ORDERS_SQL)
FOLLOW_UPS = [
    "and in 2024?",
    "And in 2024",
    "what about last year?",
    "same for Spain",
    "y en 2024?",
    "and by month?",
    "only the online channel",
    "how many?",
]


@pytest.fixture(scope="module")
def demo_sqlite(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    build_demo_database(url, orders=300)
    return url


@pytest.fixture
def services(demo_sqlite: str, scripted_ollama: ScriptedOllama) -> Iterator[Services]:
    with scripted_services(scripted_ollama, demo_sqlite) as built:
        # The reply depends on the conversation the follow-up belongs to.
        scripted_ollama.add(
            when(CONTEXT_A.question, reply=f"```sql\n{CUSTOMERS_SQL}\n```"),
            when(CONTEXT_B.question, reply=f"```sql\n{ORDERS_SQL}\n```"),
        )
        scripted_ollama.clear_requests()
        yield built


@pytest.mark.parametrize("follow_up", FOLLOW_UPS)
def test_same_follow_up_in_another_conversation_asks_the_model(
    services: Services, scripted_ollama: ScriptedOllama, follow_up: str
) -> None:
    first = services.engine.ask(follow_up, ANA, conversation=[CONTEXT_A])
    second = services.engine.ask(follow_up, BOB, conversation=[CONTEXT_B])
    assert first.ok and second.ok, (first.error, second.error)
    assert not first.cached and not second.cached
    assert scripted_ollama.chat_count == 2
    assert "customers" in (first.sql or "") and "orders" in (second.sql or "")


@pytest.mark.parametrize("follow_up", FOLLOW_UPS[:4])
def test_same_user_same_follow_up_in_two_conversations_is_not_cached(
    services: Services, scripted_ollama: ScriptedOllama, follow_up: str
) -> None:
    services.engine.ask(follow_up, ANA, conversation=[CONTEXT_A])
    again = services.engine.ask(follow_up, ANA, conversation=[CONTEXT_B])
    assert not again.cached and "orders" in (again.sql or "")


def test_a_follow_up_is_not_stored_for_later_standalone_questions(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    scripted_ollama.add(when("how many", reply=f"```sql\n{ORDERS_SQL}\n```"))
    services.engine.ask("how many?", ANA, conversation=[CONTEXT_A])
    standalone = services.engine.ask("how many?", ANA)
    assert not standalone.cached and scripted_ollama.chat_count == 2


def test_a_cached_standalone_answer_is_not_served_inside_a_conversation(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    scripted_ollama.add(when("count them", reply=f"```sql\n{CUSTOMERS_SQL}\n```"))
    first = services.engine.ask("count them", ANA)
    cached = services.engine.ask("count them", BOB)
    in_context = services.engine.ask("count them", BOB, conversation=[CONTEXT_B])
    assert not first.cached and cached.cached and not in_context.cached
    assert "orders" in (in_context.sql or "")
    assert scripted_ollama.chat_count == 2


@pytest.mark.parametrize(
    "policy",
    [
        AccessPolicy(denied_columns=frozenset({("customers", "email")})),
        AccessPolicy(row_filters=(RowFilter("customers", "segment = 'Retail'"),)),
        AccessPolicy(allowed_tables=frozenset({"customers", "orders"})),
    ],
)
def test_an_admins_cached_sql_is_never_served_to_another_role(
    services: Services, scripted_ollama: ScriptedOllama, policy: AccessPolicy
) -> None:
    scripted_ollama.add(when("customer count", reply=f"```sql\n{CUSTOMERS_SQL}\n```"))
    admin = services.engine.ask("customer count", Actor("root", "admin"))
    restricted = services.engine.ask("customer count", Actor("rita", "manager", policy=policy))
    assert admin.ok and restricted.ok
    assert not restricted.cached and scripted_ollama.chat_count == 2


def test_a_cached_sql_runs_under_the_askers_own_row_filter(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    scripted_ollama.add(when("customer count", reply=f"```sql\n{CUSTOMERS_SQL}\n```"))
    policy = AccessPolicy(row_filters=(RowFilter("customers", "segment = :user.segment"),))
    retail = Actor("r", "sales", policy=policy, attributes=(("segment", "Retail"),))
    other = Actor("o", "sales", policy=policy, attributes=(("segment", "Wholesale"),))
    first = services.engine.ask("customer count", retail)
    second = services.engine.ask("customer count", other)
    assert second.cached and scripted_ollama.chat_count == 1
    assert "'Wholesale'" in (second.sql or "") and "'Retail'" not in (second.sql or "")
    assert first.result is not None and second.result is not None
    everyone = services.engine.run_sql(CUSTOMERS_SQL, ANA).result
    assert everyone is not None
    assert first.result.frame["n"][0] + second.result.frame["n"][0] <= everyone.frame["n"][0]


def test_a_cached_sql_the_askers_policy_refuses_is_dropped(
    services: Services, scripted_ollama: ScriptedOllama
) -> None:
    email_sql = "SELECT email FROM customers"
    scripted_ollama.add(when("customer emails", reply=f"```sql\n{email_sql}\n```"))
    services.engine.ask("customer emails", Actor("a", "sales"))
    narrowed = AccessPolicy(denied_columns=frozenset({("customers", "email")}))
    refused = services.engine.ask("customer emails", Actor("b", "sales", policy=narrowed))
    assert not refused.cached and not refused.ok
    assert scripted_ollama.chat_count >= 2  # the cached SQL was refused, the model asked
