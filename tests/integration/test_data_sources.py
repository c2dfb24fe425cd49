"""Data sources end to end below the pages: who may use which source, rules that stay on
their source, and each source answering from its own database, index and conversations."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from qdrant_client import QdrantClient

from auth.audit import AuditFilter
from auth.services import AuthServices
from backend.config import load_settings
from backend.conversations import ConversationNotFound, ConversationStore
from backend.domain import AccessPolicy, RowFilter
from backend.sources import MAIN, DataSource, InvalidSource, UnknownSource
from backend.sources.secrets import SecretBox
from backend.sources.store import SourceStore
from demo_data import build_demo_database
from testkit.scripted_ollama import ScriptedOllama, when
from vectorstore.store import collection_name
from wiring.services import answer_service, index_database
from wiring.sources import SourceRegistry

ROLES = ("admin", "manager", "analyst")


# -- who may use which source ------------------------------------------------------------


def test_main_is_every_roles_and_an_added_source_only_the_admins_until_allowed(
    auth: AuthServices,
) -> None:
    names = [MAIN, "sales", "hr"]
    assert auth.policies.usable_sources("analyst", names) == [MAIN]
    assert auth.policies.usable_sources("manager", names) == [MAIN]
    assert auth.policies.usable_sources("admin", names) == names
    auth.policies.set_source_allowed("analyst", "hr", True)
    assert auth.policies.usable_sources("analyst", names) == [MAIN, "hr"]
    auth.policies.set_source_allowed("analyst", MAIN, False)
    assert auth.policies.usable_sources("analyst", names) == ["hr"]
    assert auth.policies.usable_sources("manager", names) == [MAIN]
    auth.policies.set_source_allowed("analyst", MAIN, None)  # back to the default
    assert auth.policies.may_use("analyst", MAIN)
    auth.policies.set_source_allowed("admin", "sales", False)  # an admin keeps every source
    assert auth.policies.may_use("admin", "sales")


@pytest.mark.parametrize("source", ["sales", "no-such-source", MAIN])
def test_no_actor_on_a_source_the_role_may_not_use(auth: AuthServices, source: str) -> None:
    auth.users.create_user("ana", role="analyst")
    auth.policies.set_source_allowed("analyst", MAIN, False)
    ana = auth.users.find_user("ana")
    assert ana is not None
    with pytest.raises(UnknownSource) as refused:
        auth.policies.actor_for(ana, source=source)
    # The same words whether the source exists or not: no oracle of source names.
    assert str(refused.value) == f"There is no data source '{source}' you can use."
    with pytest.raises(UnknownSource):
        auth.policies.policy_for_role("analyst", source=source)


def test_rules_and_row_filters_stay_on_their_source(auth: AuthServices) -> None:
    auth.users.create_user("rita", role="manager", attributes={"region_id": "3"})
    rita = auth.users.find_user("rita")
    assert rita is not None
    auth.policies.set_source_allowed("manager", "sales", True)
    auth.policies.set_allowed_tables("manager", ["orders"], source="sales")
    auth.policies.set_denied_columns("manager", ["orders.margin"], source="sales")
    auth.policies.add_row_filter("orders", "region_id = 3", role="manager", source="sales")
    auth.policies.add_row_filter("staff", "team = 'b'", username="rita")  # main's

    on_sales = auth.policies.actor_for(rita, source="sales").policy
    assert on_sales == AccessPolicy(
        allowed_tables=frozenset({"orders"}),
        denied_columns=frozenset({("orders", "margin")}),
        row_filters=(RowFilter("orders", "region_id = 3"),),
    )
    on_main = auth.policies.actor_for(rita).policy
    assert on_main == AccessPolicy(row_filters=(RowFilter("staff", "team = 'b'"),))
    assert [f.source for f in auth.policies.row_filters()] == ["sales", MAIN]
    assert [f.table for f in auth.policies.row_filters(source="sales")] == ["orders"]


# -- each source answers from its own database ----------------------------------------------


@pytest.fixture
def registry(
    tmp_path: Path, scripted_ollama: ScriptedOllama, auth: AuthServices
) -> Iterator[SourceRegistry]:
    main_url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    build_demo_database(main_url, orders=100)
    with sqlite3.connect(tmp_path / "hr.sqlite") as conn:
        conn.execute("CREATE TABLE staff (id INTEGER PRIMARY KEY, name TEXT, team TEXT)")
        conn.executemany("INSERT INTO staff VALUES (?, ?, ?)", [(1, "Ann", "a"), (2, "Bo", "b")])
    settings = load_settings(
        database_url=main_url,
        app_database_url=f"sqlite:///{tmp_path / 'app.sqlite'}",
        ollama_base_url=scripted_ollama.url,
        ollama_model=scripted_ollama.chat_model,
        ollama_embed_model=scripted_ollama.embed_model,
        ollama_timeout_s=5,
        schema_drift_check_minutes=0,
    )
    store = SourceStore(auth.engine, SecretBox(settings.sources_secret))
    store.add(DataSource("hr", "sqlite", database=str(tmp_path / "hr.sqlite")), None)
    built = SourceRegistry(settings, store, qdrant=QdrantClient(":memory:"))
    yield built
    built.close()


def test_each_source_has_its_own_schema_index_and_conversations(
    registry: SourceRegistry, auth: AuthServices, scripted_ollama: ScriptedOllama
) -> None:
    main, hr = registry.services(MAIN), registry.services("hr")
    for services in (main, hr):
        index_database(services)
    assert (main.source, hr.source) == (MAIN, "hr")
    assert hr.database == "src_hr" != main.database
    assert set(hr.engine.tables()) == {"staff"}
    assert "customers" in main.engine.tables() and "staff" not in main.engine.tables()
    assert registry.services("hr") is hr  # built once

    scripted_ollama.add(when("How many people work here?", reply="SELECT COUNT(*) AS n FROM staff"))
    auth.users.create_user("ana", role="admin")
    ana = auth.users.find_user("ana")
    assert ana is not None
    conversations = ConversationStore(auth.engine)
    on_hr = answer_service(hr, auth.audit, conversations)
    reply = on_hr.ask(
        auth.policies.actor_for(ana, source="hr"), "How many people work here?", source="api"
    )
    assert reply.answer.ok and reply.answer.result is not None
    assert reply.answer.result.frame.iloc[0, 0] == 2
    assert reply.conversation_id is not None
    assert conversations.get("ana", reply.conversation_id).source == "hr"
    [audited] = auth.audit.query(AuditFilter(username="ana")).entries
    assert (audited.source, audited.data_source) == ("api", "hr")
    assert [c.id for c in conversations.list_for("ana", source=MAIN)] == []

    on_main = answer_service(main, auth.audit, conversations)
    with pytest.raises(ConversationNotFound):  # its history belongs to another database
        on_main.ask(
            auth.policies.actor_for(ana),
            "and by team?",
            source="api",
            conversation_id=reply.conversation_id,
        )


def test_an_actor_with_another_sources_rules_is_refused_at_every_door(
    registry: SourceRegistry, auth: AuthServices
) -> None:
    # The rules of `main` (nothing denied there) must never guard `hr`'s data, even when a
    # caller mixes the two up, or a rule changes between reading the actor and the source.
    auth.users.create_user("ana", role="admin")
    ana = auth.users.find_user("ana")
    assert ana is not None
    on_main = auth.policies.actor_for(ana)
    index_database(registry.services("hr"))
    hr = answer_service(registry.services("hr"), auth.audit, ConversationStore(auth.engine))
    sql = "SELECT name FROM staff"
    calls = [
        lambda: hr.ask(on_main, "Who works here?", source="api"),
        lambda: hr.run_sql(on_main, sql, source="api"),
        lambda: hr.export(on_main, sql, io.BytesIO()),
        lambda: hr.search_schema(on_main, "people"),
    ]
    for call in calls:
        with pytest.raises(UnknownSource):
            call()
    assert not auth.audit.query(AuditFilter(username="ana")).entries
    on_hr = auth.policies.actor_for(ana, source="hr")
    assert hr.run_sql(on_hr, sql, source="api").answer.ok


def test_an_edited_source_is_rebuilt_and_a_removed_one_is_gone(
    registry: SourceRegistry,
) -> None:
    before = registry.services("hr")
    source = registry.source("hr")
    registry.store.update(DataSource("hr", "sqlite", source.database, description="People"))
    after = registry.services("hr")
    assert after is not before
    index_database(after)
    assert registry.qdrant.collection_exists(collection_name("schema", "src_hr"))
    registry.store.remove("hr")
    registry.drop_index(source)
    assert not registry.qdrant.collection_exists(collection_name("schema", "src_hr"))
    with pytest.raises(UnknownSource):
        registry.services("hr")
    assert [s.name for s in registry.sources()] == [MAIN]


def test_the_app_database_cannot_be_a_source(registry: SourceRegistry, tmp_path: Path) -> None:
    registry.store.add(DataSource("own", "sqlite", database=str(tmp_path / "app.sqlite")), None)
    with pytest.raises(InvalidSource, match="app database"):
        registry.services("own")


def test_a_source_is_prepared_once_and_not_before_a_reindex_of_its_own(
    registry: SourceRegistry,
) -> None:
    prepared: list[str] = []
    counting = SourceRegistry(
        registry.settings,
        registry.store,
        qdrant=registry.qdrant,
        on_built=lambda services: prepared.append(services.source),
    )
    first = counting.services("hr", prepare=False)  # a re-index with its own progress
    assert prepared == []
    assert counting.services("hr") is first
    assert counting.services("hr") is first
    assert prepared == ["hr"]
    source = counting.source("hr")
    counting.store.update(DataSource("hr", "sqlite", source.database, description="Edited"))
    counting.services("hr")  # rebuilt: prepared again
    assert prepared == ["hr", "hr"]
    counting.close()
