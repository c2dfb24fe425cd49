"""Adopting an app database made before Alembic: bring it to the baseline, then stamp it.

Before Alembic, `auth.db.ensure_schema` created missing tables and added the nullable
columns and the indexes a newer release declared (`users.language`, `login_attempts.client`,
...). A database it made has app tables but no `alembic_version`; it may be from any
earlier release. `adopt` does what `ensure_schema` did, once, against the frozen baseline
(`appdb.migrations.baseline`), so that stamping it at revision 0001 tells the truth; the
later revisions then run on it as on any other database.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa

from appdb.migrations.baseline import baseline

log = logging.getLogger(__name__)

VERSION_TABLE = "alembic_version"


def is_pre_alembic(conn: sa.Connection) -> bool:
    """True when the database has app tables but no Alembic version table."""
    tables = set(sa.inspect(conn).get_table_names())
    return VERSION_TABLE not in tables and bool(tables & set(baseline.tables))


def adopt(conn: sa.Connection, metadata: sa.MetaData = baseline) -> list[str]:
    """Create the tables, columns and indexes of `metadata` the database lacks; returns
    what was added ("table", "table.column", index names)."""
    existing = set(sa.inspect(conn).get_table_names())
    missing = [table for table in metadata.sorted_tables if table.name not in existing]
    metadata.create_all(conn, tables=missing)
    added = [table.name for table in missing]
    added += add_missing_columns(conn, metadata)
    added += add_missing_indexes(conn, metadata)
    for change in added:
        log.info("app database brought to the Alembic baseline: added %s", change)
    return added


def add_missing_columns(conn: sa.Connection, metadata: sa.MetaData = baseline) -> list[str]:
    """Add the columns of `metadata` that existing tables lack; returns "table.column"s.

    Only nullable columns can be added to a table that has rows, so no release added any
    other kind; a missing NOT NULL column means the database is not one of ours, and stops
    the start.
    """
    inspector = sa.inspect(conn)
    added: list[str] = []
    for table in _existing(inspector, metadata):
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present:
                _add_column(conn, table, column)
                added.append(f"{table.name}.{column.name}")
    return added


def add_missing_indexes(conn: sa.Connection, metadata: sa.MetaData = baseline) -> list[str]:
    """Create the named indexes of `metadata` that existing tables lack; returns their names.

    `create_all` makes indexes only with a new table, so an index a later release added to
    an older table (e.g. on `login_attempts.client`) is made here.
    """
    inspector = sa.inspect(conn)
    added: list[str] = []
    for table in _existing(inspector, metadata):
        present = {index["name"] for index in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if str(index.name) not in present:
                index.create(conn)
                added.append(str(index.name))
    return added


def _existing(inspector: sa.Inspector, metadata: sa.MetaData) -> list[sa.Table]:
    existing = set(inspector.get_table_names())
    return [table for table in metadata.sorted_tables if table.name in existing]


def _add_column(conn: sa.Connection, table: sa.Table, column: sa.Column[Any]) -> None:
    if not column.nullable:
        raise RuntimeError(f"can't add the NOT NULL column {table.name}.{column.name}")
    spec = sa.schema.CreateColumn(column).compile(dialect=conn.dialect)
    name = conn.dialect.identifier_preparer.format_table(table)
    conn.exec_driver_sql(f"ALTER TABLE {name} ADD COLUMN {spec}")
