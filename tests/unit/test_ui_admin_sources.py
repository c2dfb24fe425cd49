"""The admin page "Data sources" in AppTest: listing, adding (tested first), who may use
a source, removing with a confirmation, re-indexing, and the Spanish texts.

The page runs as a logged-in admin on the test's own app database, the small demo as
`main`, in-memory Qdrant and an unreachable Ollama (indexing is sparse-only). Added
sources are real SQLite files; an unreachable server is a refused port.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from auth.services import AuthServices
from backend.config import get_settings
from backend.sources.form import SourceForm
from backend.sources.store import SourceStore
from tests.support.apptest import open_page, page_services, texts
from tests.support.sources import (
    admin_details,
    button,
    fill_add_form,
    needs_check,
    sqlite_database,
    stored_row,
)
from wiring.sources import source_store

PAGE = "admin_sources"


@pytest.fixture
def auth(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[AuthServices]:
    """The test's app database with one admin ("boss") and one analyst ("ana")."""
    users = {"boss": ("admin", "Chief-unit-Passw0rd"), "ana": ("analyst", "Analyst-unit-Passw0rd")}
    yield from page_services(monkeypatch, tmp_path, users)


@pytest.fixture
def store(auth: AuthServices) -> SourceStore:
    return source_store(get_settings(), auth.engine)


def add_shop(store: SourceStore, tmp_path: Path, description: str = "") -> None:
    path = sqlite_database(tmp_path / "shop.sqlite")
    form = SourceForm(name="shop", kind="sqlite", database=str(path), description=description)
    store.add(form.to_source(), None, by="boss")


def test_other_roles_cannot_open_the_page(auth: AuthServices) -> None:
    at = open_page(PAGE, username="ana", role="analyst")
    assert texts(at.error) == ["Your role can't open this page."]
    assert not at.title


def test_the_list_shows_main_first_then_the_added_sources(
    auth: AuthServices, store: SourceStore, tmp_path: Path
) -> None:
    add_shop(store, tmp_path, description="**Orders** of [the shop](http://evil.example)")
    at = open_page(PAGE)
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["Name"]) == ["main", "shop"]
    assert list(table["Kind"]) == ["SQLite", "SQLite"]
    assert list(table["Description"]) == [
        "defined by DATABASE_URL",
        "**Orders** of [the shop](http://evil.example)",  # a table cell: never markdown
    ]
    assert list(table["Who may use it"]) == ["admin, analyst, manager", "admin"]
    assert list(table["Password stored"]) == ["No", "No"]
    assert table["Where"][1] == str(tmp_path / "shop.sqlite")


@needs_check
def test_adding_a_sqlite_file_tests_it_and_lists_it(
    auth: AuthServices, store: SourceStore, tmp_path: Path
) -> None:
    path = sqlite_database(tmp_path / "shop.sqlite")
    at = fill_add_form(open_page(PAGE), "sqlite", name="shop", database=str(path))
    at.multiselect(key="add_0_roles").select("analyst")
    at = button(at, "Test and add").click().run()
    assert not at.exception
    assert texts(at.success)[0] == "Added data source shop."
    assert not at.error
    assert list(at.dataframe[0].value["Name"]) == ["main", "shop"]
    assert auth.policies.may_use("analyst", "shop")
    assert not auth.policies.may_use("manager", "shop")
    assert admin_details(auth)[-1].startswith("added data source shop (sqlite, ")


@needs_check
def test_a_server_that_cannot_be_reached_is_saved_only_when_asked_and_its_password_encrypted(
    auth: AuthServices, store: SourceStore
) -> None:
    at = fill_add_form(
        open_page(PAGE),
        "mysql",
        name="crm",
        host="127.0.0.1",
        database="crm",
        username="reader",
        password="Crm-Secret-1",
    )
    at.number_input(key="add_0_port_mysql").set_value(9)
    at = button(at, "Test and add").click().run()
    assert texts(at.error)[0].startswith("Cannot connect")
    assert texts(at.info)[0] == (
        "Not saved. Correct the settings, or tick “Save even if it cannot connect” to save "
        "them as they are."
    )
    assert store.list() == []
    at.checkbox(key="add_0_anyway").check()
    at = button(at, "Test and add").click().run()
    assert texts(at.success)[0] == "Added data source crm."
    raw = stored_row(store.engine, "crm")["password_encrypted"]
    assert raw and "Crm-Secret-1" not in raw
    assert store.password("crm") == "Crm-Secret-1"
    table = at.dataframe[0].value
    assert list(table["Password stored"]) == ["No", "Yes"]
    assert "Crm-Secret-1" not in str(at)


def test_the_app_database_file_is_refused(auth: AuthServices, store: SourceStore) -> None:
    app_file = get_settings().app_db_url.removeprefix("sqlite:///")
    at = fill_add_form(open_page(PAGE), "sqlite", name="app", database=app_file)
    at.checkbox(key="add_0_anyway").check()
    at = button(at, "Test and add").click().run()
    assert texts(at.error) == [
        "That SQLite file is Keskinube's own app database: it cannot be a data source."
    ]
    assert store.list() == []


def test_a_role_checkbox_sets_who_may_use_a_source(auth: AuthServices) -> None:
    at = open_page(PAGE)
    assert at.checkbox(key="use_main_analyst_1").value is True
    at = at.checkbox(key="use_main_analyst_1").uncheck().run()
    assert texts(at.success) == ["The analyst role may no longer use main."]
    assert not auth.policies.may_use("analyst", "main")
    assert at.checkbox(key="use_main_analyst_0").value is False
    assert list(at.dataframe[0].value["Who may use it"]) == ["admin, manager"]
    assert admin_details(auth) == ["stopped analyst from using data source main"]


def test_a_change_made_elsewhere_is_shown_and_not_taken_for_a_click(auth: AuthServices) -> None:
    at = open_page(PAGE)
    auth.policies.set_source_allowed("manager", "main", False)  # the CLI, another admin
    at = at.run()
    assert at.checkbox(key="use_main_manager_0").value is False
    assert not auth.policies.may_use("manager", "main")
    assert admin_details(auth) == []


def test_removing_needs_the_confirmation(
    auth: AuthServices, store: SourceStore, tmp_path: Path
) -> None:
    add_shop(store, tmp_path)
    at = open_page(PAGE)
    at = at.selectbox(key="src_pick").select("shop").run()
    assert button(at, "Remove the data source").disabled
    at.checkbox(key="sure_shop").check().run()
    at = button(at, "Remove the data source").click().run()
    assert texts(at.success) == ["Removed data source shop."]
    assert store.list() == []
    assert list(at.dataframe[0].value["Name"]) == ["main"]
    assert admin_details(auth) == ["removed data source shop"]


def test_main_can_be_neither_edited_nor_removed(auth: AuthServices) -> None:
    at = open_page(PAGE)
    assert at.selectbox(key="src_pick").value == "main"
    assert "DATABASE_URL" in texts(at.info)[0]
    labels = [b.label for b in at.button]
    assert "Remove the data source" not in labels
    assert "Test and save" not in labels


def test_reindexing_a_source_shows_what_it_indexed(
    auth: AuthServices, store: SourceStore, tmp_path: Path
) -> None:
    add_shop(store, tmp_path)
    at = open_page(PAGE).selectbox(key="src_pick").select("shop").run()
    at = button(at, "Re-index its schema").click().run()
    assert not at.exception
    # The app's registry indexes a source when it first builds it: this pass may find
    # both tables indexed already.
    done = texts(at.success)[0].replace("\\", "")  # the figures are escaped for markdown
    assert re.fullmatch(r"Re-indexed shop: (2 added|0 added, 0 updated, 2 unchanged), .*", done)
    assert admin_details(auth)[-1].startswith("re-indexed data source shop: ")


def test_a_broken_source_fails_to_reindex_with_a_message_not_a_traceback(
    auth: AuthServices, store: SourceStore, tmp_path: Path
) -> None:
    unreachable = SourceForm(name="crm", kind="mysql", host="127.0.0.1", port=9, database="crm")
    store.add(unreachable.to_source(), "Crm-Secret-1")
    at = open_page(PAGE).selectbox(key="src_pick").select("crm").run()
    at = button(at, "Re-index its schema").click().run()
    assert not at.exception
    assert texts(at.error)[0].startswith("Re-indexing crm failed")


@needs_check
def test_testing_and_editing_a_stored_source(
    auth: AuthServices, store: SourceStore, tmp_path: Path
) -> None:
    add_shop(store, tmp_path)
    at = open_page(PAGE).selectbox(key="src_pick").select("shop").run()
    at = button(at, "Test the connection").click().run()
    assert not at.error
    assert len(at.success) + len(at.warning) == 1  # read-only, or what else it may do
    at.text_area(key="edit_shop_0_description").input("The web shop")
    at = button(at, "Test and save").click().run()
    assert texts(at.success)[0] == "Saved data source shop."
    assert store.get("shop").description == "The web shop"
    assert admin_details(auth)[-2].startswith("tested data source shop")
    assert admin_details(auth)[-1].startswith("edited data source shop")


def test_the_page_speaks_spanish(auth: AuthServices) -> None:
    at = open_page(PAGE, language="es")
    assert [t.value for t in at.title] == ["Orígenes de datos"]
    assert list(at.dataframe[0].value.columns)[:3] == ["Nombre", "Tipo", "Dónde"]
    at = fill_add_form(at, "sqlite", name="Mal nombre", database="x.sqlite")
    at = button(at, "Probar y añadir").click().run()
    assert texts(at.error)[0].startswith("Nombre de origen no válido")
