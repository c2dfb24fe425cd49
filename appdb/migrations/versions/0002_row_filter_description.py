"""row_filters.description: the admin's plain words for a row filter.

Revision ID: 0002
Revises: 0001

The release before Alembic already added this column at start-up, so a database adopted
from it may have it: add it only where it is missing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("row_filters")}
    if "description" not in columns:
        op.add_column("row_filters", sa.Column("description", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("row_filters") as batch:
        batch.drop_column("description")
