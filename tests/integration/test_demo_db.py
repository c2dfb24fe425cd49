"""The demo database on real SQLite, MariaDB and PostgreSQL: integrity, determinism, the
CLI, the read-only account and the docker dump."""

from __future__ import annotations

import gzip
import hashlib
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from backend.config import get_settings
from backend.demo import DEMO_TABLE_NAMES, load_examples, metadata
from backend.schema import introspect
from cli import main
from demo_data import DemoBuild, DemoTablesExist, build_demo_database, render_readonly_user_sql
from demo_data.readonly import TEMPLATE
from tests.support import postgresql
from tests.support.mariadb import scratch_database

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker" / "mysql"
ORDERS = 1_500
BACKENDS = [
    "sqlite",
    pytest.param("mariadb", marks=pytest.mark.mariadb),
    pytest.param("postgresql", marks=pytest.mark.postgresql),
]
FOREIGN_KEYS = [
    fk for name in DEMO_TABLE_NAMES for fk in sorted(metadata.tables[name].foreign_keys, key=str)
]
COMMAND_DENIED = 1142
EXAMPLE_IDS = [example.question[:40] for example in load_examples()]


@dataclass(frozen=True)
class Demo:
    url: str
    build: DemoBuild
    engine: sa.Engine


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def _built(url: str) -> Iterator[Demo]:
    build = build_demo_database(url, orders=ORDERS)
    engine = _engine(url)
    yield Demo(url, build, engine)
    engine.dispose()


@pytest.fixture(scope="module")
def sqlite_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo data (1,500 orders, seed 42) in a SQLite file, built once."""
    yield from _built(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}")


@pytest.fixture(scope="module")
def mariadb_demo(mysql_server_url: str) -> Iterator[Demo]:
    """The same demo data in a scratch MariaDB database, built once."""
    with scratch_database(mysql_server_url, prefix="kk_demo") as url:
        yield from _built(url)


@pytest.fixture(scope="module")
def postgresql_demo(postgres_server_url: str) -> Iterator[Demo]:
    """The same demo data in a scratch PostgreSQL database, built once."""
    with postgresql.scratch_database(postgres_server_url, prefix="kk_demo") as url:
        yield from _built(url)


@pytest.fixture(scope="module", params=BACKENDS)
def demo(request: pytest.FixtureRequest) -> Demo:
    """The demo database on each backend in turn."""
    return request.getfixturevalue(f"{request.param}_demo")  # type: ignore[no-any-return]


def table_digests(engine: sa.Engine) -> dict[str, str]:
    """A hash of each table's rows, read through the schema's types, in key order."""
    digests = {}
    with engine.connect() as conn:
        for name in DEMO_TABLE_NAMES:
            table = metadata.tables[name]
            rows = conn.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
            digests[name] = hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest()
    return digests


def count_rows(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: conn.execute(
                sa.select(sa.func.count()).select_from(metadata.tables[name])
            ).scalar_one()
            for name in DEMO_TABLE_NAMES
        }


# --- integrity -------------------------------------------------------------------------


def test_row_counts_match_what_was_generated(demo: Demo) -> None:
    counts = count_rows(demo.engine)
    assert counts == dict(demo.build.row_counts)
    assert counts["orders"] == ORDERS
    assert counts["customers"] == 100
    assert ORDERS < counts["order_items"] < 4 * ORDERS
    assert counts["payments"] > 0.9 * ORDERS and counts["returns"] > 0


@pytest.mark.parametrize("fk", FOREIGN_KEYS, ids=str)
def test_every_foreign_key_resolves(demo: Demo, fk: sa.ForeignKey) -> None:
    child, parent = fk.parent, fk.column
    alias = parent.table.alias("parent")
    orphans = (
        sa.select(sa.func.count())
        .select_from(child.table.outerjoin(alias, alias.c[parent.name] == child))
        .where(child.is_not(None), alias.c[parent.name].is_(None))
    )
    with demo.engine.connect() as conn:
        assert conn.execute(orphans).scalar_one() == 0


def test_database_declares_the_foreign_keys_and_indexes(demo: Demo) -> None:
    inspector = sa.inspect(demo.engine)
    for name in DEMO_TABLE_NAMES:
        declared = {
            (tuple(fk["constrained_columns"]), fk["referred_table"])
            for fk in inspector.get_foreign_keys(name)
        }
        expected = {
            ((fk.parent.name,), fk.column.table.name) for fk in metadata.tables[name].foreign_keys
        }
        assert declared == expected, name
    indexed = {tuple(ix["column_names"]) for ix in inspector.get_indexes("order_items")}
    assert {("order_id",), ("product_id",)} <= indexed


def test_dates_stay_inside_the_three_year_window(demo: Demo) -> None:
    checks = {
        "orders": ["order_date"],
        "payments": ["paid_at"],
        "shipments": ["shipped_at", "delivered_at"],
        "returns": ["returned_at"],
        "products": ["discontinued_on"],
    }
    with demo.engine.connect() as conn:
        for table, columns in checks.items():
            for column in columns:
                c = metadata.tables[table].c[column]
                low, high = conn.execute(sa.select(sa.func.min(c), sa.func.max(c))).one()
                assert str(low) >= "2023-10-01", (table, column, low)
                assert str(high) <= "2026-09-30 23:59:59", (table, column, high)
        first, last = conn.execute(
            sa.text("SELECT MIN(order_date), MAX(order_date) FROM orders")
        ).one()
    assert str(first)[:7] == "2023-10" and str(last)[:7] == "2026-09"


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("customers", "email"),
        ("customers", "phone"),
        ("customers", "account_manager_id"),
        ("employees", "manager_id"),
        ("employees", "commission_rate"),
        ("orders", "employee_id"),
        ("orders", "discount_code"),
        ("shipments", "delivered_at"),
        ("suppliers", "contact_email"),
        ("products", "discontinued_on"),
    ],
)
def test_nulls_appear_where_real_data_has_them(demo: Demo, table: str, column: str) -> None:
    c = metadata.tables[table].c[column]
    with demo.engine.connect() as conn:
        nulls = conn.execute(sa.select(sa.func.count()).where(c.is_(None))).scalar_one()
        values = conn.execute(sa.select(sa.func.count(c))).scalar_one()
    assert nulls > 0 and values > 0


def test_some_orders_are_unpaid(demo: Demo) -> None:
    with demo.engine.connect() as conn:
        unpaid = conn.execute(
            sa.text(
                "SELECT COUNT(*) FROM orders o WHERE o.status <> 'cancelled' AND NOT EXISTS "
                "(SELECT 1 FROM payments p WHERE p.order_id = o.order_id)"
            )
        ).scalar_one()
    assert unpaid > 0


@pytest.mark.parametrize("index", range(len(load_examples())), ids=lambda i: EXAMPLE_IDS[i])
def test_every_example_query_returns_rows(demo: Demo, index: int) -> None:
    example = load_examples(dialect=demo.engine.dialect.name)[index]  # `sql_<dialect>` if any
    raw = demo.engine.raw_connection()  # the DBAPI cursor runs the text exactly as written
    try:
        cursor = raw.cursor()
        cursor.execute(example.sql)
        rows = cursor.fetchall()
    finally:
        raw.close()
    assert rows, example.sql


# --- determinism -----------------------------------------------------------------------


def test_same_seed_gives_the_same_data(sqlite_demo: Demo, tmp_path: Path) -> None:
    again = f"sqlite:///{tmp_path / 'again.sqlite'}"
    build_demo_database(again, orders=ORDERS, seed=42)
    assert table_digests(_engine(again)) == table_digests(sqlite_demo.engine)


def test_another_seed_gives_different_data(sqlite_demo: Demo, tmp_path: Path) -> None:
    other = f"sqlite:///{tmp_path / 'other.sqlite'}"
    build_demo_database(other, orders=ORDERS, seed=7)
    digests, reference = table_digests(_engine(other)), table_digests(sqlite_demo.engine)
    for name in ("customers", "orders", "order_items", "payments", "shipments", "returns"):
        assert digests[name] != reference[name], name


@pytest.mark.postgresql
def test_postgresql_holds_exactly_the_same_data_as_sqlite(
    sqlite_demo: Demo, postgresql_demo: Demo
) -> None:
    assert table_digests(postgresql_demo.engine) == table_digests(sqlite_demo.engine)


@pytest.mark.postgresql
def test_postgresql_demo_keeps_comments_and_row_estimates(postgresql_demo: Demo) -> None:
    tables = {table.name: table for table in introspect(postgresql_demo.engine)}
    assert sorted(tables) == sorted(DEMO_TABLE_NAMES)
    for name in DEMO_TABLE_NAMES:
        expected = metadata.tables[name]
        assert tables[name].comment == expected.comment
        assert [c.comment for c in tables[name].columns] == [c.comment for c in expected.columns]
    assert tables["orders"].row_estimate == ORDERS  # ANALYZEd after the load


@pytest.mark.mariadb
def test_mariadb_holds_exactly_the_same_data_as_sqlite(
    sqlite_demo: Demo, mariadb_demo: Demo
) -> None:
    assert table_digests(mariadb_demo.engine) == table_digests(sqlite_demo.engine)


# --- the command line ------------------------------------------------------------------


def test_cli_if_missing_is_a_no_op_the_second_time(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KESKINUBE_DATA_DIR", str(tmp_path / "nested" / "data"))
    get_settings.cache_clear()
    database = tmp_path / "nested" / "data" / "demo.sqlite"
    assert main(["demo-db", "--orders", "1000", "--if-missing", "--no-progress"]) == 0
    first = capsys.readouterr().out
    assert "Built the demo database" in first and "1,000 orders" in first
    stamp = database.stat().st_mtime_ns
    assert main(["demo-db", "--orders", "1000", "--if-missing", "--no-progress"]) == 0
    assert "already present" in capsys.readouterr().out
    assert database.stat().st_mtime_ns == stamp
    assert not list(database.parent.glob("*.partial-*"))


@pytest.mark.mariadb
def test_cli_on_mariadb_keeps_data_with_if_missing_and_rebuilds_with_replace(
    mysql_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    command = ["demo-db", "--url", mysql_url, "--orders", "200", "--no-progress"]
    assert main(command) == 0
    engine = _engine(mysql_url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO regions VALUES (99, 'Marker', 'MRK')"))
    assert main([*command, "--if-missing"]) == 0
    assert "already present" in capsys.readouterr().out
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM regions")).scalar() == 7
    assert main(command) == 2
    assert "--replace" in capsys.readouterr().err
    assert main([*command, "--replace"]) == 0
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM regions")).scalar() == 6
        assert conn.execute(sa.text("SELECT COUNT(*) FROM orders")).scalar() == 200
    engine.dispose()


def test_cli_writes_a_gzipped_dump(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out" / "demo.sql.gz"
    assert main(["demo-db", "--sql-dump", str(target), "--orders", "200"]) == 0
    assert "200 orders" in capsys.readouterr().out
    assert gzip.decompress(target.read_bytes()).startswith(b"-- Keskinube demo data: 200 orders")


# --- the read-only account -------------------------------------------------------------


def _error_code(exc: sa.exc.DBAPIError) -> int:
    return int(exc.orig.args[0])  # type: ignore[union-attr]


def _drop_user(server_url: str, user: str) -> None:
    admin = _engine(server_url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP USER IF EXISTS '{user}'@'%%'")
    admin.dispose()


def _as_user(database_url: str, user: str, password: str) -> sa.Engine:
    return _engine(sa.make_url(database_url).set(username=user, password=password))


@pytest.fixture(scope="module")
def readonly_engine(mysql_server_url: str, mariadb_demo: Demo) -> Iterator[sa.Engine]:
    """The demo database as seen by an account made from docker/mysql's template."""
    user = f"kk_ro_{secrets.token_hex(4)}"
    password = "p'w;%" + secrets.token_urlsafe(12)
    statements = render_readonly_user_sql(
        TEMPLATE.read_text(),
        database=sa.make_url(mariadb_demo.url).database or "",
        password=password,
        user=user,
    )
    admin = _engine(mysql_server_url)
    with admin.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement.replace("%", "%%"))
    admin.dispose()
    engine = _as_user(mariadb_demo.url, user, password)
    yield engine
    engine.dispose()
    _drop_user(mysql_server_url, user)


@pytest.mark.mariadb
def test_readonly_user_can_select(readonly_engine: sa.Engine) -> None:
    with readonly_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM orders")).scalar() == ORDERS
        assert conn.execute(sa.text("SELECT MAX(salary) FROM employees")).scalar() > 0


@pytest.mark.mariadb
@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO regions VALUES (50, 'Nowhere', 'NOW')",
        "UPDATE products SET unit_price = 0",
        "DELETE FROM returns",
        "DROP TABLE returns",
        "CREATE TABLE stolen (id INT)",
    ],
    ids=["insert", "update", "delete", "drop", "create"],
)
def test_readonly_user_cannot_write(readonly_engine: sa.Engine, statement: str) -> None:
    with readonly_engine.connect() as conn, pytest.raises(sa.exc.DBAPIError) as denied:
        conn.exec_driver_sql(statement)
    assert _error_code(denied.value) == COMMAND_DENIED, denied.value


@pytest.mark.mariadb
def test_docker_init_script_creates_the_readonly_user(
    mysql_server_url: str, mariadb_demo: Demo
) -> None:
    client = shutil.which("mariadb") or shutil.which("mysql")
    if client is None:
        pytest.skip("no mysql command-line client")
    server = sa.make_url(mysql_server_url)
    user, password = f"kk_ro_{secrets.token_hex(4)}", "a'b\\c&d;" + secrets.token_hex(6)
    stub = (
        'docker_process_sql() { "$KK_CLIENT" --protocol=tcp -h "$KK_HOST" -P "$KK_PORT" '
        '-u "$KK_ADMIN" ${KK_ADMIN_PW:+-p"$KK_ADMIN_PW"} "$@"; }; '
        'mysql_error() { echo "$*" >&2; exit 1; }; source "$1"'
    )
    env = {
        "PATH": os.environ["PATH"],
        "KK_CLIENT": client,
        "KK_HOST": server.host or "127.0.0.1",
        "KK_PORT": str(server.port or 3306),
        "KK_ADMIN": server.username or "root",
        "KK_ADMIN_PW": server.password or "",
        "MYSQL_DATABASE": sa.make_url(mariadb_demo.url).database or "",
        "KESKINUBE_RO_USER": user,
        "KESKINUBE_RO_PASSWORD": password,
    }
    script = DOCKER / "01-readonly-user.sh"
    try:
        subprocess.run(["bash", "-c", stub, "-", str(script)], env=env, check=True, timeout=30)
        engine = _as_user(mariadb_demo.url, user, password)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT COUNT(*) FROM regions")).scalar() == 6
            with pytest.raises(sa.exc.DBAPIError) as denied:
                conn.exec_driver_sql("DELETE FROM regions")
        engine.dispose()
        assert _error_code(denied.value) == COMMAND_DENIED
    finally:
        _drop_user(mysql_server_url, user)


# --- the docker dump -------------------------------------------------------------------


def _run_dump(url: str, path: Path) -> None:
    """Feed the dump to the server statement by statement, as the mysql client would."""
    engine = _engine(url)
    raw = engine.raw_connection()
    try:
        cursor, statement = raw.cursor(), []
        for line in gzip.decompress(path.read_bytes()).decode().splitlines():
            if not statement and (not line or line.startswith("--")):
                continue
            statement.append(line)
            if line.endswith(";"):
                cursor.execute("\n".join(statement))
                statement = []
        raw.commit()
    finally:
        raw.close()
        engine.dispose()


@pytest.mark.mariadb
def test_docker_dump_loads_into_mariadb_with_the_generated_data(
    mysql_url: str, tmp_path: Path
) -> None:
    _run_dump(mysql_url, DOCKER / "02-demo-data.sql.gz")
    reference_url = f"sqlite:///{tmp_path / 'reference.sqlite'}"
    build = build_demo_database(reference_url, orders=5_000)
    loaded = _engine(mysql_url)
    assert count_rows(loaded) == dict(build.row_counts)
    assert table_digests(loaded) == table_digests(_engine(reference_url))
    with loaded.connect() as conn:
        comment = conn.execute(
            sa.text(
                "SELECT table_comment FROM information_schema.tables "
                "WHERE table_schema = DATABASE() AND table_name = 'order_items'"
            )
        ).scalar()
    loaded.dispose()
    assert "Line revenue" in str(comment)


# --- targets that are not empty or not there yet ------------------------------------------


def test_partial_demo_schema_is_refused_unless_replaced(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'partial.sqlite'}"
    engine = _engine(url)
    metadata.tables["regions"].create(engine)
    with pytest.raises(DemoTablesExist, match="only some"):
        build_demo_database(url, orders=200, if_missing=True)
    build = build_demo_database(url, orders=200, replace=True)
    assert count_rows(engine)["orders"] == build.row_counts["orders"] == 200
    engine.dispose()


@pytest.mark.postgresql
def test_cli_creates_a_missing_postgresql_database_and_keeps_it_with_if_missing(
    postgres_server_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"kk_demo_new_{secrets.token_hex(4)}"
    url = sa.make_url(postgres_server_url).set(database=name)
    command = ["demo-db", "--url", url.render_as_string(False), "--orders", "200"]
    admin = sa.create_engine(
        postgres_server_url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT"
    )
    try:
        assert main([*command, "--no-progress"]) == 0
        assert "200 orders" in capsys.readouterr().out
        assert main([*command, "--no-progress", "--if-missing"]) == 0
        assert "already present" in capsys.readouterr().out
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.mark.mariadb
def test_missing_mysql_database_is_created(mysql_server_url: str) -> None:
    name = f"kk_demo_new_{secrets.token_hex(4)}"
    url = sa.make_url(mysql_server_url).set(database=name).render_as_string(hide_password=False)
    admin = _engine(mysql_server_url)
    try:
        assert build_demo_database(url, orders=100).row_counts["orders"] == 100
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        admin.dispose()


def test_demo_db_never_writes_into_the_configured_business_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli import main

    own = tmp_path / "own.sqlite"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{own}")
    assert main(["demo-db", "--if-missing", "--no-progress"]) == 0
    assert "not building the demo" in capsys.readouterr().out
    assert main(["demo-db", "--no-progress"]) == 2
    assert "pass --url" in capsys.readouterr().err
    assert not own.exists()
