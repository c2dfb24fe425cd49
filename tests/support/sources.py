"""Data sources for tests: small SQLite business databases, the raw stored row of a
source, whether `check_source` is written yet, and helpers for the page in AppTest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Button

from appdb.tables import data_sources
from auth import audit
from auth.audit import AuditFilter
from auth.services import AuthServices
from backend.sources import DataSource
from backend.sources.check import check_source


def sqlite_database(path: Path, tables: tuple[str, ...] = ("customers", "orders")) -> Path:
    """A SQLite file at `path` with `tables`, each with an id, a name and two rows."""
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        for table in tables:
            conn.exec_driver_sql(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, name TEXT)")
            conn.exec_driver_sql(f"INSERT INTO {table} (name) VALUES ('one'), ('two')")
    engine.dispose()
    return path


def stored_row(engine: sa.Engine, name: str) -> dict[str, Any]:
    """The `data_sources` row of `name`, as the app database holds it."""
    query = sa.select(data_sources).where(data_sources.c.name == name)
    with engine.connect() as conn:
        return dict(conn.execute(query).mappings().one())


def _check_written() -> bool:
    try:
        check_source(DataSource(name="probe", kind="sqlite", database=":memory:"), None)
    except NotImplementedError:
        return False
    return True


# Adding, editing and testing a source run `check_source`; until its body lands (a task
# of its own), the tests that need it wait, saying why.
needs_check = pytest.mark.skipif(
    not _check_written(), reason="backend.sources.check.check_source is not written yet"
)


def button(at: AppTest, label: str) -> Button:
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button {label!r} among {[b.label for b in at.button]}"
    return matches[0]


def admin_details(auth: AuthServices) -> list[str]:
    """The details of the admin actions recorded so far, oldest first (in English)."""
    page = auth.audit.query(AuditFilter(event=audit.ADMIN_ACTION), limit=100)
    return [entry.detail or "" for entry in reversed(page.entries)]


def fill_add_form(at: AppTest, kind: str, **fields: str) -> AppTest:
    """On the page "Data sources": pick `kind` in the add form, then type `fields` (name,
    host, database, username, password, ...)."""
    at.selectbox(key="add_0_kind").select(kind).run()
    for field, value in fields.items():
        at.text_input(key=f"add_0_{field}").input(value)
    return at
