"""Writes the generated demo data into a database through SQLAlchemy, fast.

Rows go in with the driver's `executemany` (PyMySQL turns it into multi-row INSERTs,
psycopg pipelines them), one transaction per chunk, into bare tables: indexes (and the
foreign keys of MySQL and PostgreSQL) are added after the load. On MySQL/MariaDB
foreign-key and unique checks are off during the load; PostgreSQL does not wait for each
commit's fsync and is ANALYZEd at the end (its row estimates); on SQLite the journal is
kept in memory without fsyncs, and a new file is built beside its final path and renamed
into place only when complete. A database named in a MySQL or PostgreSQL URL that does
not exist yet is created. A failed or interrupted load
drops the tables it created, so a half-built demo database is never left behind.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.schema import CreateIndex, CreateTable, SetColumnComment, SetTableComment
from tqdm import tqdm

from backend.demo.schema import DEMO_TABLE_NAMES, DEMO_TABLES, metadata
from backend.errors import DatabaseUnavailable, KeskinubeError
from demo_data.generator import generate
from demo_data.spec import DEFAULT_END_DATE, DEFAULT_ORDERS, DEFAULT_SEED, DemoSpec
from demo_data.world import Row

CHUNK_ORDERS = 10_000
PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}
MYSQL_UNKNOWN_DATABASE = 1049
# Dialects whose foreign keys are added after the load (SQLite cannot add them later).
_KEYS_AFTER_LOAD = frozenset({"mysql", "mariadb", "postgresql"})


class DemoTablesExist(KeskinubeError):
    """The target already holds demo tables and neither replace nor if-missing was asked."""


@dataclass(frozen=True)
class DemoBuild:
    """What `build_demo_database` did: `created` is False when it found the tables there."""

    url: str
    created: bool
    row_counts: Mapping[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0

    def summary(self) -> str:
        """One line for the terminal."""
        if not self.created:
            return f"Demo database already present at {self.url}; nothing to do."
        counts = ", ".join(f"{count:,} {table}" for table, count in self.row_counts.items())
        return f"Built the demo database at {self.url} in {self.elapsed_s:.1f} s: {counts}."


def build_demo_database(
    url: str,
    *,
    orders: int = DEFAULT_ORDERS,
    seed: int = DEFAULT_SEED,
    end_date: date = DEFAULT_END_DATE,
    replace: bool = False,
    if_missing: bool = False,
    progress: bool = False,
    chunk_orders: int = CHUNK_ORDERS,
) -> DemoBuild:
    """Create the demo tables in the database at `url` and fill them deterministically.

    `replace` drops existing demo tables first; `if_missing` returns at once when all of
    them exist already. Raises `DemoTablesExist` when demo tables are in the way, and
    `DatabaseUnavailable` when the database cannot be reached. A MySQL database that does
    not exist yet is created. `progress` shows a progress bar on a terminal.
    """
    spec = DemoSpec(orders=orders, seed=seed, end_date=end_date)
    shown = sa.make_url(url).render_as_string(hide_password=True)
    started = time.perf_counter()
    with _sqlite_staging(url) as (target, staged):
        engine = sa.create_engine(target, poolclass=sa.pool.NullPool)
        try:
            if not staged and _keep_existing(engine, shown, replace, if_missing):
                return DemoBuild(url=shown, created=False)
            counts = _load(engine, spec, progress=progress, chunk_orders=chunk_orders)
        finally:
            engine.dispose()
    return DemoBuild(shown, True, counts, time.perf_counter() - started)


def demo_tables_exist(url: str) -> bool:
    """True when every demo table exists in the database at `url`."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        shown = sa.make_url(url).render_as_string(hide_password=True)
        return len(_existing_tables(engine, shown)) == len(DEMO_TABLE_NAMES)
    finally:
        engine.dispose()


def _keep_existing(engine: sa.Engine, shown: str, replace: bool, if_missing: bool) -> bool:
    """True when a complete set of demo tables is there to keep; raises if they are in the
    way; False when the load should go ahead (dropping any demo tables first)."""
    existing = _existing_tables(engine, shown, create_database=True)
    complete = len(existing) == len(DEMO_TABLE_NAMES)
    if if_missing and complete:
        return True
    if not existing or replace:
        return False
    if complete:
        hint = "pass --replace to rebuild them, or --if-missing to keep them"
    else:
        hint = "only some are there: pass --replace to rebuild them all"
    raise DemoTablesExist(f"{shown} already has demo tables ({', '.join(existing)}): {hint}")


def _existing_tables(engine: sa.Engine, shown: str, *, create_database: bool = False) -> list[str]:
    try:
        present = set(sa.inspect(engine).get_table_names())
    except sa.exc.OperationalError as exc:
        if not _unknown_database(exc, engine.url):
            raise DatabaseUnavailable(f"Cannot connect to {shown}: {exc.orig}") from exc
        if create_database:
            _create_database(engine.url, shown)
        present = set()
    return [name for name in DEMO_TABLE_NAMES if name in present]


def _unknown_database(exc: sa.exc.OperationalError, url: sa.URL) -> bool:
    """The server is there, the database is not: MySQL/MariaDB's error 1049; PostgreSQL
    sends no code with a failed connection, so its catalogue is asked."""
    if url.get_backend_name() == "postgresql":
        return _missing_postgresql_database(url)
    args = getattr(exc.orig, "args", ())
    return bool(args) and args[0] == MYSQL_UNKNOWN_DATABASE


def _create_database(url: sa.URL, shown: str) -> None:
    if url.get_backend_name() == "postgresql":
        _create_postgresql_database(url, shown)
        return
    server = sa.create_engine(url.set(database=""), poolclass=sa.pool.NullPool)
    name = str(url.database).replace("`", "``")
    try:
        with server.begin() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4")
    except sa.exc.DBAPIError as exc:
        raise DatabaseUnavailable(f"Cannot create the database of {shown}: {exc.orig}") from exc
    finally:
        server.dispose()


def _missing_postgresql_database(url: sa.URL) -> bool:
    server = sa.create_engine(url.set(database="postgres"), poolclass=sa.pool.NullPool)
    try:
        with server.connect() as conn:
            found = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": url.database},
            ).first()
    except sa.exc.DBAPIError:
        return False  # the server itself is unreachable
    finally:
        server.dispose()
    return found is None


def _create_postgresql_database(url: sa.URL, shown: str) -> None:
    """CREATE DATABASE from the `postgres` maintenance database (it cannot run in a
    transaction, hence autocommit)."""
    server = sa.create_engine(
        url.set(database="postgres"), poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT"
    )
    name = str(url.database).replace('"', '""')
    try:
        with server.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    except sa.exc.DBAPIError as exc:
        raise DatabaseUnavailable(f"Cannot create the database of {shown}: {exc.orig}") from exc
    finally:
        server.dispose()


@contextmanager
def _sqlite_staging(url: str) -> Iterator[tuple[str, bool]]:
    """For a new SQLite file, yield a temporary file's URL and rename it into place after.

    Yields (url to write to, whether it is a fresh staging file). Other URLs pass through.
    """
    parsed = sa.make_url(url)
    database = parsed.database or ""
    in_memory = database in {"", ":memory:"} or database.startswith("file:")
    if parsed.get_backend_name() != "sqlite" or in_memory:
        yield url, False
        return
    final = Path(database)
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():
        yield url, False
        return
    staging = final.with_name(f"{final.name}.partial-{os.getpid()}")
    staging.unlink(missing_ok=True)
    try:
        yield parsed.set(database=str(staging)).render_as_string(hide_password=False), True
        os.replace(staging, final)
    finally:
        staging.unlink(missing_ok=True)


def _load(
    engine: sa.Engine, spec: DemoSpec, *, progress: bool, chunk_orders: int
) -> dict[str, int]:
    counts = dict.fromkeys(DEMO_TABLE_NAMES, 0)
    try:
        with engine.connect() as conn:
            _fast_session(conn, on=True)
            metadata.drop_all(conn, tables=list(DEMO_TABLES), checkfirst=True)
            _create_tables(conn)
            conn.commit()
            bar = tqdm(
                total=spec.orders,
                unit="orders",
                disable=None if progress else True,
                file=sys.stderr,
                desc="demo data",
            )
            with bar:
                for batch in generate(spec, chunk_orders=chunk_orders):
                    _insert_batch(conn, batch, counts)
                    conn.commit()
                    bar.update(len(batch.get("orders", ())))
            _add_indexes_and_foreign_keys(conn)
            conn.commit()
            _fast_session(conn, on=False)
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("ANALYZE")  # row estimates for introspection
                conn.commit()
    except BaseException:
        _drop_quietly(engine)
        raise
    return counts


def _create_tables(conn: sa.Connection) -> None:
    """Bare tables: indexes (and on MySQL and PostgreSQL foreign keys) come after the load,
    which is several times faster than maintaining them row by row. SQLite gets its
    foreign keys inline (it cannot add them later). Databases that store comments apart
    from CREATE TABLE (PostgreSQL) get them with COMMENT ON."""
    inline_keys = () if conn.dialect.name in _KEYS_AFTER_LOAD else None
    separate_comments = conn.dialect.supports_comments and not conn.dialect.inline_comments
    for table in DEMO_TABLES:
        conn.execute(CreateTable(table, include_foreign_key_constraints=inline_keys))
        if separate_comments:
            _comment_on(conn, table)


def _comment_on(conn: sa.Connection, table: sa.Table) -> None:
    if table.comment:
        conn.execute(SetTableComment(table))
    for column in table.columns:
        if column.comment:
            conn.execute(SetColumnComment(column))


def _add_indexes_and_foreign_keys(conn: sa.Connection) -> None:
    if conn.dialect.name not in {"mysql", "mariadb"}:
        for table in DEMO_TABLES:  # SQLite: foreign keys were declared in CREATE TABLE
            for index in sorted(table.indexes, key=lambda index: str(index.name)):
                conn.execute(CreateIndex(index))
            clauses = _foreign_key_clauses(conn, table)
            if clauses and conn.dialect.name in _KEYS_AFTER_LOAD:
                quote = conn.dialect.identifier_preparer.quote
                conn.exec_driver_sql(f"ALTER TABLE {quote(table.name)} {', '.join(clauses)}")
        return
    for table in DEMO_TABLES:  # one ALTER per table: each DDL statement costs fsyncs
        clauses = _index_clauses(conn, table) + _foreign_key_clauses(conn, table)
        if clauses:
            quote = conn.dialect.identifier_preparer.quote
            conn.exec_driver_sql(f"ALTER TABLE {quote(table.name)} {', '.join(clauses)}")


def _index_clauses(conn: sa.Connection, table: sa.Table) -> list[str]:
    quote = conn.dialect.identifier_preparer.quote
    return [
        f"ADD INDEX {quote(str(index.name))} ({', '.join(quote(c.name) for c in index.columns)})"
        for index in sorted(table.indexes, key=lambda index: str(index.name))
    ]


def _foreign_key_clauses(conn: sa.Connection, table: sa.Table) -> list[str]:
    quote = conn.dialect.identifier_preparer.quote
    clauses = []
    for fk in sorted(table.foreign_keys, key=lambda fk: str(fk.constraint.name)):
        target = f"{quote(fk.column.table.name)} ({quote(fk.column.name)})"
        clauses.append(
            f"ADD CONSTRAINT {quote(str(fk.constraint.name))} "
            f"FOREIGN KEY ({quote(fk.parent.name)}) REFERENCES {target}"
        )
    return clauses


def _fast_session(conn: sa.Connection, *, on: bool) -> None:
    """Session settings that make bulk loading fast (and put them back afterwards)."""
    dialect = conn.dialect.name
    if dialect in {"mysql", "mariadb"}:
        flag = 0 if on else 1
        conn.exec_driver_sql(f"SET SESSION foreign_key_checks = {flag}, unique_checks = {flag}")
    elif dialect == "postgresql":
        conn.exec_driver_sql(f"SET synchronous_commit = {'off' if on else 'on'}")
    elif dialect == "sqlite":
        conn.exec_driver_sql(f"PRAGMA journal_mode = {'MEMORY' if on else 'DELETE'}")
        conn.exec_driver_sql(f"PRAGMA synchronous = {'OFF' if on else 'FULL'}")


def _insert_batch(
    conn: sa.Connection, batch: Mapping[str, list[Row]], counts: dict[str, int]
) -> None:
    for name in DEMO_TABLE_NAMES:  # parents before children
        rows = batch.get(name)
        if not rows:
            continue
        table = metadata.tables[name]
        placeholder = PLACEHOLDERS.get(conn.dialect.paramstyle)
        if placeholder is None:  # other drivers: SQLAlchemy's generic path
            keys = [column.name for column in table.columns]
            conn.execute(table.insert(), [dict(zip(keys, row, strict=True)) for row in rows])
        else:
            conn.exec_driver_sql(_insert_sql(conn, table, placeholder), _bound(conn, table, rows))
        counts[name] += len(rows)


def _bound(conn: sa.Connection, table: sa.Table, rows: list[Row]) -> list[Row]:
    """The rows as the driver must send them: PostgreSQL refuses 0/1 for a BOOLEAN column
    (the generator writes the integers MySQL and SQLite store)."""
    flags = [isinstance(column.type, sa.Boolean) for column in table.columns]
    if conn.dialect.name != "postgresql" or not any(flags):
        return rows
    return [
        tuple(bool(v) if flag and v is not None else v for flag, v in zip(flags, row, strict=True))
        for row in rows
    ]


def _insert_sql(conn: sa.Connection, table: sa.Table, placeholder: str) -> str:
    quote = conn.dialect.identifier_preparer.quote
    columns = ", ".join(quote(column.name) for column in table.columns)
    values = ", ".join([placeholder] * len(table.columns))
    return f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({values})"


def _drop_quietly(engine: sa.Engine) -> None:
    """Best-effort removal of a half-loaded demo schema."""
    with suppress(Exception), engine.connect() as conn:
        _fast_session(conn, on=True)
        metadata.drop_all(conn, tables=list(DEMO_TABLES), checkfirst=True)
        conn.commit()
