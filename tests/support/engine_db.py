"""Pieces the engine's integration tests share: a schema made on a scratch database, and
the real SQL runner counting the statements that reach it."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from backend.domain import QueryResult


def create_schema(url: str, statements: Sequence[str]) -> str:
    """Run `statements` (DDL and rows) on the database at `url`; returns `url`."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    engine.dispose()
    return url


class RecordingRunner:
    """The real runner, counting the statements that reach the database."""

    def __init__(self, runner: object) -> None:
        self._runner = runner
        self.statements: list[str] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self._runner, name)

    def run(self, sql: str, *, row_limit: int) -> QueryResult:
        self.statements.append(sql)
        return self._runner.run(sql, row_limit=row_limit)  # type: ignore[attr-defined]
