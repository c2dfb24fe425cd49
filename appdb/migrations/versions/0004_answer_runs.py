"""A record of every question asked, and the run a thumbs up or down was given on.

Revision ID: 0004
Revises: 0003

`answer_runs` holds one row per question (`backend.monitoring`): what produced the answer
(model and digest, prompt hash, schema and retrieval modes, knowledge version) and how it
ended, with its tries, timings and tokens. `answer_feedback.run_id` links a vote to it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

# Frozen copies of the types as they are at this revision (as in `baseline`).
Timestamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answer_runs",
        sa.Column("id", BigId),
        sa.Column("at", Timestamp, nullable=False),
        sa.Column("username", sa.String(64), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("database", sa.String(128), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("model_digest", sa.String(80), nullable=True),
        sa.Column("prompt_hash", sa.String(16), nullable=False),
        sa.Column("schema_mode", sa.String(16), nullable=False),
        sa.Column("retrieval_mode", sa.String(16), nullable=True),
        sa.Column("knowledge_version", sa.String(16), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("candidates", sa.Integer, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("timings", sa.Text, nullable=False),
        sa.Column("prompt_tokens", sa.Integer, nullable=False),
        sa.Column("completion_tokens", sa.Integer, nullable=False),
        sa.Column("cached", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_answer_runs"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_answer_runs_at", "answer_runs", ["at"])
    op.add_column("answer_feedback", sa.Column("run_id", sa.BigInteger, nullable=True))
    op.create_index("ix_answer_feedback_run_id", "answer_feedback", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_answer_feedback_run_id", table_name="answer_feedback")
    with op.batch_alter_table("answer_feedback") as batch:
        batch.drop_column("run_id")
    op.drop_index("ix_answer_runs_at", table_name="answer_runs")
    op.drop_table("answer_runs")
