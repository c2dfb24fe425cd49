"""Warming every role's prompt start at app start: each distinct start once, in the
order given (the app lists the most-used role first).

Demo database, embedded Qdrant, scripted Ollama server, production wiring.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from backend.domain import AccessPolicy, Actor
from backend.warm_up import start_warm_up, warm_up_roles
from demo_data import build_demo_database
from testkit.scripted_ollama import ScriptedOllama
from tests.support.services import scripted_services
from wiring.services import Services

EVERYTHING = AccessPolicy()
NO_SALARIES = AccessPolicy(denied_columns=frozenset({("employees", "salary")}))


def actor(role: str, policy: AccessPolicy) -> Actor:
    return Actor(username=f"warm-up:{role}", role=role, policy=policy)


@pytest.fixture(scope="module")
def demo_sqlite(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('warm') / 'demo.sqlite'}"
    build_demo_database(url, orders=200)
    return url


@pytest.fixture
def full(demo_sqlite: str, scripted_ollama: ScriptedOllama) -> Iterator[Services]:
    with scripted_services(scripted_ollama, demo_sqlite, schema_mode="full") as services:
        yield services


def prefilled_starts(ollama: ScriptedOllama) -> list[str]:
    return [request["messages"][0]["content"] for request in ollama.prefill_requests]


def test_roles_sharing_a_schema_share_one_warm_up_in_the_order_given(
    full: Services, scripted_ollama: ScriptedOllama
) -> None:
    actors = [
        actor("admin", EVERYTHING),
        actor("hr", NO_SALARIES),
        actor("manager", EVERYTHING),
        actor("analyst", NO_SALARIES),
    ]
    assert warm_up_roles(full.engine, actors) == 2
    starts = prefilled_starts(scripted_ollama)
    assert len(starts) == 2
    assert "salary" in starts[0]  # everything: the admin's and the manager's start
    assert "salary" not in starts[1]  # the hr role's and the analyst's


def test_the_warm_up_is_recorded_so_a_later_question_knows_the_speed(
    full: Services, scripted_ollama: ScriptedOllama
) -> None:
    assert full.activity.seconds_per_token is None
    scripted_ollama.delay_s = 1.2  # a read under a second is taken for a cached one
    start_warm_up(full.engine, [actor("analyst", EVERYTHING)], full.activity).join(30)
    assert prefilled_starts(scripted_ollama)
    assert full.activity.seconds_per_token is not None


def test_nothing_is_warmed_when_prompts_are_retrieved_per_question(
    demo_sqlite: str, scripted_ollama: ScriptedOllama
) -> None:
    # Without a core (`test_engine_core` warms one): every prompt its own tables.
    retrieved = {"schema_mode": "retrieve", "core_schema_max_tokens": 0}
    with scripted_services(scripted_ollama, demo_sqlite, **retrieved) as services:
        assert warm_up_roles(services.engine, [actor("analyst", EVERYTHING)]) == 0
    assert scripted_ollama.chat_requests == []
