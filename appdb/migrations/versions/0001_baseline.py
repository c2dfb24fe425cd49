"""Baseline: the app database as the pre-Alembic `ensure_schema` made it (frozen).

Revision ID: 0001
Revises: none
"""

from __future__ import annotations

from alembic import op

from appdb.migrations.baseline import baseline

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    baseline.create_all(op.get_bind())


def downgrade() -> None:
    baseline.drop_all(op.get_bind())
