"""Prove a SQL-guard payload on real MariaDB: run it unguarded to show that it leaks, then
show that `check_sql` refuses it.

A test module builds its scratch database with `seeded_engine(url, DDL)` and its guard with
`guard_for(SCHEMA, POLICY)`; `assert_leaks_then_refused` does both halves of the proof.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from backend.domain import AccessPolicy
from backend.errors import SqlRejected
from backend.sql_guard import check_sql
from tests.support.mariadb import scratch_database

Guard = Callable[[str], str]


@contextmanager
def seeded_engine(server_url: str, ddl: Sequence[str]) -> Iterator[sa.Engine]:
    """An engine on a scratch database where every statement of `ddl` has run."""
    with scratch_database(server_url) as url:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as connection:
            for statement in ddl:
                connection.exec_driver_sql(statement)
        yield engine
        engine.dispose()


def rows(engine: sa.Engine, sql: str) -> list[tuple[object, ...]]:
    """What the database answers to `sql`, sent as it is."""
    # A raw cursor: SQLAlchemy would %-format patterns such as DATE_FORMAT's.
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        connection.close()


def guard_for(
    schema: Mapping[str, Sequence[str]], policy: AccessPolicy, dialect: str = "mysql"
) -> Guard:
    """`check_sql` for `dialect` (MariaDB by default) on `schema` under `policy`; returns
    the SQL it would run."""

    def guard(sql: str) -> str:
        return check_sql(sql, schema=schema, dialect=dialect, row_limit=100, policy=policy).sql

    return guard


def assert_leaks_then_refused(
    engine: sa.Engine, guard: Guard, sql: str, leaked: object, *, column: int | None = None
) -> None:
    """Unguarded, `sql` answers `leaked` (only `column` of each row, if given); guarded,
    it is refused."""
    answer = rows(engine, sql)
    unguarded = answer if column is None else [row[column] for row in answer]
    assert unguarded == leaked, "the payload no longer leaks: pick another"
    with pytest.raises(SqlRejected):
        guard(sql)
