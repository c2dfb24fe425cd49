"""Schema drift checks, and how near each question was to what is indexed.

Revision ID: 0005
Revises: 0004

`schema_checks` holds each state of the business schema against its index that the drift
checks saw (`backend.monitoring.schema_checks`); `answer_runs.similarity` the cosine
similarity of the question to the nearest indexed table and approved example (NULL: not
measured), from which the monitoring page draws the share of questions far from both.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

# Frozen copies of the types as they are at this revision (as in `baseline`).
Timestamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
LongText = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("answer_runs", sa.Column("similarity", sa.Float, nullable=True))
    op.create_table(
        "schema_checks",
        sa.Column("id", BigId),
        sa.Column("database", sa.String(128), nullable=False),
        sa.Column("at", Timestamp, nullable=False),
        sa.Column("checked_at", Timestamp, nullable=False),
        sa.Column("live_fingerprint", sa.String(16), nullable=False),
        sa.Column("indexed_fingerprint", sa.String(16), nullable=False),
        sa.Column("change_count", sa.Integer, nullable=False),
        sa.Column("changes", LongText, nullable=False),
        sa.Column("reindexed_by", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_schema_checks"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_schema_checks_database_at", "schema_checks", ["database", "at"])


def downgrade() -> None:
    op.drop_index("ix_schema_checks_database_at", table_name="schema_checks")
    op.drop_table("schema_checks")
    with op.batch_alter_table("answer_runs") as batch:
        batch.drop_column("similarity")
