"""Alembic migrations of the app database, on SQLite and on the real MariaDB.

- A fresh database upgraded to head has exactly what `appdb.schema.metadata` declares.
- A database made by the code before Alembic (its DDL kept as fixture SQL, dumped from
  `auth.db.ensure_schema` with every store imported) is adopted: stamped at the baseline,
  upgraded to head, its rows kept.
- Upgrading a database at head again changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from appdb.engine import create_app_engine
from appdb.migrate import BASELINE, alembic_config, current_revision, head_revision, upgrade
from appdb.schema import metadata
from auth.policies import PolicyStore

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
OLD_ROWS = (
    "INSERT INTO users (username, name, email, password_hash, role, disabled, created_at)"
    " VALUES ('old', 'Old Timer', '', 'x', 'admin', 0, '2026-01-05 10:00:00')",
    "INSERT INTO row_filters (role, table_name, predicate, description, created_at)"
    " VALUES ('manager', 'orders', 'region_id = 3', 'Region 3 only', '2026-01-05 10:00:00')",
    "INSERT INTO conversations (username, title, created_at, updated_at)"
    " VALUES ('old', 'Sales', '2026-01-05 10:00:00', '2026-01-05 10:00:00')",
    "INSERT INTO app_meta (`key`, value) VALUES ('default_policies_seeded', '[\"analyst\"]')",
)


@pytest.fixture(params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """An empty app database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    else:
        url = request.getfixturevalue("mysql_url")
    engine = create_app_engine(url)
    yield engine
    engine.dispose()


def made_before_alembic(engine: sa.Engine) -> None:
    """Create the tables as the pre-Alembic code did, with a few rows in them."""
    dialect = "sqlite" if engine.dialect.name == "sqlite" else "mysql"
    script = (FIXTURES / f"appdb_pre_alembic_{dialect}.sql").read_text(encoding="utf-8")
    statements = [s for s in script.split(";\n") if s.strip() and "CREATE" in s]
    quote = "`" if dialect == "mysql" else '"'
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
        for row in OLD_ROWS:
            conn.exec_driver_sql(row.replace("`", quote))


def differences(engine: sa.Engine) -> list[Any]:
    """What Alembic's autogenerate would change to make the database match the metadata."""
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), metadata)


def snapshot(engine: sa.Engine) -> dict[str, Any]:
    """Every table's columns and indexes, and every row, of the database."""
    inspector = sa.inspect(engine)
    shape: dict[str, Any] = {}
    with engine.connect() as conn:
        for table in sorted(inspector.get_table_names()):
            columns = [
                (c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)
            ]
            indexes = sorted(i["name"] or "" for i in inspector.get_indexes(table))
            rows = sorted(map(repr, conn.execute(sa.text(f"SELECT * FROM {table}")).all()))
            shape[table] = (columns, indexes, rows)
    return shape


def test_a_fresh_database_at_head_has_every_table_the_metadata_declares(
    engine: sa.Engine,
) -> None:
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    tables = set(sa.inspect(engine).get_table_names())
    assert tables == {*metadata.tables, "alembic_version"}
    assert differences(engine) == []


def test_a_database_made_before_alembic_is_stamped_and_keeps_its_rows(
    engine: sa.Engine,
) -> None:
    made_before_alembic(engine)
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert differences(engine) == []
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT name FROM users")).scalars().all() == ["Old Timer"]
        assert conn.execute(sa.text("SELECT title FROM conversations")).scalar() == "Sales"
        # Seeded before: an admin may have removed the default rule since, so none is added.
        assert conn.execute(sa.text("SELECT COUNT(*) FROM role_policies")).scalar() == 0
    [kept] = PolicyStore(engine).row_filters()
    assert (kept.predicate, kept.description) == ("region_id = 3", "Region 3 only")


@pytest.mark.parametrize("made", ["fresh", "before alembic"])
def test_upgrading_a_database_at_head_again_changes_nothing(engine: sa.Engine, made: str) -> None:
    if made == "before alembic":
        made_before_alembic(engine)
    upgrade(engine)
    before = snapshot(engine)
    upgrade(engine)
    assert snapshot(engine) == before


def test_every_revision_goes_down_and_up_again(engine: sa.Engine) -> None:
    made_before_alembic(engine)
    upgrade(engine)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), BASELINE)
    assert current_revision(engine) == BASELINE
    columns = {c["name"] for c in sa.inspect(engine).get_columns("row_filters")}
    assert "description" not in columns
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert differences(engine) == []
    [kept] = PolicyStore(engine).row_filters()
    assert (kept.predicate, kept.description) == ("region_id = 3", None)


def test_rules_conversations_and_tiles_made_before_data_sources_belong_to_main(
    engine: sa.Engine,
) -> None:
    upgrade(engine)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0005")
        conn.execute(
            sa.text(
                "INSERT INTO role_policies (role, allowed_tables, denied_columns, updated_at) "
                """VALUES ('manager', '["orders"]', '[["orders", "margin"]]', '2026-01-01')"""
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO conversations (username, title, created_at, updated_at) "
                "VALUES ('ana', 'Sales', '2026-01-01', '2026-01-01')"
            )
        )
    upgrade(engine)
    assert differences(engine) == []
    policies = PolicyStore(engine)
    kept = policies.role_policy("manager")
    assert (kept.source, kept.allowed_tables) == ("main", frozenset({"orders"}))
    assert kept.denied_columns == frozenset({("orders", "margin")})
    assert policies.may_use("manager", "main") and not policies.may_use("manager", "sales")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT source FROM conversations")).scalar() == "main"
    with engine.begin() as conn:  # and back: main's rules are the rules again
        command.downgrade(alembic_config(conn), "0005")
    with engine.connect() as conn:
        query = "SELECT allowed_tables FROM role_policies WHERE role = 'manager'"
        allowed = conn.execute(sa.text(query)).scalar_one()
    assert "orders" in allowed
