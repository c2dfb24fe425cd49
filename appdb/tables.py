"""Every table of the app database, on `appdb.schema.metadata`.

Auth (users, sessions, lockouts, policies, row filters, audit), the app's own state
(`app_meta`), and the stores of `backend` (conversations, dashboards, feedback, knowledge).
The stores import their tables from here; nothing else defines an app table. A change to a
table here needs an Alembic revision in `appdb/migrations/versions/` (a test compares the
database at head with this metadata). Rows keep usernames rather than foreign keys, so a
user's history survives anything but its owner's own delete.
"""

from __future__ import annotations

import sqlalchemy as sa

from appdb.schema import (
    CLIENT_LENGTH,
    IDENTIFIER_LENGTH,
    ROLE_LENGTH,
    USERNAME_LENGTH,
    BigId,
    LongText,
    Timestamp,
    metadata,
)

CONVERSATION_TITLE_LENGTH = 120
DASHBOARD_NAME_LENGTH = 80
TILE_TITLE_LENGTH = 200
MODEL_NAME_LENGTH = 128

# -- auth and the app's own state ---------------------------------------------------------
app_meta = sa.Table(
    "app_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(USERNAME_LENGTH), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(254), nullable=False, default=""),
    sa.Column("password_hash", sa.String(128), nullable=False),
    sa.Column("role", sa.String(ROLE_LENGTH), nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("last_login_at", Timestamp, nullable=True),
    # 'en' or 'es' (backend.i18n.LANGUAGES); NULL: the app's default. Added before Alembic:
    # `appdb.legacy` adds it to a database older than that.
    sa.Column("language", sa.String(16), nullable=True),
    # Values for row-filter placeholders, e.g. {"region_id": "3"}.
    sa.Column("attributes", sa.JSON(none_as_null=True), nullable=True),
    # New SQLite databases never reuse the id of a deleted user (sessions point at ids).
    sqlite_autoincrement=True,
)

# Server-side login sessions (`auth.sessions`): the browser's cookie holds a random id
# whose SHA-256 is `token_hash`; the id itself is never stored.
sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_id", sa.Integer, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("last_seen_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),  # the absolute end
    sa.Column("revoked_at", Timestamp, nullable=True),  # set: revoked (logout, reset, ...)
    sa.Index(None, "user_id"),
    sa.Index(None, "expires_at"),
)

# Personal API tokens (`auth.tokens`): the caller sends `kk_<secret>`; only its SHA-256 is
# stored, beside the first characters (`prefix`) that let a person tell their tokens apart.
api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("user_id", sa.Integer, nullable=False),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=True),  # NULL: no expiry
    sa.Column("last_used_at", Timestamp, nullable=True),
    sa.Column("revoked_at", Timestamp, nullable=True),
    sa.Column("revoked_by", sa.String(USERNAME_LENGTH), nullable=True),
    sa.Index(None, "user_id"),
)

login_attempts = sa.Table(
    "login_attempts",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("username", sa.String(USERNAME_LENGTH), nullable=False),
    sa.Column("attempted_at", Timestamp, nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),  # success | failure | locked | slowed
    # The client's address (`auth.clients`); NULL in rows older than per-client throttling.
    sa.Column("client", sa.String(CLIENT_LENGTH), nullable=True),
    sa.Index(None, "username", "attempted_at"),
    sa.Index(None, "client", "attempted_at"),
    sa.Index(None, "attempted_at"),
)

lockouts = sa.Table(
    "lockouts",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("username", sa.String(USERNAME_LENGTH), nullable=False),
    sa.Column("locked_at", Timestamp, nullable=False),
    sa.Column("locked_until", Timestamp, nullable=False),
    # The one client the lock applies to; NULL (older rows only): every client.
    sa.Column("client", sa.String(CLIENT_LENGTH), nullable=True),
    sa.Index(None, "username", "locked_until"),
)

# A client that failed with too many usernames is refused for every username a while.
client_lockouts = sa.Table(
    "client_lockouts",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("client", sa.String(CLIENT_LENGTH), nullable=False),
    sa.Column("locked_at", Timestamp, nullable=False),
    sa.Column("locked_until", Timestamp, nullable=False),
    sa.Index(None, "client", "locked_until"),
)

# One row per deleted account, never deleted itself: its id is never reused, so audit rows
# of the deleted account point at it and never at a later account of the same name.
deleted_users = sa.Table(
    "deleted_users",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("user_id", sa.Integer, nullable=False),
    sa.Column("username", sa.String(USERNAME_LENGTH), nullable=False),
    sa.Column("deleted_at", Timestamp, nullable=False),
    sa.Column("deleted_by", sa.String(USERNAME_LENGTH), nullable=True),
    sqlite_autoincrement=True,
)

# The business database a rule, a conversation or a tile belongs to: a data source's name
# (`backend.sources`); `main` is the one DATABASE_URL defines.
SOURCE_LENGTH = 40
MAIN_SOURCE = "main"

role_policies = sa.Table(
    "role_policies",
    metadata,
    sa.Column("source", sa.String(SOURCE_LENGTH), primary_key=True),
    sa.Column("role", sa.String(ROLE_LENGTH), primary_key=True),
    # NULL: the source's default (`main`: every role may use it; an added source: none).
    sa.Column("source_allowed", sa.Boolean, nullable=True),
    # NULL: every table; otherwise a list of lower-case table names.
    sa.Column("allowed_tables", sa.JSON(none_as_null=True), nullable=True),
    # A list of [table, column] pairs, lower-case.
    sa.Column("denied_columns", sa.JSON(none_as_null=True), nullable=True),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Column("updated_by", sa.String(USERNAME_LENGTH), nullable=True),
)

row_filters = sa.Table(
    "row_filters",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("source", sa.String(SOURCE_LENGTH), nullable=False, server_default=MAIN_SOURCE),
    sa.Column("role", sa.String(ROLE_LENGTH), nullable=True),
    sa.Column("username", sa.String(USERNAME_LENGTH), nullable=True),
    sa.Column("table_name", sa.String(128), nullable=False),
    sa.Column("predicate", sa.Text, nullable=False),
    # The admin's plain words for the filter, shown under answers it shaped; NULL: none
    # (the page words the predicate). Added by revision 0002.
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("created_by", sa.String(USERNAME_LENGTH), nullable=True),
    sa.CheckConstraint(
        "(role IS NULL AND username IS NOT NULL) OR (role IS NOT NULL AND username IS NULL)",
        name="role_or_user",
    ),
    sa.Index(None, "role"),
    sa.Index(None, "username"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("at", Timestamp, nullable=False),
    sa.Column("username", sa.String(USERNAME_LENGTH), nullable=True),
    sa.Column("event", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("question", sa.Text, nullable=True),
    sa.Column("sql", sa.Text, nullable=True),
    sa.Column("row_count", sa.Integer, nullable=True),
    sa.Column("duration_s", sa.Float, nullable=True),
    sa.Column("detail", sa.Text, nullable=True),  # English, as recorded: searched and exported
    sa.Column("detail_message", sa.Text, nullable=True),  # JSON catalogue message, if any
    # Set when the account was deleted (`deleted_users.id`): the row is history of that
    # account, not of a later one that took the same username.
    sa.Column("deleted_user_id", sa.BigInteger, nullable=True),
    # Which door the run came through (`backend.answer_service.SOURCES`: page, cli, api,
    # mcp, tile, export, review); NULL for rows older than the column and for non-SQL events.
    sa.Column("source", sa.String(16), nullable=True),
    # The data source (`backend.sources`) a SQL run read; NULL: not a SQL run.
    sa.Column("data_source", sa.String(SOURCE_LENGTH), nullable=True),
    sa.Index(None, "at"),
    sa.Index(None, "username", "at"),
    sa.Index(None, "event", "at"),
)


# -- conversations (backend.conversations) ----------------------------------------------
conversations = sa.Table(
    "conversations",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("username", sa.String(USERNAME_LENGTH), nullable=False),
    sa.Column("source", sa.String(SOURCE_LENGTH), nullable=False, server_default=MAIN_SOURCE),
    sa.Column("title", sa.String(CONVERSATION_TITLE_LENGTH), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Index(None, "username", "updated_at"),
)

conversation_turns = sa.Table(
    "conversation_turns",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("conversation_id", sa.BigInteger, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("written_sql", sa.Text, nullable=True),  # as the model or the user wrote it
    sa.Column("sql", sa.Text, nullable=True),  # as the guard regenerated and ran it
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("payload", LongText, nullable=False),  # JSON: result, chart, summary, ...
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Index(None, "conversation_id", "id"),
)


# -- dashboards (backend.dashboards) ----------------------------------------------------
dashboards = sa.Table(
    "dashboards",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("owner", sa.String(USERNAME_LENGTH), nullable=False),
    sa.Column("name", sa.String(DASHBOARD_NAME_LENGTH), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.UniqueConstraint("owner", "name"),
)

dashboard_tiles = sa.Table(
    "dashboard_tiles",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("dashboard_id", sa.BigInteger, nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("title", sa.String(TILE_TITLE_LENGTH), nullable=False),
    sa.Column("source", sa.String(SOURCE_LENGTH), nullable=False, server_default=MAIN_SOURCE),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("sql", sa.Text, nullable=False),
    sa.Column("chart", sa.Text, nullable=False),  # ChartSpec as JSON
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Index(None, "dashboard_id", "position"),
)


# -- feedback (backend.feedback) ----------------------------------------------------------
example_proposals = sa.Table(
    "example_proposals",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("database", sa.String(128), nullable=False),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("proposed_sql", sa.Text, nullable=False),
    sa.Column("sql", sa.Text, nullable=False),  # as approved (the reviewer may edit it)
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("proposed_by", sa.String(USERNAME_LENGTH), nullable=False),
    sa.Column("proposed_at", Timestamp, nullable=False),
    sa.Column("reviewed_by", sa.String(USERNAME_LENGTH), nullable=True),
    sa.Column("reviewed_at", Timestamp, nullable=True),
    sa.Index(None, "database", "status"),
)


answer_feedback = sa.Table(
    "answer_feedback",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("at", Timestamp, nullable=False),
    sa.Column("username", sa.String(USERNAME_LENGTH), nullable=False),
    sa.Column("rating", sa.String(8), nullable=False),  # up | down
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("sql", sa.Text, nullable=True),
    sa.Column("comment", sa.Text, nullable=True),
    # The answer's run (`answer_runs.id`), when the vote was given on a recorded question;
    # NULL for votes older than revision 0004 and for answers to SQL written by hand.
    sa.Column("run_id", sa.BigInteger, nullable=True),
    sa.Index(None, "at"),
    sa.Index(None, "run_id"),
)


# -- knowledge (backend.knowledge.store) -------------------------------------------------
knowledge_entries = sa.Table(
    "knowledge_entries",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("database", sa.String(128), nullable=False),
    sa.Column("table_name", sa.String(IDENTIFIER_LENGTH), nullable=False),
    sa.Column(
        "column_name", sa.String(IDENTIFIER_LENGTH), nullable=False, default=""
    ),  # "": the table
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("synonyms_en", sa.Text, nullable=False),  # JSON list of strings
    sa.Column("synonyms_es", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # draft | approved | edited
    sa.Column("fingerprint", sa.String(64), nullable=True),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Column("updated_by", sa.String(USERNAME_LENGTH), nullable=True),
    sa.UniqueConstraint("database", "table_name", "column_name"),
)

knowledge_terms = sa.Table(
    "knowledge_terms",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("database", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),  # term | note
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Column("updated_by", sa.String(USERNAME_LENGTH), nullable=True),
    sa.UniqueConstraint("database", "kind", "name"),
)


# -- monitoring (backend.monitoring) ------------------------------------------------------
# One row per question asked (`backend.monitoring.runs.AnswerRun`): what produced the
# answer and how it ended. Ids are never reused (votes point at them).
answer_runs = sa.Table(
    "answer_runs",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("at", Timestamp, nullable=False),
    # NULL once the account is deleted: the figures keep the run, nobody inherits it.
    sa.Column("username", sa.String(USERNAME_LENGTH), nullable=True),
    sa.Column("source", sa.String(16), nullable=False),  # the door (answer_service.SOURCES)
    sa.Column("database", sa.String(128), nullable=False),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),  # backend.monitoring.outcome
    sa.Column("model", sa.String(MODEL_NAME_LENGTH), nullable=False),
    sa.Column("model_digest", sa.String(80), nullable=True),  # NULL: not known
    sa.Column("prompt_hash", sa.String(16), nullable=False),
    sa.Column("schema_mode", sa.String(16), nullable=False),
    sa.Column("retrieval_mode", sa.String(16), nullable=True),  # NULL: never retrieved
    sa.Column("knowledge_version", sa.String(16), nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("candidates", sa.Integer, nullable=False),
    sa.Column("seconds", sa.Float, nullable=False),  # the whole wait
    sa.Column("timings", sa.Text, nullable=False),  # JSON: stage → seconds
    sa.Column("prompt_tokens", sa.Integer, nullable=False),
    sa.Column("completion_tokens", sa.Integer, nullable=False),
    sa.Column("cached", sa.Boolean, nullable=False),
    # Cosine similarity of the question to the nearest indexed table (or column) and
    # approved example; NULL: not measured (no embeddings). Low: far from the knowledge.
    sa.Column("similarity", sa.Float, nullable=True),
    sa.Index(None, "at"),
    sqlite_autoincrement=True,
)

# One row per state of the business schema against its index, as the drift checks saw it
# (`backend.monitoring.schema_checks`): a new row when either fingerprint changes, else
# the last row's `checked_at` moves on. `changes` is empty when both agree.
schema_checks = sa.Table(
    "schema_checks",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("database", sa.String(128), nullable=False),
    sa.Column("at", Timestamp, nullable=False),  # first seen
    sa.Column("checked_at", Timestamp, nullable=False),  # last seen
    sa.Column("live_fingerprint", sa.String(16), nullable=False),
    sa.Column("indexed_fingerprint", sa.String(16), nullable=False),
    sa.Column("change_count", sa.Integer, nullable=False),
    sa.Column("changes", LongText, nullable=False),  # JSON list of schema_drift.SchemaChange
    # Who re-indexed, when this state is what a re-index left.
    sa.Column("reindexed_by", sa.String(USERNAME_LENGTH), nullable=True),
    sa.Index(None, "database", "at"),
    sqlite_autoincrement=True,
)


# -- data sources (backend.sources) -------------------------------------------------------
# The business databases admins added in the app; `main` (DATABASE_URL) is not stored.
data_sources = sa.Table(
    "data_sources",
    metadata,
    sa.Column("name", sa.String(SOURCE_LENGTH), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),  # mysql | postgresql | sqlite
    sa.Column("host", sa.String(255), nullable=False, default=""),
    sa.Column("port", sa.Integer, nullable=True),
    sa.Column("database_name", sa.String(255), nullable=False),  # SQLite: the file
    sa.Column("username", sa.String(128), nullable=False, default=""),
    # Fernet token of the password (SOURCES_KEY); NULL: none.
    sa.Column("password_encrypted", sa.Text, nullable=True),
    sa.Column("options", sa.JSON(none_as_null=True), nullable=True),  # e.g. {"schema": …}
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("created_by", sa.String(USERNAME_LENGTH), nullable=True),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Column("updated_by", sa.String(USERNAME_LENGTH), nullable=True),
)
