"""The scale benchmark's scratch database: distractors created empty, as introspection sees them."""

from __future__ import annotations

import pytest

from backend.adapters.sql_runner import create_database_engine
from backend.domain import ColumnDoc, ForeignKey, TableDoc
from backend.schema import introspect
from bench.scale_db import create_empty_tables

pytestmark = pytest.mark.mariadb


def _doc(name: str, *columns: ColumnDoc, fks: tuple[ForeignKey, ...] = ()) -> TableDoc:
    return TableDoc(name, columns, None, fks)


def test_distractors_are_created_empty_with_the_foreign_keys_that_hold(mysql_url: str) -> None:
    docs = [
        _doc(
            "zoo__keeper",
            ColumnDoc("Keeper_ID", "NUMERIC", primary_key=True),
            ColumnDoc("Name", "TEXT"),
            ColumnDoc("name", "TEXT"),
            ColumnDoc("Hired", "DATETIME"),
        ),
        _doc(
            "zoo__animal",
            ColumnDoc("id", "NUMERIC", primary_key=True),
            ColumnDoc("keeper_id", "NUMERIC"),
            ColumnDoc("species", "TEXT"),
            fks=(
                ForeignKey(("keeper_id",), "zoo__keeper", ("Keeper_ID",)),
                ForeignKey(("species",), "zoo__keeper", ("Name",)),  # no index: refused
                ForeignKey(("id",), "zoo__missing", ("id",)),
            ),
        ),
    ]
    engine = create_database_engine(mysql_url)
    try:
        created = create_empty_tables(engine, docs)
        tables = {t.name: t for t in introspect(engine)}
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT COUNT(*) FROM zoo__animal").scalar_one()
    finally:
        engine.dispose()
    assert (created.tables, created.foreign_keys, created.refused_foreign_keys) == (2, 1, 2)
    assert set(tables) == {"zoo__keeper", "zoo__animal"}
    assert [c.name for c in tables["zoo__keeper"].columns] == ["Keeper_ID", "Name", "Hired"]
    assert [fk.ref_table for fk in tables["zoo__animal"].foreign_keys] == ["zoo__keeper"]
    assert rows == 0
