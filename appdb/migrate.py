"""`upgrade`: bring an app database to the newest schema (Alembic), then seed its defaults.

Runs at every start where the app or a command opens the app database; a database at head
costs one query. Three cases:
- an empty database: every revision runs, from the baseline (0001) on;
- a database made before Alembic (app tables, no `alembic_version`): `appdb.legacy` brings
  it to the baseline and stamps it at 0001, then the later revisions run;
- a database Alembic already manages: the revisions it lacks run.
On MySQL/MariaDB a named lock keeps two processes starting together from migrating at once
(their DDL is not transactional).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from appdb import legacy
from appdb.seed import seed_default_policies

log = logging.getLogger(__name__)

SCRIPTS = Path(__file__).with_name("migrations")
BASELINE = "0001"
_LOCK = "keskinube_appdb_upgrade"
_LOCK_WAIT_S = 60


def upgrade(engine: sa.Engine, *, seed_defaults: bool = True) -> None:
    """Migrate the database at `engine` to head (idempotent); with `seed_defaults` write the
    default rows once per database (`appdb.seed`)."""
    with engine.begin() as conn, _migration_lock(conn):
        config = alembic_config(conn)
        if legacy.is_pre_alembic(conn):
            legacy.adopt(conn)
            command.stamp(config, BASELINE)
            log.info("app database made before Alembic: stamped at the baseline %s", BASELINE)
        command.upgrade(config, "head")
    if seed_defaults:
        seed_default_policies(engine)


def current_revision(engine: sa.Engine) -> str | None:
    """The revision the database is at; None for one Alembic never touched."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    """The newest revision in `appdb/migrations/versions`."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no revisions in appdb/migrations/versions"
    return head


def alembic_config(conn: sa.Connection | None = None) -> Config:
    """An Alembic config on our scripts that runs on `conn` (see `migrations/env.py`)."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes["connection"] = conn
    return config


@contextmanager
def _migration_lock(conn: sa.Connection) -> Iterator[None]:
    if conn.dialect.name not in {"mysql", "mariadb"}:
        yield  # SQLite: a file that one app process opens; nothing to lock across hosts
        return
    got = conn.execute(
        sa.text("SELECT GET_LOCK(:name, :wait)"), {"name": _LOCK, "wait": _LOCK_WAIT_S}
    )
    if got.scalar() != 1:
        raise RuntimeError("another process has been upgrading the app database too long")
    try:
        yield
    finally:
        conn.execute(sa.text("SELECT RELEASE_LOCK(:name)"), {"name": _LOCK})
