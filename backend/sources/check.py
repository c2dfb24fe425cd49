"""Testing a data source before it is used: can Keskinube connect, and can it only read?

The guard and the read-only transactions keep Keskinube from writing whatever the
account may do; an account that can only read is the layer under them, the one that
holds if the others fail. So the check connects with the source's own settings, counts
the tables the account can read, and lists what it may do besides reading, in the
server's words, with the statements that would take it away:

* MySQL/MariaDB: `SHOW GRANTS FOR CURRENT_USER()` (`backend.sources.mysql_grants`);
* PostgreSQL: role attributes and `has_*_privilege` (`backend.sources.postgresql_privileges`);
* SQLite: whether this process may write the file (queries run with `PRAGMA query_only`
  anyway). A missing file is an error, never created: SQLite would make an empty one.

Failing to connect is a result (`SourceCheck.error`, a catalogue message that never
carries the password), not an exception.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from backend.adapters.sql_runner import create_database_engine
from backend.i18n.message import Message
from backend.sources import mysql_grants, postgresql_privileges
from backend.sources.connect_errors import connection_error
from backend.sources.model import DataSource

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceCheck:
    """What testing a source found.

    `error`: why it could not connect (None: it connected). `tables`: how many tables the
    account can read. `write_privileges`: what the account may do besides reading, in the
    server's words ("INSERT, UPDATE ON shop.*", "superuser", "CREATE on schema public");
    empty when it can only read. `advice`: the statements an admin would run to make the
    account read-only (SQL text, shown as code), empty when none are needed.
    """

    error: Message | None = None
    tables: int = 0
    write_privileges: tuple[str, ...] = ()
    advice: str = ""

    @property
    def connected(self) -> bool:
        return self.error is None

    @property
    def read_only(self) -> bool:
        return self.connected and not self.write_privileges


def check_source(
    source: DataSource, password: str | None, *, timeout_s: float = 5.0
) -> SourceCheck:
    """Connect to `source` and find what its account may do (never raises for a bad
    host, password or database: that is `SourceCheck.error`)."""
    if source.kind == "sqlite" and not Path(source.database).is_file():
        return SourceCheck(error=Message.of("sources.check.no_file", file=source.database))
    try:
        engine = create_database_engine(source.url(password), timeout_s=timeout_s)
    except (ValueError, TypeError, ImportError) as error:  # a URL the driver refuses
        return SourceCheck(error=_failed(source, error, password, timeout_s))
    try:
        with engine.connect() as conn:
            return _checked(conn, source, timeout_s)
    except (sa.exc.SQLAlchemyError, OSError) as error:
        return SourceCheck(error=_failed(source, error, password, timeout_s))
    finally:
        engine.dispose()


def _checked(conn: sa.Connection, source: DataSource, timeout_s: float) -> SourceCheck:
    if source.kind == "mysql":
        return _mysql(conn, source)
    if source.kind == "postgresql":
        return _postgresql(conn, source, timeout_s)
    return _sqlite(conn, source)


def _mysql(conn: sa.Connection, source: DataSource) -> SourceCheck:
    tables = len(sa.inspect(conn).get_table_names())
    lines = [row[0] for row in conn.exec_driver_sql("SHOW GRANTS FOR CURRENT_USER()")]
    grants = [grant for grant in map(mysql_grants.parse_grant, lines) if grant is not None]
    writes = mysql_grants.write_privileges(grants)
    if not writes:
        return SourceCheck(tables=tables)
    account = mysql_grants.account_literal(
        conn.exec_driver_sql("SELECT CURRENT_USER()").scalar_one()
    )
    advice = mysql_grants.advice(grants, account=account, database=source.database)
    return SourceCheck(tables=tables, write_privileges=writes, advice=advice)


def _postgresql(conn: sa.Connection, source: DataSource, timeout_s: float) -> SourceCheck:
    # Connecting has its own time limit; this one bounds the catalogue queries.
    conn.exec_driver_sql(f"SET statement_timeout = {max(int(timeout_s * 1000), 1)}")
    schema = source.option("schema")
    schemas = postgresql_privileges.schemas(conn, schema)
    if schema and not _pg_schema_exists(conn, schema):
        return SourceCheck(
            error=Message.of("sources.check.no_schema", schema=schema, database=source.database)
        )
    # Not the inspector: it lists every table of the schema, readable or not.
    tables = postgresql_privileges.readable_tables(conn, schema or _pg_default(conn))
    writes = postgresql_privileges.write_privileges(conn, schemas)
    if not writes:
        return SourceCheck(tables=tables)
    advice = postgresql_privileges.advice(conn, schemas, superuser=writes == ("superuser",))
    return SourceCheck(tables=tables, write_privileges=writes, advice=advice)


def _sqlite(conn: sa.Connection, source: DataSource) -> SourceCheck:
    tables = len(sa.inspect(conn).get_table_names())
    if not _writable(Path(source.database)):
        return SourceCheck(tables=tables)
    return SourceCheck(
        tables=tables,
        write_privileges=("the file is writable by Keskinube's user",),
        advice="\n".join(
            [
                "-- Keskinube runs every query with PRAGMA query_only = ON; to be sure:",
                f"chmod a-w {_shell_quoted(source.database)}",
                "-- or mount its folder read-only (a container volume with :ro).",
            ]
        ),
    )


def _writable(path: Path) -> bool:
    # The effective user decides what the process may open (root passes everything).
    effective = os.access in os.supports_effective_ids
    return os.access(path, os.W_OK, effective_ids=effective)


def _shell_quoted(path: str) -> str:
    return "'" + path.replace("'", "'\\''") + "'"


def _pg_schema_exists(conn: sa.Connection, schema: str) -> bool:
    query = sa.text("SELECT 1 FROM pg_namespace WHERE nspname = :schema")
    return conn.execute(query, {"schema": schema}).first() is not None


def _pg_default(conn: sa.Connection) -> str:
    return str(conn.exec_driver_sql("SELECT current_schema()").scalar_one() or "public")


def _failed(
    source: DataSource, error: BaseException, password: str | None, timeout_s: float
) -> Message:
    # Only the kind of error is logged: a driver's text may name hosts and accounts.
    log.info("testing data source %s failed: %s", source.name, type(error).__name__)
    return connection_error(source, error, password=password, timeout_s=timeout_s)
