"""An admin's changes to data sources (`wiring.source_admin`): tested before they are
saved, refused for the app database, and each one written to the audit log.

Real SQLite files as business databases, the real connection test, an in-memory Qdrant;
Ollama is unreachable, so indexing is sparse-only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from qdrant_client import QdrantClient

from auth import audit
from auth.audit import AuditFilter
from auth.passwords import PasswordHasher
from auth.services import AuthServices, open_auth
from backend.config import load_settings
from backend.sources import MAIN, InvalidSource, UnknownSource
from backend.sources.form import SourceForm
from tests.support.sources import needs_check, sqlite_database, stored_row
from wiring.source_admin import SourceAdmin
from wiring.sources import SourceRegistry, source_store

# Nothing listens on the discard port: a connection is refused at once.
UNREACHABLE = SourceForm(name="crm", kind="mysql", host="127.0.0.1", port=9, database="crm")


@pytest.fixture
def auth(tmp_path: Path) -> Iterator[AuthServices]:
    services = open_auth(f"sqlite:///{tmp_path / 'app.sqlite'}", hasher=PasswordHasher(rounds=4))
    yield services
    services.close()


@pytest.fixture
def admin(tmp_path: Path, auth: AuthServices) -> Iterator[SourceAdmin]:
    settings = load_settings(
        app_database_url=f"sqlite:///{tmp_path / 'app.sqlite'}",
        database_url=f"sqlite:///{sqlite_database(tmp_path / 'main.sqlite')}",
        qdrant_path=":memory:",
        ollama_base_url="http://127.0.0.1:9",
    )
    qdrant = QdrantClient(":memory:")
    registry = SourceRegistry(settings, source_store(settings, auth.engine), qdrant=qdrant)
    yield SourceAdmin(registry, auth, by="boss", timeout_s=2)
    registry.close()
    qdrant.close()


def details(auth: AuthServices) -> list[str]:
    page = auth.audit.query(AuditFilter(event=audit.ADMIN_ACTION), limit=100)
    return [entry.detail or "" for entry in reversed(page.entries)]


def shop(tmp_path: Path, name: str = "shop") -> SourceForm:
    return SourceForm(name=name, kind="sqlite", database=str(sqlite_database(tmp_path / "s.db")))


@needs_check
def test_adding_tests_saves_and_lets_the_chosen_roles_use_it(
    tmp_path: Path, admin: SourceAdmin, auth: AuthServices
) -> None:
    saved = admin.add(shop(tmp_path), None, roles=["analyst"])
    assert saved.check.connected
    assert saved.source is not None and saved.source.name == "shop"
    assert [s.name for s in admin.store.list()] == ["shop"]
    assert admin.roles_of("shop") == ["admin", "analyst"]
    assert not auth.policies.may_use("manager", "shop")
    assert details(auth)[-1].startswith(
        f"added data source shop (sqlite, {tmp_path / 's.db'}) for analyst; test: "
    )


@needs_check
def test_a_source_that_cannot_connect_is_saved_only_when_asked(
    admin: SourceAdmin, auth: AuthServices
) -> None:
    refused = admin.add(UNREACHABLE, "Crm-Secret-1")
    assert not refused.check.connected
    assert refused.source is None
    assert admin.store.list() == []
    saved = admin.add(UNREACHABLE, "Crm-Secret-1", save_anyway=True)
    assert saved.source is not None and saved.source.has_password
    raw = stored_row(admin.store.engine, "crm")["password_encrypted"]
    assert raw and "Crm-Secret-1" not in raw
    assert admin.store.password("crm") == "Crm-Secret-1"
    assert admin.roles_of("crm") == ["admin"]
    first, second = details(auth)[-2:]
    assert first.startswith("tested new data source crm (mysql, 127.0.0.1:9/crm), not added")
    assert second.startswith("added data source crm (mysql, 127.0.0.1:9/crm) for admins only")


@needs_check
def test_editing_keeps_a_blank_password_and_removes_it_when_asked(
    admin: SourceAdmin, auth: AuthServices
) -> None:
    admin.add(UNREACHABLE, "Crm-Secret-1", save_anyway=True)
    moved = SourceForm(name="crm", kind="mysql", host="127.0.0.1", port=9, database="crm2")
    admin.update(moved, "", save_anyway=True)
    assert admin.store.get("crm").database == "crm2"
    assert admin.store.password("crm") == "Crm-Secret-1"
    admin.update(moved, "", clear_password=True, save_anyway=True)
    assert admin.store.password("crm") is None
    assert ", password kept;" in details(auth)[-2]
    assert ", password removed;" in details(auth)[-1]


@needs_check
def test_testing_a_stored_source_is_recorded(
    tmp_path: Path, admin: SourceAdmin, auth: AuthServices
) -> None:
    admin.add(shop(tmp_path), None)
    check = admin.test("shop")
    assert check.connected
    assert details(auth)[-1].startswith("tested data source shop (sqlite, ")


def test_the_app_database_is_refused_before_anything_is_tried(
    tmp_path: Path, admin: SourceAdmin, auth: AuthServices
) -> None:
    app_db = SourceForm(name="app", kind="sqlite", database=str(tmp_path / "app.sqlite"))
    with pytest.raises(InvalidSource) as raised:
        admin.add(app_db, None, save_anyway=True)
    assert raised.value.message is not None
    assert raised.value.message.key == "sources.sqlite_is_app_db"
    assert admin.store.list() == []
    assert details(auth) == []


def test_removing_deletes_the_source_and_its_rules(
    tmp_path: Path, admin: SourceAdmin, auth: AuthServices
) -> None:
    admin.store.add(shop(tmp_path).to_source(), None)
    admin.set_allowed("analyst", "shop", True)
    admin.remove("shop")
    assert admin.store.list() == []
    assert not auth.policies.may_use("analyst", "shop")
    assert details(auth)[-2:] == ["let analyst use data source shop", "removed data source shop"]
    with pytest.raises(UnknownSource):
        admin.remove("shop")


def test_main_can_be_taken_away_from_a_role(admin: SourceAdmin, auth: AuthServices) -> None:
    assert admin.roles_of(MAIN) == ["admin", "analyst", "manager"]
    admin.set_allowed("manager", MAIN, False)
    assert admin.roles_of(MAIN) == ["admin", "analyst"]
    assert details(auth) == ["stopped manager from using data source main"]


def test_reindexing_builds_the_sources_services_and_reports_progress(
    tmp_path: Path, admin: SourceAdmin, auth: AuthServices
) -> None:
    admin.store.add(shop(tmp_path).to_source(), None)
    steps: list[tuple[int, int]] = []
    stats = admin.reindex("shop", progress=lambda done, total: steps.append((done, total)))
    assert stats.added == 2
    assert steps[-1] == (2, 2)
    assert admin.registry.services("shop").database == "src_shop"
    assert details(auth)[-1].startswith("re-indexed data source shop: 2 added, 0 updated")
