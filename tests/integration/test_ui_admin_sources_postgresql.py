"""The page "Data sources" on a real PostgreSQL: an account that can write (the test
server's superuser) is saved with a warning that says what it may do."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url

from auth.services import AuthServices
from backend.config import get_settings
from backend.sources.store import SourceStore
from tests.support.apptest import open_page, page_services, texts
from tests.support.sources import admin_details, button, fill_add_form, needs_check
from wiring.sources import source_store

pytestmark = pytest.mark.postgresql
PAGE = "admin_sources"


@pytest.fixture
def auth(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[AuthServices]:
    yield from page_services(monkeypatch, tmp_path, {"boss": ("admin", "Chief-unit-Passw0rd")})


@pytest.fixture
def store(auth: AuthServices) -> SourceStore:
    return source_store(get_settings(), auth.engine)


@needs_check
def test_an_account_that_can_write_is_saved_with_a_warning_and_the_advice(
    auth: AuthServices, store: SourceStore, postgres_url: str
) -> None:
    server = make_url(postgres_url)  # the test server's superuser: it may do anything
    at = fill_add_form(
        open_page(PAGE),
        "postgresql",
        name="warehouse",
        host=server.host or "127.0.0.1",
        database=server.database or "",
        username=server.username or "",
        password=server.password or "",
    )
    at.number_input(key="add_0_port_postgresql").set_value(server.port or 5432)
    at = button(at, "Test and add").click().run()
    assert not at.exception
    assert texts(at.success) == ["Added data source warehouse."]
    assert texts(at.warning)[0].startswith("The account can also change data: ")
    assert [s.name for s in store.list()] == ["warehouse"]
    assert "can also write: " in admin_details(auth)[-1]
