"""Data sources: business databases added in the app, and rules, chats and tiles per source.

Revision ID: 0006
Revises: 0005

`data_sources` holds the databases admins add (`backend.sources`; the password encrypted
with SOURCES_KEY). Everything that belonged to the one business database now names its
source, `main` being the one DATABASE_URL defines: `role_policies` is keyed by
(source, role) and says whether the role may use the source at all; `row_filters`,
`conversations` and `dashboard_tiles` gain a `source`. Existing rows are `main`'s.
`audit_log.data_source` says which database a SQL run read (NULL for older rows).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

# Frozen copies of the types as they are at this revision (as in `baseline`).
Timestamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

MAIN = "main"
_POLICY_COLUMNS = ("role", "allowed_tables", "denied_columns", "updated_at", "updated_by")


def upgrade() -> None:
    op.create_table(
        "data_sources",
        sa.Column("name", sa.String(40)),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("port", sa.Integer, nullable=True),
        sa.Column("database_name", sa.String(255), nullable=False),
        sa.Column("username", sa.String(128), nullable=False),
        sa.Column("password_encrypted", sa.Text, nullable=True),
        sa.Column("options", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=True),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_data_sources"),
    )
    # A new primary key: build the new table, copy, swap (the same on SQLite and MySQL).
    new = op.create_table(
        "role_policies_0006",
        sa.Column("source", sa.String(40)),
        sa.Column("role", sa.String(16)),
        sa.Column("source_allowed", sa.Boolean, nullable=True),
        sa.Column("allowed_tables", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("denied_columns", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("source", "role", name="pk_role_policies"),
    )
    _copy_policies("role_policies", new, source=MAIN)
    op.drop_table("role_policies")
    op.rename_table("role_policies_0006", "role_policies")
    for table in ("row_filters", "conversations", "dashboard_tiles"):
        op.add_column(
            table, sa.Column("source", sa.String(40), nullable=False, server_default=MAIN)
        )
    op.add_column("audit_log", sa.Column("data_source", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("data_source")
    for table in ("dashboard_tiles", "conversations", "row_filters"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("source")
    old = op.create_table(
        "role_policies_0005",
        sa.Column("role", sa.String(16)),
        sa.Column("allowed_tables", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("denied_columns", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("role", name="pk_role_policies"),
    )
    _copy_policies("role_policies", old, only_source=MAIN)
    op.drop_table("role_policies")
    op.rename_table("role_policies_0005", "role_policies")
    op.drop_table("data_sources")


def _copy_policies(
    source_table: str,
    target: sa.Table | None,
    *,
    source: str | None = None,
    only_source: str | None = None,
) -> None:
    assert target is not None
    bind = op.get_bind()
    # Declared, not reflected: MariaDB reflects JSON as LONGTEXT, whose strings would be
    # encoded again on insert.
    columns: list[sa.Column[Any]] = [
        sa.Column("role", sa.String(16)),
        sa.Column("allowed_tables", sa.JSON(none_as_null=True)),
        sa.Column("denied_columns", sa.JSON(none_as_null=True)),
        sa.Column("updated_at", Timestamp),
        sa.Column("updated_by", sa.String(64)),
    ]
    if only_source is not None:
        columns.append(sa.Column("source", sa.String(40)))
    old = sa.Table(source_table, sa.MetaData(), *columns)
    query = sa.select(*(old.c[name] for name in _POLICY_COLUMNS))
    if only_source is not None:
        query = query.where(old.c.source == only_source)
    rows = [dict(row) for row in bind.execute(query).mappings()]
    if source is not None:
        rows = [{**row, "source": source} for row in rows]
    if rows:
        bind.execute(sa.insert(target), rows)
