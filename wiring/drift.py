"""Schema drift in the running app: compare the business database with its index, record
what changed, re-index on demand, and check every few minutes in the background.

The comparison is structural (`backend.schema_drift`): the database is introspected
without sample values (three queries on MySQL/MariaDB), the index is read from Qdrant.
A re-index (`reindex`) changes the index version in Qdrant, which every engine on the
same Qdrant reads before answering (`Engine.follow_index`): the new schema is picked up
by every app process with no restart.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa

from appdb.migrate import upgrade
from backend.errors import DatabaseUnavailable
from backend.i18n.message import Message
from backend.monitoring.schema_checks import SchemaCheck, SchemaCheckStore
from backend.periodic import Periodic
from backend.schema import introspect
from backend.schema_drift import fingerprint, schema_changes
from vectorstore.store import IndexStats
from wiring.services import Services, index_database

log = logging.getLogger(__name__)

# A process whose timer fires a little early must not skip a whole interval.
_DUE_SLACK = 0.9


def schema_checks(services: Services) -> SchemaCheckStore:
    """The drift checks' record, in the app database (migrated to head)."""
    engine = services.knowledge.engine
    upgrade(engine)
    return SchemaCheckStore(engine)


def check_schema(
    services: Services, checks: SchemaCheckStore, *, reindexed_by: str | None = None
) -> SchemaCheck:
    """Compare the business database with what is indexed now, and record it; raises
    `DatabaseUnavailable` when the business database cannot be read."""
    try:
        live = introspect(services.db_engine, sample_values=False)
    except sa.exc.SQLAlchemyError as error:
        log.warning("schema check of %s failed: %s", services.database, error)
        raise DatabaseUnavailable(Message.of("monitoring.schema.failed")) from error
    indexed = services.store.load_tables(services.database)
    check = checks.record(
        services.database,
        live=fingerprint(live),
        indexed=fingerprint(indexed),
        changes=schema_changes(indexed, live),
        reindexed_by=reindexed_by,
    )
    if not check.in_sync:
        log.warning(
            "schema drift in %s: %d change(s) since the last index run",
            services.database,
            len(check.changes),
        )
    return check


def reindex(
    services: Services, checks: SchemaCheckStore, *, username: str
) -> tuple[IndexStats, SchemaCheck]:
    """Index the business database again (incremental), then record the check after it."""
    stats = index_database(services)
    return stats, check_schema(services, checks, reindexed_by=username)


def start_drift_watch(services: Services) -> Periodic | None:
    """Check the schema every SCHEMA_DRIFT_CHECK_MINUTES in a background thread (skipped
    when another process checked within that time); None when the check is off. The
    thread stops with `services.close()`."""
    minutes = services.settings.schema_drift_check_minutes
    if minutes <= 0:
        return None
    every = timedelta(minutes=minutes)
    state: dict[str, SchemaCheckStore] = {}

    def check_if_due() -> None:
        if "checks" not in state:
            state["checks"] = schema_checks(services)
        checks = state["checks"]
        if checks.due(services.database, every * _DUE_SLACK):
            check_schema(services, checks)

    watch = Periodic(check_if_due, every_s=every.total_seconds(), name="schema-drift-check")
    services.background.append(watch)
    return watch.start()
