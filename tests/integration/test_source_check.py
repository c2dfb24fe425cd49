"""Testing a data source (`check_source`) on real servers: a read-only account, one that
can write (its privileges in the server's words, and advice that really makes it
read-only), a superuser, SQLite files, and every way of failing to connect, each a
catalogue message in English and Spanish that never holds the password."""

from __future__ import annotations

import os
import socket
import stat
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from backend.sources import DataSource
from backend.sources.check import SourceCheck, check_source
from tests.support import postgresql

PASSWORD = "Pa55-word_check"


def _source(url: str, user: str, **changes: object) -> DataSource:
    parsed = sa.make_url(url)
    values: dict[str, object] = {
        "name": "sales",
        "kind": "mysql" if parsed.get_backend_name() == "mysql" else "postgresql",
        "database": parsed.database or "",
        "host": parsed.host or "",
        "port": parsed.port,
        "username": user,
        **changes,
    }
    return DataSource(**values)  # type: ignore[arg-type]


def _assert_error(check: SourceCheck, key: str, english: str, spanish: str) -> None:
    assert check.error is not None and check.error.key == key, check.error
    assert not check.connected and not check.read_only
    assert english in check.error.render("en")
    assert spanish in check.error.render("es")
    for language in ("en", "es"):
        assert PASSWORD not in check.error.render(language)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never says a word (a server that hangs)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield int(listener.getsockname()[1])


# --- MariaDB -------------------------------------------------------------------------


def _mysql(url: str, *statements: str) -> None:
    engine = sa.create_engine(sa.make_url(url)._replace(database=None), poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement.replace("%", "%%"))  # pymysql's paramstyle
    engine.dispose()


@pytest.fixture
def mysql_accounts(mysql_url: str) -> Iterator[tuple[str, str]]:
    """A read-only and a read-write account on the scratch database (two tables)."""
    database = sa.make_url(mysql_url).database
    suffix = uuid.uuid4().hex[:8]
    reader, writer = f"kk_ro_{suffix}", f"kk_rw_{suffix}"
    _mysql(
        mysql_url,
        f"CREATE TABLE `{database}`.orders (id INT PRIMARY KEY, amount INT)",
        f"CREATE TABLE `{database}`.customers (id INT PRIMARY KEY, name TEXT)",
        f"CREATE USER '{reader}'@'%' IDENTIFIED BY '{PASSWORD}'",
        f"GRANT SELECT, SHOW VIEW ON `{database}`.* TO '{reader}'@'%'",
        f"CREATE USER '{writer}'@'%' IDENTIFIED BY '{PASSWORD}'",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON `{database}`.* TO '{writer}'@'%'",
        f"GRANT UPDATE (amount) ON `{database}`.orders TO '{writer}'@'%' WITH GRANT OPTION",
    )
    yield reader, writer
    _mysql(mysql_url, f"DROP USER '{reader}'@'%'", f"DROP USER '{writer}'@'%'")


@pytest.mark.mariadb
def test_mysql_read_only_account_needs_no_advice(
    mysql_url: str, mysql_accounts: tuple[str, str]
) -> None:
    check = check_source(_source(mysql_url, mysql_accounts[0]), PASSWORD)
    assert check == SourceCheck(tables=2)
    assert check.read_only


@pytest.mark.mariadb
def test_mysql_writer_is_reported_and_the_advice_makes_it_read_only(
    mysql_url: str, mysql_accounts: tuple[str, str]
) -> None:
    database = sa.make_url(mysql_url).database
    source = _source(mysql_url, mysql_accounts[1])
    check = check_source(source, PASSWORD)
    assert check.connected and not check.read_only and check.tables == 2
    assert check.write_privileges == (
        f"INSERT, UPDATE, DELETE ON `{database}`.*",
        f"UPDATE (`amount`), GRANT OPTION ON `{database}`.`orders`",
    )
    assert f"GRANT SELECT, SHOW VIEW ON `{database}`.* TO 'keskinube'@'%';" in check.advice
    assert PASSWORD not in check.advice
    # The second half of the advice is for this very account: run it, test again.
    for_this_account = check.advice.split("besides reading:\n", 1)[1].splitlines()
    assert any(line.startswith("REVOKE") for line in for_this_account)
    _mysql(mysql_url, *for_this_account)
    assert check_source(source, PASSWORD) == SourceCheck(tables=2)


@pytest.mark.mariadb
def test_mysql_failures_are_clear_and_never_show_the_password(
    mysql_url: str, mysql_accounts: tuple[str, str], silent_port: int
) -> None:
    reader = mysql_accounts[0]
    source = _source(mysql_url, reader)
    _assert_error(
        check_source(source, PASSWORD + "x"),
        "sources.check.login_failed",
        f"refused the user name '{reader}' or its password",
        f"rechazó el usuario '{reader}' o su contraseña",
    )
    # MariaDB does not tell an account that may not see it whether a database exists.
    _assert_error(
        check_source(_source(mysql_url, reader, database="no_such_db"), PASSWORD),
        "sources.check.database_denied",
        "may not use a database named 'no_such_db'",
        "no puede usar una base de datos llamada 'no_such_db'",
    )
    root = sa.make_url(mysql_url)
    _assert_error(
        check_source(
            _source(mysql_url, root.username or "root", database="no_such_db"), root.password
        ),
        "sources.check.unknown_database",
        "has no database named 'no_such_db'",
        "no tiene ninguna base de datos llamada 'no_such_db'",
    )
    _assert_error(
        check_source(_source(mysql_url, reader, host="no-such-host.invalid"), PASSWORD),
        "sources.check.unknown_host",
        "'no-such-host.invalid' cannot be found",
        "No se encuentra el host 'no-such-host.invalid'",
    )
    _assert_error(
        check_source(_source(mysql_url, reader, host="127.0.0.1", port=1), PASSWORD),
        "sources.check.refused",
        "Nothing answers at 127.0.0.1:1",
        "Nada responde en 127.0.0.1:1",
    )
    _assert_error(
        check_source(
            _source(mysql_url, reader, host="127.0.0.1", port=silent_port),
            PASSWORD,
            timeout_s=1,
        ),
        "sources.check.timeout",
        f"127.0.0.1:{silent_port} did not answer within 1 s",
        f"127.0.0.1:{silent_port} no respondió en 1 s",
    )


# --- PostgreSQL ----------------------------------------------------------------------


@pytest.fixture
def postgres_roles(postgres_url: str) -> Iterator[tuple[str, str]]:
    """A read-only role and one that can write (and owns a table) on the scratch database."""
    suffix = uuid.uuid4().hex[:8]
    reader, writer = f"kk_ro_{suffix}", f"kk_rw_{suffix}"
    server = sa.make_url(postgres_url).set(database="postgres")
    admin = sa.create_engine(server, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    database = sa.create_engine(
        postgres_url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        for role in (reader, writer):
            conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'")
    with database.connect() as conn:
        for statement in (
            "CREATE TABLE orders (id int PRIMARY KEY, amount int)",
            "CREATE TABLE customers (id int PRIMARY KEY, name text)",
            "CREATE SCHEMA archive",
            "CREATE TABLE archive.old_orders (id int)",
            f"GRANT USAGE ON SCHEMA archive TO {reader}",
            f"GRANT SELECT ON ALL TABLES IN SCHEMA public, archive TO {reader}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {writer}",
            f"GRANT CREATE ON SCHEMA public TO {writer}",
            "CREATE TABLE notes (id int)",
            f"ALTER TABLE notes OWNER TO {writer}",
        ):
            conn.exec_driver_sql(statement)
    yield reader, writer
    with database.connect() as conn:
        for role in (reader, writer):
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
    with admin.connect() as conn:
        for role in (reader, writer):
            conn.exec_driver_sql(f"DROP ROLE {role}")
    database.dispose()
    admin.dispose()


@pytest.mark.postgresql
def test_postgresql_read_only_role_counts_what_it_may_read(
    postgres_url: str, postgres_roles: tuple[str, str]
) -> None:
    reader = postgres_roles[0]
    # `notes` was made after the grant: the role may not read it.
    assert check_source(_source(postgres_url, reader), PASSWORD) == SourceCheck(tables=2)
    in_archive = _source(postgres_url, reader, options=(("schema", "archive"),))
    assert check_source(in_archive, PASSWORD) == SourceCheck(tables=1)


@pytest.mark.postgresql
def test_postgresql_writer_is_summarised_per_schema(
    postgres_url: str, postgres_roles: tuple[str, str]
) -> None:
    writer = postgres_roles[1]
    check = check_source(_source(postgres_url, writer), PASSWORD)
    assert check.connected and not check.read_only
    assert check.write_privileges == (
        "CREATE on schema public",
        "INSERT/UPDATE/DELETE on 2 tables of schema public",
        "owner of 1 table of schema public",
    )
    for statement in (
        "GRANT SELECT ON ALL TABLES IN SCHEMA public TO keskinube;",
        f"REVOKE CREATE ON SCHEMA public FROM {writer};",
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN "
        f"SCHEMA public FROM {writer};",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {writer};",
        f"ALTER ROLE {writer} SET default_transaction_read_only = on;",
    ):
        assert statement in check.advice.splitlines()


@pytest.mark.postgresql
def test_postgresql_superuser_is_said_once(postgres_url: str) -> None:
    superuser = sa.make_url(postgres_url)
    check = check_source(_source(postgres_url, superuser.username or ""), superuser.password)
    assert check.write_privileges == ("superuser",)
    assert "CREATE ROLE keskinube LOGIN PASSWORD '…';" in check.advice
    assert "Or take from this role" not in check.advice  # not advice to demote a superuser


@pytest.mark.postgresql
def test_postgresql_failures_are_clear(
    postgres_url: str, postgres_roles: tuple[str, str], silent_port: int
) -> None:
    reader = postgres_roles[0]
    _assert_error(
        check_source(_source(postgres_url, reader, database="no_such_db"), PASSWORD),
        "sources.check.unknown_database",
        "has no database named 'no_such_db'",
        "no tiene ninguna base de datos llamada 'no_such_db'",
    )
    _assert_error(
        check_source(_source(postgres_url, reader, options=(("schema", "nope"),)), PASSWORD),
        "sources.check.no_schema",
        "has no schema 'nope'",
        "no tiene ningún esquema 'nope'",
    )
    _assert_error(
        check_source(_source(postgres_url, reader, host="no-such-host.invalid"), PASSWORD),
        "sources.check.unknown_host",
        "'no-such-host.invalid' cannot be found",
        "No se encuentra el host 'no-such-host.invalid'",
    )
    _assert_error(
        check_source(_source(postgres_url, reader, host="127.0.0.1", port=1), PASSWORD),
        "sources.check.refused",
        "Nothing answers at 127.0.0.1:1",
        "Nada responde en 127.0.0.1:1",
    )
    # libpq waits at least 2 s, whatever is asked.
    _assert_error(
        check_source(
            _source(postgres_url, reader, host="127.0.0.1", port=silent_port),
            PASSWORD,
            timeout_s=1,
        ),
        "sources.check.timeout",
        f"127.0.0.1:{silent_port} did not answer within 1 s",
        f"127.0.0.1:{silent_port} no respondió en 1 s",
    )


@pytest.fixture(scope="module")
def postgres_with_passwords() -> Iterator[str]:
    """A private cluster that checks passwords (the shared test server trusts everyone)."""
    try:
        server = postgresql.throwaway_server(password=PASSWORD)
        url = server.__enter__()
    except postgresql.PostgresMissing as missing:
        pytest.skip(str(missing))
    try:
        yield url
    finally:
        server.__exit__(None, None, None)


@pytest.mark.postgresql
def test_postgresql_wrong_password_is_refused_without_echoing_it(
    postgres_with_passwords: str,
) -> None:
    source = _source(postgres_with_passwords, "postgres")
    assert check_source(source, PASSWORD).connected
    wrong = "Wr0ng-" + PASSWORD
    check = check_source(source, wrong)
    _assert_error(
        check,
        "sources.check.login_failed",
        "refused the user name 'postgres' or its password",
        "rechazó el usuario 'postgres' o su contraseña",
    )
    assert check.error is not None and wrong not in check.error.render("en")


# --- SQLite --------------------------------------------------------------------------


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder any account may enter (pytest's tmp_path is its owner's only)."""
    folder = Path(tempfile.mkdtemp(prefix="kk-source-check-"))
    folder.chmod(0o755)
    yield folder
    for path in folder.iterdir():
        path.chmod(0o644)
        path.unlink()
    folder.rmdir()


def _sqlite_file(folder: Path) -> Path:
    path = folder / "shop.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE orders (id INTEGER PRIMARY KEY)")
        conn.exec_driver_sql("CREATE TABLE customers (id INTEGER PRIMARY KEY)")
    engine.dispose()
    return path


@contextmanager
def _unprivileged() -> Iterator[None]:
    """Root may write any file: as root, look at the file as `nobody` does."""
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)


def _sqlite(path: Path | str) -> DataSource:
    return DataSource(name="shop", kind="sqlite", database=str(path))


def test_sqlite_read_only_file_can_only_be_read(shared_folder: Path) -> None:
    path = _sqlite_file(shared_folder)
    path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    with _unprivileged():
        check = check_source(_sqlite(path), None)
    assert check == SourceCheck(tables=2)


def test_sqlite_writable_file_is_reported_with_advice(tmp_path: Path) -> None:
    path = _sqlite_file(tmp_path)
    check = check_source(_sqlite(path), None)
    assert check.tables == 2
    assert check.write_privileges == ("the file is writable by Keskinube's user",)
    assert f"chmod a-w '{path}'" in check.advice
    assert "query_only" in check.advice


def test_sqlite_missing_file_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.sqlite"
    _assert_error(
        check_source(_sqlite(missing), None),
        "sources.check.no_file",
        f"There is no SQLite file at {missing}",
        f"No hay ningún fichero SQLite en {missing}",
    )
    assert not missing.exists()
    _assert_error(
        check_source(_sqlite(tmp_path), None),  # a folder is no SQLite file either
        "sources.check.no_file",
        "There is no SQLite file",
        "No hay ningún fichero SQLite",
    )


def test_sqlite_file_that_is_not_a_database_is_named(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database, only words " * 100, encoding="utf-8")
    _assert_error(
        check_source(_sqlite(notes), None),
        "sources.check.not_sqlite",
        "is not a SQLite database",
        "no es una base de datos SQLite",
    )
