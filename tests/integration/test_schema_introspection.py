"""Introspection against real databases: SQLite files and a throwaway MariaDB."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from backend.domain import ForeignKey, TableDoc
from backend.schema import SampleCache, SampleLimits, compact_type, introspect

REGIONS = ["EMEA", "APAC", "LATAM"]
STATUSES = [f"s{i:02d}" for i in range(13)]  # one more than max_distinct
# Customers 1-40 get STATUSES[i % 13]: s01 four times, every other status three times.
MOST_FREQUENT_STATUSES = ("s01", "s00", "s02", "s03", "s04")


def _by_name(tables: list[TableDoc]) -> dict[str, TableDoc]:
    return {t.name: t for t in tables}


def _fill(conn: sa.Connection) -> None:
    rows = [
        {
            "id": i,
            "name": f"Customer {i}",
            "region": REGIONS[i % 3],
            "email": "x@y.z",
            "status": STATUSES[i % 13],
        }
        for i in range(1, 41)
    ]
    conn.execute(
        sa.text(
            "INSERT INTO customers (id, name, region, email, status) "
            "VALUES (:id, :name, :region, :email, :status)"
        ),
        rows,
    )
    conn.execute(
        sa.text("INSERT INTO orders (id, customer_id, total, ordered_on) VALUES (1, 1, 9.5, :d)"),
        {"d": "2024-01-02"},
    )


SQLITE_DDL = [
    "CREATE TABLE customers (id INTEGER PRIMARY KEY, name VARCHAR(80) NOT NULL, "
    "region VARCHAR(10), email VARCHAR(100), status VARCHAR(20))",
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL "
    "REFERENCES customers(id), total DECIMAL(12,2), ordered_on DATE)",
]


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'sales.sqlite'}")
    with engine.begin() as conn:
        for ddl in SQLITE_DDL:
            conn.exec_driver_sql(ddl)
        _fill(conn)
    yield engine
    engine.dispose()


class StatementLog:
    """Every SQL statement an engine runs, via SQLAlchemy's cursor event."""

    def __init__(self, engine: sa.Engine) -> None:
        self.statements: list[str] = []
        sa.event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, conn: object, cursor: object, statement: str, *args: object) -> None:
        self.statements.append(statement)

    @property
    def sample_queries(self) -> list[str]:
        return [s for s in self.statements if "kk_sample" in s]


def test_sqlite_tables_columns_types_keys(sqlite_engine: sa.Engine) -> None:
    tables = introspect(sqlite_engine)
    assert [t.name for t in tables] == ["customers", "orders"]
    customers, orders = tables
    assert customers.column_names == ("id", "name", "region", "email", "status")
    assert [c.type for c in orders.columns] == ["INTEGER", "INTEGER", "DECIMAL(12,2)", "DATE"]
    assert customers.primary_key == ("id",)
    assert not customers.columns[1].nullable and customers.columns[2].nullable
    assert orders.foreign_keys == (ForeignKey(("customer_id",), "customers", ("id",)),)
    assert customers.row_estimate == 40
    assert customers.comment is None


def test_samples_only_for_repeating_non_sensitive_text(sqlite_engine: sa.Engine) -> None:
    customers = _by_name(introspect(sqlite_engine))["customers"]
    samples = {c.name: c.sample_values for c in customers.columns}
    assert samples["region"] == ("APAC", "EMEA", "LATAM")  # few: all of them, sorted
    # 40 distinct values, each once, but customers is a lookup table (orders refer to it)
    # and name its first text column: what users call its rows, a few shown for their form.
    assert samples["name"] == tuple(f"Customer {n}" for n in ("1", "10", "11", "12", "13"))
    # 13 distinct > max_distinct, but they repeat: the most frequent five (s01 4x, others 3x)
    assert samples["status"] == MOST_FREQUENT_STATUSES
    assert samples["email"] == ()  # one value, but never sampled: sensitive name
    assert samples["id"] == ()


TOP = [(f"v{i:02d}", 50 - i) for i in range(13)]  # 13 values holding 572 rows


@pytest.mark.parametrize(
    ("counts", "scanned", "expected"),
    [
        ([("b", 3), ("a", 1)], 4, ("a", "b")),
        (TOP, 600, ("v00", "v01", "v02", "v03", "v04")),
        (TOP, 1144, ("v00", "v01", "v02", "v03", "v04")),
        (TOP, 1145, ()),
        ([(f"v{i:02d}", 1) for i in range(13)], 40, ()),
        ([("b", 1), ("a", 1)], 2, ()),
        ([(f"v{i:02d}", 2) for i in range(13)], 300, ()),
        ([("x" * 41, 9), ("a", 9)], 18, ()),
        ([], 0, ()),
    ],
)
def test_which_values_are_worth_showing(
    counts: list[tuple[str, int]], scanned: int, expected: tuple[str, ...]
) -> None:
    from backend.schema import _chosen_values

    assert _chosen_values(counts, scanned, 12, SampleLimits()) == expected


def test_a_lookup_tables_label_is_shown_though_every_value_is_unique() -> None:
    from backend.schema import _chosen_values

    unique = [(f"genre {i:02d}", 1) for i in range(13)]
    shown = _chosen_values(unique, 25, 12, SampleLimits(), label=True)
    assert shown == ("genre 00", "genre 01", "genre 02", "genre 03", "genre 04")
    assert _chosen_values(unique, 25, 12, SampleLimits(), label=False) == ()


def test_sampling_can_be_switched_off(sqlite_engine: sa.Engine) -> None:
    log = StatementLog(sqlite_engine)
    tables = introspect(sqlite_engine, sample_values=False)
    assert all(not c.sample_values for t in tables for c in t.columns)
    assert log.sample_queries == []


def test_sample_cache_prevents_rescans(sqlite_engine: sa.Engine, tmp_path: Path) -> None:
    cache = SampleCache(tmp_path / "samples.json")
    log = StatementLog(sqlite_engine)
    first = introspect(sqlite_engine, sample_cache=cache)
    scans = len(log.sample_queries)
    assert scans == 3  # name, region, status (email is never sampled)
    assert introspect(sqlite_engine, sample_cache=cache) == first
    assert len(log.sample_queries) == scans
    # introspect saved the cache: a new process (a new SampleCache) does not rescan either
    assert introspect(sqlite_engine, sample_cache=SampleCache(cache.path)) == first
    assert len(log.sample_queries) == scans


def test_unreadable_sample_cache_is_ignored(tmp_path: Path) -> None:
    broken = tmp_path / "samples.json"
    broken.write_text("{not json")
    cache = SampleCache(broken)
    assert cache.get("db", "t", "c", "fp") is None
    cache.put("db", "t", "c", "fp", ("a",))
    cache.save()
    assert SampleCache(broken).get("db", "t", "c", "fp") == ("a",)


def test_sample_queries_are_bounded_per_run(sqlite_engine: sa.Engine) -> None:
    log = StatementLog(sqlite_engine)
    cache = SampleCache()
    introspect(sqlite_engine, sample_cache=cache, limits=SampleLimits(max_queries=1))
    assert len(log.sample_queries) == 1
    introspect(sqlite_engine, sample_cache=cache, limits=SampleLimits(max_queries=1))
    assert len(log.sample_queries) == 2  # the next run samples the next column


BIG_SCHEMA_DDL = [
    *(
        f"CREATE TABLE aa_log_{i:02d} (id INT PRIMARY KEY, label VARCHAR(20), kind VARCHAR(20))"
        for i in range(12)
    ),  # empty, and first by name: a big schema's many idle tables
    "CREATE TABLE b_notes (id INT PRIMARY KEY, topic VARCHAR(20))",
    "CREATE TABLE c_types (id INT PRIMARY KEY, name VARCHAR(20))",  # referenced, but empty
    "CREATE TABLE z_regions (id INT PRIMARY KEY, name VARCHAR(20))",
    # Table-level keys: MySQL 8 ignores a column's inline REFERENCES.
    "CREATE TABLE z_sales (id INT PRIMARY KEY, region_id INT, type_id INT, channel VARCHAR(20), "
    "FOREIGN KEY (region_id) REFERENCES z_regions (id), "
    "FOREIGN KEY (type_id) REFERENCES c_types (id))",
]


def _big_schema(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for ddl in BIG_SCHEMA_DDL:
            conn.exec_driver_sql(ddl)
        for table, column in (("b_notes", "topic"), ("z_regions", "name")):
            rows = [{"id": i, "v": ["North", "South"][i % 2]} for i in range(1, 11)]
            conn.execute(sa.text(f"INSERT INTO {table} (id, {column}) VALUES (:id, :v)"), rows)
        sales = [{"id": i, "r": 1 + i % 10, "c": ["web", "phone"][i % 2]} for i in range(1, 21)]
        conn.execute(
            sa.text("INSERT INTO z_sales (id, region_id, channel) VALUES (:id, :r, :c)"), sales
        )
        if engine.dialect.name != "sqlite":
            conn.exec_driver_sql("ANALYZE TABLE b_notes, c_types, z_regions, z_sales")


def _sampled_tables(log: StatementLog) -> list[str]:
    return [re.search(r"FROM (\w+)", q).group(1) for q in log.sample_queries]  # type: ignore[union-attr]


def _budget_goes_to_tables_with_rows_referenced_first(engine: sa.Engine) -> None:
    _big_schema(engine)
    log = StatementLog(engine)
    cache = SampleCache()
    tables = _by_name(introspect(engine, sample_cache=cache, limits=SampleLimits(max_queries=2)))
    # rows before references: the empty c_types, referenced too, waits
    assert _sampled_tables(log) == ["z_regions", "b_notes"]
    assert tables["z_regions"].columns[1].sample_values == ("North", "South")
    assert [t.name for t in tables.values()] == sorted(tables)  # still returned by name
    introspect(engine, sample_cache=cache, limits=SampleLimits(max_queries=2))
    # the next run: the last table with rows, then the empty ones, referenced first
    assert _sampled_tables(log)[2:] == ["z_sales", "c_types"]


def test_sampling_budget_goes_first_to_tables_with_rows_that_others_refer_to(
    tmp_path: Path,
) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'big.sqlite'}")
    try:
        _budget_goes_to_tables_with_rows_referenced_first(engine)
    finally:
        engine.dispose()


def test_compact_types() -> None:
    assert compact_type("int(11)") == "INT"
    assert compact_type("int(10) unsigned") == "INT UNSIGNED"
    assert compact_type("decimal(12, 2)") == "DECIMAL(12,2)"
    assert compact_type("tinyint(1)") == "BOOLEAN"
    assert compact_type("enum('EMEA','apac')") == "ENUM('EMEA','apac')"


# -- MariaDB ----------------------------------------------------------------------------

MARIADB_DDL = [
    "CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(80) NOT NULL COMMENT 'Full name', "
    "region VARCHAR(10) COMMENT 'Sales region', email VARCHAR(100), status VARCHAR(20), "
    "tier ENUM('gold','silver'), active TINYINT(1) NOT NULL DEFAULT 1, "
    "lifetime BIGINT UNSIGNED, notes TEXT) COMMENT='People and companies who buy'",
    "CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NOT NULL, total DECIMAL(12,2), "
    "ordered_on DATE, CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) "
    "REFERENCES customers(id)) COMMENT='One row per order'",
    "CREATE TABLE salaries (id INT PRIMARY KEY, amount DECIMAL(12,2))",
]


@pytest.fixture
def mariadb_engine(mysql_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(mysql_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for ddl in MARIADB_DDL:
            conn.exec_driver_sql(ddl)
        _fill(conn)
        conn.exec_driver_sql("ANALYZE TABLE customers, orders")
    yield engine
    engine.dispose()


@pytest.mark.mariadb
def test_mariadb_types_keys_comments_and_samples(mariadb_engine: sa.Engine) -> None:
    tables = _by_name(introspect(mariadb_engine))
    assert sorted(tables) == ["customers", "orders", "salaries"]
    customers, orders = tables["customers"], tables["orders"]
    assert customers.comment == "People and companies who buy"
    types = {c.name: c.type for c in customers.columns}
    assert types == {
        "id": "INT",
        "name": "VARCHAR(80)",
        "region": "VARCHAR(10)",
        "email": "VARCHAR(100)",
        "status": "VARCHAR(20)",
        "tier": "ENUM('gold','silver')",
        "active": "BOOLEAN",
        "lifetime": "BIGINT UNSIGNED",
        "notes": "TEXT",
    }
    assert [c.type for c in orders.columns] == ["INT", "INT", "DECIMAL(12,2)", "DATE"]
    assert customers.columns[1].comment == "Full name"
    assert orders.foreign_keys == (ForeignKey(("customer_id",), "customers", ("id",)),)
    assert customers.primary_key == ("id",) and not customers.columns[1].nullable
    samples = {c.name: c.sample_values for c in customers.columns if c.sample_values}
    assert samples == {
        "name": tuple(f"Customer {n}" for n in ("1", "10", "11", "12", "13")),
        "region": ("APAC", "EMEA", "LATAM"),
        "status": MOST_FREQUENT_STATUSES,
    }
    assert customers.row_estimate == 40


@pytest.mark.mariadb
def test_mariadb_sampling_budget_goes_first_to_tables_with_rows(mysql_url: str) -> None:
    engine = sa.create_engine(mysql_url, poolclass=sa.pool.NullPool)
    try:
        _budget_goes_to_tables_with_rows_referenced_first(engine)  # TABLE_ROWS estimates
    finally:
        engine.dispose()


@pytest.mark.mariadb
def test_mariadb_introspection_reads_information_schema_in_bulk(mariadb_engine: sa.Engine) -> None:
    log = StatementLog(mariadb_engine)
    introspect(mariadb_engine, sample_values=False)
    assert not any(s.upper().startswith("SHOW CREATE") for s in log.statements)
    assert len([s for s in log.statements if "information_schema" in s]) == 3


@pytest.fixture
def column_granted_url(mariadb_engine: sa.Engine, mysql_url: str) -> Iterator[str]:
    """An account that may read customers(id, name, region) and all of orders, nothing else."""
    user, password = f"kk_ro_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    database = mariadb_engine.url.database
    with mariadb_engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE USER '{user}'@'%%' IDENTIFIED BY '{password}'")
        conn.exec_driver_sql(
            f"GRANT SELECT (id, name, region) ON `{database}`.customers TO '{user}'@'%%'"
        )
        conn.exec_driver_sql(f"GRANT SELECT ON `{database}`.orders TO '{user}'@'%%'")
    yield (
        sa.make_url(mysql_url)
        .set(username=user, password=password)
        .render_as_string(hide_password=False)
    )
    with mariadb_engine.begin() as conn:
        conn.exec_driver_sql(f"DROP USER '{user}'@'%%'")


@pytest.mark.mariadb
def test_column_grants_hide_columns_and_tables(column_granted_url: str) -> None:
    engine = sa.create_engine(column_granted_url, poolclass=sa.pool.NullPool)
    try:
        tables = _by_name(introspect(engine))
    finally:
        engine.dispose()
    assert sorted(tables) == ["customers", "orders"]  # salaries is not granted at all
    customers = tables["customers"]
    assert customers.column_names == ("id", "name", "region")  # email, status, ... hidden
    assert customers.columns[2].sample_values == ("APAC", "EMEA", "LATAM")
    assert tables["orders"].foreign_keys == (ForeignKey(("customer_id",), "customers", ("id",)),)


# -- the demo database, when its schema module is there ---------------------------------


def _demo_metadata() -> sa.MetaData:
    demo = pytest.importorskip("backend.demo.schema")
    metadata: sa.MetaData = demo.metadata
    return metadata


def _assert_matches_metadata(tables: list[TableDoc], metadata: sa.MetaData, comments: bool) -> None:
    by_name = _by_name(tables)
    assert sorted(by_name) == sorted(metadata.tables)
    for name, table in metadata.tables.items():
        doc = by_name[name]
        assert doc.column_names == tuple(c.name for c in table.columns)
        assert set(doc.primary_key) == {c.name for c in table.primary_key.columns}
        assert len(doc.foreign_keys) == len(table.foreign_key_constraints)
        if comments:
            assert doc.comment == table.comment


def test_demo_schema_introspects_on_sqlite(tmp_path: Path) -> None:
    metadata = _demo_metadata()
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'demo.sqlite'}")
    metadata.create_all(engine)
    _assert_matches_metadata(introspect(engine), metadata, comments=False)
    engine.dispose()


@pytest.mark.mariadb
def test_demo_schema_introspects_on_mariadb(mysql_url: str) -> None:
    metadata = _demo_metadata()
    engine = sa.create_engine(mysql_url, poolclass=sa.pool.NullPool)
    metadata.create_all(engine)
    _assert_matches_metadata(introspect(engine), metadata, comments=True)
    engine.dispose()
