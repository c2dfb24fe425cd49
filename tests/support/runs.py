"""The run records (`answer_runs`) a test's questions left in an app database, oldest first."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from appdb.tables import answer_runs


def recorded_runs(engine: sa.Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(answer_runs).order_by(answer_runs.c.id)).mappings()
        return [dict(row) for row in rows]
