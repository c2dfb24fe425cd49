"""Key/value facts about one app database (`app_meta`), e.g. that defaults were seeded."""

from __future__ import annotations

import sqlalchemy as sa

from appdb.tables import app_meta


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
