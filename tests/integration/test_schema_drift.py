"""Schema drift on a real MariaDB database: the check records what changed against the
index, a re-index brings it back in sync, and a second engine on the same Qdrant (as a
second app process would be) answers with the new schema without a restart. Scripted
Ollama, one embedded Qdrant shared by both engines, the app database on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from qdrant_client import QdrantClient

from backend.config import load_settings
from backend.domain import Actor
from backend.schema_drift import SchemaChange
from testkit.scripted_ollama import ScriptedOllama, when
from tests.support.engine_db import create_schema
from wiring.drift import check_schema, reindex, schema_checks, start_drift_watch
from wiring.services import Services, build_services, index_database

ANA = Actor("ana", "analyst")
DISCOUNTS = "SELECT SUM(discount) AS total FROM orders"


@pytest.fixture
def shop(mysql_url: str) -> str:
    return create_schema(
        mysql_url,
        [
            "CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(80))",
            "CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NOT NULL, "
            "amount DECIMAL(10,2), FOREIGN KEY (customer_id) REFERENCES customers (id))",
            "INSERT INTO customers VALUES (1, 'Ann')",
            "INSERT INTO orders VALUES (1, 1, 10.00), (2, 1, 20.00)",
        ],
    )


@pytest.fixture
def two_processes(
    scripted_ollama: ScriptedOllama, shop: str, tmp_path: Path
) -> Iterator[tuple[Services, Services]]:
    """Two sets of services on one business database, one Qdrant and one app database:
    each with its own engine and schema cache, as two app processes have."""
    scripted_ollama.add(when("discount", reply=f"```sql\n{DISCOUNTS}\n```"))
    settings = load_settings(
        ollama_base_url=scripted_ollama.url,
        ollama_model=scripted_ollama.chat_model,
        ollama_embed_model=scripted_ollama.embed_model,
        ollama_timeout_s=5,
        app_database_url=f"sqlite:///{tmp_path / 'app.sqlite'}",
        answer_candidates=0,
    )
    qdrant = QdrantClient(":memory:")
    first = build_services(settings, database_url=shop, qdrant=qdrant)
    second = build_services(settings, database_url=shop, qdrant=qdrant)
    index_database(first)
    yield first, second
    second.db_engine.dispose()
    first.close()


def alter(url: str, *statements: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    engine.dispose()


def test_a_check_records_what_changed_and_a_reindex_brings_it_back_in_sync(
    two_processes: tuple[Services, Services], shop: str
) -> None:
    first, _ = two_processes
    checks = schema_checks(first)
    assert check_schema(first, checks).in_sync
    again = check_schema(first, checks)
    assert again.in_sync and len(checks.history()) == 1  # the same state: no new row
    alter(
        shop,
        "ALTER TABLE orders ADD COLUMN discount DECIMAL(5,2) NULL",
        "ALTER TABLE orders MODIFY amount DECIMAL(12,2) NOT NULL",
        "ALTER TABLE customers DROP COLUMN name",
        "CREATE TABLE refunds (id INT PRIMARY KEY, order_id INT, "
        "FOREIGN KEY (order_id) REFERENCES orders (id))",
    )
    drifted = check_schema(first, checks)
    assert set(drifted.changes) == {
        SchemaChange("table", "added", "refunds"),
        SchemaChange("column", "added", "orders", "discount", after="DECIMAL(5,2)"),
        SchemaChange(
            "column", "changed", "orders", "amount", "DECIMAL(10,2)", "DECIMAL(12,2) NOT NULL"
        ),
        SchemaChange("column", "removed", "customers", "name", before="VARCHAR(80)"),
    }
    assert checks.latest(first.database) == drifted
    stats, after = reindex(first, checks, username="boss")
    assert (stats.added, stats.updated) == (1, 2)
    assert after.in_sync and after.reindexed_by == "boss"
    assert [c.in_sync for c in checks.history(first.database)] == [True, False, True]


def test_a_second_engine_on_the_same_qdrant_answers_with_the_new_schema(
    two_processes: tuple[Services, Services], shop: str
) -> None:
    first, second = two_processes
    assert "discount" not in second.engine.tables()["orders"].column_names
    before = second.engine.ask("What is the total discount?", ANA)
    assert not before.ok  # no such column in the schema it knows: the check refuses it
    alter(shop, "ALTER TABLE orders ADD COLUMN discount DECIMAL(5,2) NULL DEFAULT 1.50")
    reindex(first, schema_checks(first), username="boss")
    answer = second.engine.ask("What is the total discount, please?", ANA)
    assert answer.ok, answer.error
    assert answer.result is not None and float(answer.result.frame.iloc[0, 0]) == 3.0
    assert "discount" in second.engine.tables()["orders"].column_names


def test_the_background_check_runs_at_start_and_stops_with_the_services(
    two_processes: tuple[Services, Services],
) -> None:
    first, _ = two_processes
    first.settings = first.settings.model_copy(update={"schema_drift_check_minutes": 60})
    watch = start_drift_watch(first)
    assert watch is not None
    watch.stop(timeout_s=30)
    checks = schema_checks(first)
    latest = checks.latest(first.database)
    assert latest is not None and latest.in_sync
    assert not checks.due(first.database, timedelta(minutes=60))
    off = first.settings.model_copy(update={"schema_drift_check_minutes": 0})
    first.settings = off
    assert start_drift_watch(first) is None
