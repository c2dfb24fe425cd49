"""The app database at the baseline revision (0001): a frozen copy, never edited.

What the hand-written `ensure_schema` made before Alembic, less `row_filters.description`
(revision 0002 adds it). Revision 0001 creates these tables, and `appdb.legacy` brings a
pre-Alembic database up to them before stamping it at 0001. Later changes go into new
revisions, never here: this module must keep describing revision 0001.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

baseline = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Timestamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
LongText = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")

sa.Table(
    "app_meta",
    baseline,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

sa.Table(
    "users",
    baseline,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(254), nullable=False, default=""),
    sa.Column("password_hash", sa.String(128), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("last_login_at", Timestamp, nullable=True),
    sa.Column("language", sa.String(16), nullable=True),
    sa.Column("attributes", sa.JSON(none_as_null=True), nullable=True),
    sqlite_autoincrement=True,
)

sa.Table(
    "sessions",
    baseline,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_id", sa.Integer, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("last_seen_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    sa.Column("revoked_at", Timestamp, nullable=True),
    sa.Index(None, "user_id"),
    sa.Index(None, "expires_at"),
)

sa.Table(
    "login_attempts",
    baseline,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("attempted_at", Timestamp, nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("client", sa.String(64), nullable=True),
    sa.Index(None, "username", "attempted_at"),
    sa.Index(None, "client", "attempted_at"),
    sa.Index(None, "attempted_at"),
)

sa.Table(
    "lockouts",
    baseline,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("locked_at", Timestamp, nullable=False),
    sa.Column("locked_until", Timestamp, nullable=False),
    sa.Column("client", sa.String(64), nullable=True),
    sa.Index(None, "username", "locked_until"),
)

sa.Table(
    "client_lockouts",
    baseline,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("client", sa.String(64), nullable=False),
    sa.Column("locked_at", Timestamp, nullable=False),
    sa.Column("locked_until", Timestamp, nullable=False),
    sa.Index(None, "client", "locked_until"),
)

sa.Table(
    "deleted_users",
    baseline,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("user_id", sa.Integer, nullable=False),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("deleted_at", Timestamp, nullable=False),
    sa.Column("deleted_by", sa.String(64), nullable=True),
    sqlite_autoincrement=True,
)

sa.Table(
    "role_policies",
    baseline,
    sa.Column("role", sa.String(16), primary_key=True),
    sa.Column("allowed_tables", sa.JSON(none_as_null=True), nullable=True),
    sa.Column("denied_columns", sa.JSON(none_as_null=True), nullable=True),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Column("updated_by", sa.String(64), nullable=True),
)

sa.Table(
    "row_filters",
    baseline,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("role", sa.String(16), nullable=True),
    sa.Column("username", sa.String(64), nullable=True),
    sa.Column("table_name", sa.String(128), nullable=False),
    sa.Column("predicate", sa.Text, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=True),
    sa.CheckConstraint(
        "(role IS NULL AND username IS NOT NULL) OR (role IS NOT NULL AND username IS NULL)",
        name="role_or_user",
    ),
    sa.Index(None, "role"),
    sa.Index(None, "username"),
)

sa.Table(
    "audit_log",
    baseline,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("at", Timestamp, nullable=False),
    sa.Column("username", sa.String(64), nullable=True),
    sa.Column("event", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("question", sa.Text, nullable=True),
    sa.Column("sql", sa.Text, nullable=True),
    sa.Column("row_count", sa.Integer, nullable=True),
    sa.Column("duration_s", sa.Float, nullable=True),
    sa.Column("detail", sa.Text, nullable=True),
    sa.Column("detail_message", sa.Text, nullable=True),
    sa.Column("deleted_user_id", sa.BigInteger, nullable=True),
    sa.Index(None, "at"),
    sa.Index(None, "username", "at"),
    sa.Index(None, "event", "at"),
)

sa.Table(
    "conversations",
    baseline,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("title", sa.String(120), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Index(None, "username", "updated_at"),
)

sa.Table(
    "conversation_turns",
    baseline,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("conversation_id", sa.BigInteger, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("written_sql", sa.Text, nullable=True),
    sa.Column("sql", sa.Text, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("payload", LongText, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Index(None, "conversation_id", "id"),
)

sa.Table(
    "dashboards",
    baseline,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.UniqueConstraint("owner", "name"),
)

sa.Table(
    "dashboard_tiles",
    baseline,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("dashboard_id", sa.BigInteger, nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("sql", sa.Text, nullable=False),
    sa.Column("chart", sa.Text, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Index(None, "dashboard_id", "position"),
)

sa.Table(
    "example_proposals",
    baseline,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("database", sa.String(128), nullable=False),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("proposed_sql", sa.Text, nullable=False),
    sa.Column("sql", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("proposed_by", sa.String(64), nullable=False),
    sa.Column("proposed_at", Timestamp, nullable=False),
    sa.Column("reviewed_by", sa.String(64), nullable=True),
    sa.Column("reviewed_at", Timestamp, nullable=True),
    sa.Index(None, "database", "status"),
)

sa.Table(
    "answer_feedback",
    baseline,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("at", Timestamp, nullable=False),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("rating", sa.String(8), nullable=False),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("sql", sa.Text, nullable=True),
    sa.Column("comment", sa.Text, nullable=True),
    sa.Index(None, "at"),
)

sa.Table(
    "knowledge_entries",
    baseline,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("database", sa.String(128), nullable=False),
    sa.Column("table_name", sa.String(128), nullable=False),
    sa.Column("column_name", sa.String(128), nullable=False, default=""),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("synonyms_en", sa.Text, nullable=False),
    sa.Column("synonyms_es", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=True),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Column("updated_by", sa.String(64), nullable=True),
    sa.UniqueConstraint("database", "table_name", "column_name"),
)

sa.Table(
    "knowledge_terms",
    baseline,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("database", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Column("updated_by", sa.String(64), nullable=True),
    sa.UniqueConstraint("database", "kind", "name"),
)
