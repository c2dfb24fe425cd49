"""Introspection of a real PostgreSQL: types, keys, comments, enum values, row estimates
and samples, column grants, and the schema the URL's search path names."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from backend.domain import ForeignKey, TableDoc
from backend.schema import introspect
from tests.integration.test_schema_introspection import MOST_FREQUENT_STATUSES, _fill

pytestmark = pytest.mark.postgresql

DDL = [
    "CREATE TYPE tier AS ENUM ('silver', 'gold', 'platinum')",
    "CREATE TABLE customers (id INTEGER PRIMARY KEY, name VARCHAR(80) NOT NULL, "
    "region VARCHAR(10), email VARCHAR(100), status TEXT, level tier, "
    "active BOOLEAN NOT NULL DEFAULT true, lifetime BIGINT, joined TIMESTAMPTZ, notes JSONB)",
    "COMMENT ON TABLE customers IS 'People and companies who buy'",
    "COMMENT ON COLUMN customers.name IS 'Full name'",
    "COMMENT ON COLUMN customers.level IS 'Loyalty tier'",
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL "
    "REFERENCES customers(id), total NUMERIC(12, 2), ordered_on DATE)",
    "CREATE TABLE salaries (id INTEGER PRIMARY KEY, amount NUMERIC(12, 2))",
    "CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100",
    "CREATE SCHEMA audit",
    "CREATE TABLE audit.events (id INTEGER PRIMARY KEY, what TEXT)",
    "CREATE TABLE audit.checks (id INTEGER PRIMARY KEY, event_id INTEGER REFERENCES"
    " audit.events(id), customer_id INTEGER REFERENCES public.customers(id))",
]


def _by_name(tables: list[TableDoc]) -> dict[str, TableDoc]:
    return {table.name: table for table in tables}


@pytest.fixture
def engine(postgres_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for statement in DDL:
            conn.exec_driver_sql(statement)
        _fill(conn)
        conn.exec_driver_sql("ANALYZE")
    yield engine
    engine.dispose()


def test_types_keys_comments_enums_and_samples(engine: sa.Engine) -> None:
    tables = _by_name(introspect(engine))
    assert sorted(tables) == ["customers", "orders", "salaries"]  # no view, no other schema
    customers, orders = tables["customers"], tables["orders"]
    assert customers.comment == "People and companies who buy"
    assert {c.name: c.type for c in customers.columns} == {
        "id": "INTEGER",
        "name": "VARCHAR(80)",
        "region": "VARCHAR(10)",
        "email": "VARCHAR(100)",
        "status": "TEXT",
        "level": "tier (enum)",
        "active": "BOOLEAN",
        "lifetime": "BIGINT",
        "joined": "TIMESTAMP WITH TIME ZONE",
        "notes": "JSONB",
    }
    assert [c.type for c in orders.columns] == ["INTEGER", "INTEGER", "NUMERIC(12,2)", "DATE"]
    level = customers.columns[5]
    assert level.comment == "Loyalty tier"
    assert level.sample_values == ("silver", "gold", "platinum")  # the enum's own order
    assert customers.columns[1].comment == "Full name" and not customers.columns[1].nullable
    assert orders.foreign_keys == (ForeignKey(("customer_id",), "customers", ("id",)),)
    assert customers.primary_key == ("id",)
    samples = {c.name: c.sample_values for c in customers.columns if c.sample_values}
    assert samples == {
        "name": tuple(f"Customer {n}" for n in ("1", "10", "11", "12", "13")),
        "region": ("APAC", "EMEA", "LATAM"),
        "status": MOST_FREQUENT_STATUSES,
        "level": ("silver", "gold", "platinum"),
    }
    assert customers.row_estimate == 40
    assert tables["salaries"].row_estimate == 0


def test_a_table_never_analyzed_has_no_estimate(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE fresh (id INTEGER PRIMARY KEY)")
    assert _by_name(introspect(engine, sample_values=False))["fresh"].row_estimate is None


def test_the_search_path_of_the_url_names_the_schema(engine: sa.Engine) -> None:
    url = engine.url.update_query_dict({"options": "-csearch_path=audit"})
    other = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        tables = _by_name(introspect(other))
    finally:
        other.dispose()
    assert sorted(tables) == ["checks", "events"]
    # The key into public.customers is out of reach of unqualified names: left out.
    assert tables["checks"].foreign_keys == (ForeignKey(("event_id",), "events", ("id",)),)


@pytest.fixture
def column_granted_url(engine: sa.Engine) -> Iterator[str]:
    """An account that may read customers(id, name, region) and all of orders, nothing else."""
    user, password = f"kk_ro_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {user} LOGIN PASSWORD '{password}'")
        conn.exec_driver_sql(f"GRANT SELECT (id, name, region) ON customers TO {user}")
        conn.exec_driver_sql(f"GRANT SELECT ON orders TO {user}")
    yield engine.url.set(username=user, password=password).render_as_string(hide_password=False)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP OWNED BY {user}")
        conn.exec_driver_sql(f"DROP ROLE {user}")


def test_column_grants_hide_columns_and_tables(column_granted_url: str) -> None:
    engine = sa.create_engine(column_granted_url, poolclass=sa.pool.NullPool)
    try:
        tables = _by_name(introspect(engine))
    finally:
        engine.dispose()
    assert sorted(tables) == ["customers", "orders"]  # salaries is not granted at all
    customers = tables["customers"]
    assert customers.column_names == ("id", "name", "region")
    assert customers.columns[2].sample_values == ("APAC", "EMEA", "LATAM")
    assert tables["orders"].foreign_keys == (ForeignKey(("customer_id",), "customers", ("id",)),)


def test_introspection_reads_the_schema_in_bulk(engine: sa.Engine) -> None:
    statements: list[str] = []
    sa.event.listen(
        engine, "before_cursor_execute", lambda *args: statements.append(args[2]), named=False
    )
    with engine.begin() as conn:
        for n in range(30):
            conn.exec_driver_sql(f"CREATE TABLE extra_{n} (id INTEGER PRIMARY KEY, v TEXT)")
    statements.clear()
    introspect(engine, sample_values=False)
    assert len(statements) < 20  # not a handful of queries per table
