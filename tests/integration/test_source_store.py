"""Stored data sources on SQLite and MariaDB app databases: passwords encrypted at rest,
kept across edits unless replaced or cleared, and removing a source removes its rules."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from appdb.tables import data_sources, role_policies, row_filters
from auth.policies import PolicyStore
from backend.sources import DataSource, InvalidSource, UnknownSource
from backend.sources.secrets import SecretBox
from backend.sources.store import SourceStore
from tests.support.auth_fixtures import ManualClock

PASSWORD = "Stored-pa55word"


@pytest.fixture
def store(app_engine: sa.Engine, clock: ManualClock) -> SourceStore:
    return SourceStore(app_engine, SecretBox(Fernet.generate_key()), clock=clock)


def _sales(**changes: object) -> DataSource:
    values: dict[str, object] = {
        "name": "sales",
        "kind": "postgresql",
        "database": "shop",
        "host": "db",
        "username": "reader",
        "description": "Orders",
        **changes,
    }
    return DataSource(**values)  # type: ignore[arg-type]


def _raw_row(store: SourceStore, name: str) -> dict[str, object]:
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(data_sources).where(data_sources.c.name == name)).mappings()
        return dict(row.one())


def test_added_source_keeps_its_password_encrypted(store: SourceStore) -> None:
    added = store.add(_sales(name="Sales", options=(("schema", "public"),)), PASSWORD, by="ana")
    assert (added.name, added.port, added.has_password) == ("sales", 5432, True)
    assert added.options == (("schema", "public"),)
    raw = _raw_row(store, "sales")
    assert PASSWORD not in str(raw)
    assert raw["created_by"] == "ana"
    assert store.password("sales") == PASSWORD
    assert [s.name for s in store.list()] == ["sales"]
    with pytest.raises(InvalidSource, match="already exists"):
        store.add(_sales(), "other")


def test_update_keeps_the_password_unless_given_or_cleared(
    store: SourceStore, clock: ManualClock
) -> None:
    store.add(_sales(), PASSWORD)
    clock.advance(minutes=5)
    edited = store.update(_sales(description="Orders and returns"))
    assert edited.description == "Orders and returns" and edited.has_password
    assert edited.updated_at == clock.now
    assert store.password("sales") == PASSWORD
    store.update(_sales(), password="New-pa55word")
    assert store.password("sales") == "New-pa55word"
    cleared = store.update(_sales(), clear_password=True)
    assert not cleared.has_password and store.password("sales") is None
    with pytest.raises(UnknownSource):
        store.update(_sales(name="nope"))


def test_remove_deletes_the_source_and_its_rules(store: SourceStore, app_engine: sa.Engine) -> None:
    policies = PolicyStore(app_engine)
    store.add(_sales(), PASSWORD)
    store.add(_sales(name="hr"), PASSWORD)
    for name in ("sales", "hr"):
        policies.set_source_allowed("analyst", name, True)
        policies.add_row_filter("orders", "region_id = 1", role="analyst", source=name)
    store.remove("sales")
    assert [s.name for s in store.list()] == ["hr"]
    with pytest.raises(UnknownSource):
        store.get("sales")
    with app_engine.connect() as conn:
        for table in (role_policies, row_filters):
            sources = set(conn.execute(sa.select(table.c.source)).scalars())
            assert "sales" not in sources and "hr" in sources
    assert not policies.may_use("analyst", "sales") and policies.may_use("analyst", "hr")
    with pytest.raises(UnknownSource):
        store.remove("sales")
    with pytest.raises(InvalidSource):
        store.remove("main")
