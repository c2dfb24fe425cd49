"""The data source form's values become a checked `DataSource`, and a stored source fills
the edit form back with what it holds."""

from __future__ import annotations

import pytest

from backend.sources import DataSource, InvalidSource
from backend.sources.form import SourceForm


def test_a_sqlite_form_drops_what_only_a_server_has() -> None:
    form = SourceForm(
        name=" Shop ",
        kind="sqlite",
        host="db.example",
        port=3306,
        database=" /data/shop.sqlite ",
        username="reader",
        schema="sales",
        description="  the   shop  ",
    )
    assert form.to_source() == DataSource(
        name="shop", kind="sqlite", database="/data/shop.sqlite", description="the shop"
    )


def test_a_server_form_gets_its_kinds_default_port() -> None:
    source = SourceForm(name="crm", kind="mysql", host="db", database="crm").to_source()
    assert (source.host, source.port) == ("db", 3306)
    assert SourceForm(kind="postgresql").default_port() == 5432
    assert SourceForm(kind="mysql", port=3307).default_port() == 3307
    assert SourceForm(kind="sqlite", port=3307).default_port() is None


def test_the_schema_is_kept_for_postgresql_only() -> None:
    pg = SourceForm(name="wh", kind="postgresql", host="h", database="d", schema=" sales ")
    assert pg.to_source().option("schema") == "sales"
    my = SourceForm(name="wh", kind="mysql", host="h", database="d", schema="sales")
    assert my.to_source().options == ()
    blank = SourceForm(name="wh", kind="postgresql", host="h", database="d", schema="  ")
    assert blank.to_source().options == ()


@pytest.mark.parametrize(
    ("form", "key"),
    [
        (SourceForm(name="Bad name", kind="sqlite", database="x.db"), "sources.bad_name"),
        (SourceForm(name="main", kind="sqlite", database="x.db"), "sources.reserved_name"),
        (SourceForm(name="crm", kind="mysql", database="crm"), "sources.no_host"),
        (SourceForm(name="crm", kind="sqlite"), "sources.no_database"),
        (
            SourceForm(name="wh", kind="postgresql", host="h", database="d", schema="a;b"),
            "sources.bad_schema",
        ),
    ],
)
def test_a_wrong_field_is_named(form: SourceForm, key: str) -> None:
    with pytest.raises(InvalidSource) as raised:
        form.to_source()
    assert raised.value.message is not None
    assert raised.value.message.key == key


def test_a_stored_source_fills_the_edit_form_with_the_same_settings() -> None:
    stored = SourceForm(
        name="wh",
        kind="postgresql",
        host="pg.local",
        port=6432,
        database="dw",
        username="reader",
        schema="sales",
        description="Warehouse",
    ).to_source()
    form = SourceForm.of(stored)
    assert form.schema == "sales"
    assert form.to_source() == stored
