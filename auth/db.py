"""The app database: one SQLAlchemy `MetaData` for users, sessions, lockouts, policies, audit.

The same code runs on SQLite (the default `APP_DATABASE_URL`) and MySQL/MariaDB. Other
modules (conversations, dashboards) add their tables to `metadata` by defining them with
it; `ensure_schema` creates every table registered at the time it is called, so import
those modules first, and adds the nullable columns a newer release added to a table that an
older one created (`ALTER TABLE ... ADD COLUMN`, e.g. `users.language`) and the indexes
it lacks (e.g. `login_attempts.client`). Timestamps are naive UTC (see `auth.clock`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Inspector
from sqlalchemy.pool import StaticPool

log = logging.getLogger(__name__)

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Microseconds on MySQL too, so attempts within one second keep their order.
Timestamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
# BIGINT does not auto-increment on SQLite (only INTEGER PRIMARY KEY does).
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

USERNAME_LENGTH = 64
ROLE_LENGTH = 16
CLIENT_LENGTH = 64  # an IPv6 address is at most 45 characters
TEXT_LIMIT = 20_000  # longest question/SQL/detail kept in the audit log (MySQL TEXT: 64 KB)

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
    # 'en' or 'es' (backend.i18n.LANGUAGES); NULL: the app's default. Added after the first
    # release: `ensure_schema` adds it to older databases.
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

role_policies = sa.Table(
    "role_policies",
    metadata,
    sa.Column("role", sa.String(ROLE_LENGTH), primary_key=True),
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
    sa.Column("role", sa.String(ROLE_LENGTH), nullable=True),
    sa.Column("username", sa.String(USERNAME_LENGTH), nullable=True),
    sa.Column("table_name", sa.String(128), nullable=False),
    sa.Column("predicate", sa.Text, nullable=False),
    # The admin's plain words for the filter, shown under answers it shaped; NULL: none
    # (the page words the predicate). Added after the first release: see `ensure_schema`.
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
    sa.Index(None, "at"),
    sa.Index(None, "username", "at"),
    sa.Index(None, "event", "at"),
)


def create_app_engine(url: str, **kwargs: Any) -> sa.Engine:
    """An engine for the app database; creates the folder of a SQLite file if needed.

    SQLite connections may be used from Streamlit's script threads; an in-memory SQLite
    database is shared by every connection of the engine.
    """
    parsed = sa.make_url(url)
    options: dict[str, Any] = {"pool_pre_ping": True}
    if parsed.get_backend_name() == "sqlite":
        options["connect_args"] = {"check_same_thread": False}
        database = parsed.database or ""
        if database in {"", ":memory:"}:
            options["poolclass"] = StaticPool
        elif not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    options.update(kwargs)
    return sa.create_engine(parsed, **options)


def ensure_schema(engine: sa.Engine, *, seed_defaults: bool = True) -> None:
    """Create every table of `metadata` that is missing and add missing columns (idempotent).

    With `seed_defaults` the demo's default access rules are written once per database
    (see `auth.policies.seed_default_policies`); later edits by an admin are kept.
    """
    metadata.create_all(engine)
    add_missing_columns(engine)
    add_missing_indexes(engine)
    if seed_defaults:
        from auth.policies import seed_default_policies

        seed_default_policies(engine)


def add_missing_columns(engine: sa.Engine) -> list[str]:
    """Add the columns of `metadata` that existing tables lack; returns "table.column"s.

    Only nullable columns can be added to a table that has rows, so a newer release adds
    nothing else; a missing NOT NULL column is a bug in the release and stops the start.
    """
    inspector, tables = _existing_tables(engine)
    added: list[str] = []
    for table in tables:
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present:
                _add_column(engine, table, column)
                added.append(f"{table.name}.{column.name}")
    return added


def add_missing_indexes(engine: sa.Engine) -> list[str]:
    """Create the named indexes of `metadata` that existing tables lack; returns their names.

    `create_all` makes indexes only with a new table, so an index a newer release added to
    an older table (e.g. on `login_attempts.client`) is made here.
    """
    inspector, tables = _existing_tables(engine)
    added: list[str] = []
    for table in tables:
        present = {index["name"] for index in inspector.get_indexes(table.name)}
        for index in table.indexes:
            name = str(index.name)
            if name in present:
                continue
            try:
                with engine.begin() as conn:
                    index.create(conn)
            except sa.exc.DBAPIError:
                # Another process starting at the same moment may have made it first.
                if name not in {i["name"] for i in sa.inspect(engine).get_indexes(table.name)}:
                    raise
            log.info("app database upgraded: added index %s", name)
            added.append(name)
    return added


def _existing_tables(engine: sa.Engine) -> tuple[Inspector, list[sa.Table]]:
    """An inspector of the database and the tables of `metadata` it already has, in order."""
    inspector = sa.inspect(engine)
    existing = set(inspector.get_table_names())
    return inspector, [table for table in metadata.sorted_tables if table.name in existing]


def _add_column(engine: sa.Engine, table: sa.Table, column: sa.Column[Any]) -> None:
    if not column.nullable:
        raise RuntimeError(f"can't add the NOT NULL column {table.name}.{column.name}")
    spec = sa.schema.CreateColumn(column).compile(dialect=engine.dialect)
    name = engine.dialect.identifier_preparer.format_table(table)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"ALTER TABLE {name} ADD COLUMN {spec}")
    except sa.exc.DBAPIError:
        # Another process starting at the same moment may have added it first.
        columns = {c["name"] for c in sa.inspect(engine).get_columns(table.name)}
        if column.name not in columns:
            raise
    log.info("app database upgraded: added %s.%s", table.name, column.name)


def meta_value(conn: sa.Connection, key: str) -> str | None:
    """The `app_meta` value stored under `key`, if any."""
    return conn.execute(sa.select(app_meta.c.value).where(app_meta.c.key == key)).scalar()


def set_meta_value(conn: sa.Connection, key: str, value: str) -> None:
    """Store `value` under `key` in `app_meta` (insert or update)."""
    updated = conn.execute(
        sa.update(app_meta).where(app_meta.c.key == key).values(value=value)
    ).rowcount
    if not updated:
        conn.execute(sa.insert(app_meta).values(key=key, value=value))
