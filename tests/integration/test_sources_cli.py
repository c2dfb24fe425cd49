"""`keskinube sources ...` end to end through `cli.main`: add (the password from standard
input only, kept encrypted), list and test without ever printing it, refusing what cannot
connect or is the app database itself, remove, and reindex a SQLite source (scripted
Ollama, embedded Qdrant in a folder, app database on SQLite)."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from appdb.engine import create_app_engine
from appdb.tables import data_sources, role_policies
from cli import main
from testkit.scripted_ollama import ScriptedOllama

PASSWORD = "Cli-pa55word-src"


@pytest.fixture
def app_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "app.sqlite"
    for name, value in {
        "APP_DATABASE_URL": f"sqlite:///{path}",
        "SOURCES_KEY": Fernet.generate_key().decode(),
        "QDRANT_PATH": str(tmp_path / "qdrant"),
        "KESKINUBE_LANGUAGE": "en",
    }.items():
        monkeypatch.setenv(name, value)
    return path


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    path = tmp_path / "shop.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE orders (id INTEGER PRIMARY KEY, amount REAL)")
    engine.dispose()
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["sources", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _rows(app_db: Path, table: sa.Table) -> list[dict[str, object]]:
    engine = create_app_engine(f"sqlite:///{app_db}")
    with engine.connect() as conn:
        rows = [dict(row) for row in conn.execute(sa.select(table)).mappings()]
    engine.dispose()
    return rows


def test_add_sqlite_source_lets_roles_use_it_and_warns_that_the_file_is_writable(
    app_db: Path, shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _run(
        capsys, "add", "--name", "shop", "--kind", "sqlite", "--database", str(shop),
        "--description", "Orders of the shop", "--allow-role", "analyst",
    )  # fmt: skip
    assert status == 0, err
    assert "Connected: the account can read 1 table." in out
    assert f"Added data source shop (sqlite, {shop})." in out
    assert "The analyst role may use shop." in out
    assert "can do more than read" in err and "chmod a-w" in err
    status, out, _ = _run(capsys, "list")
    assert status == 0
    header, main_row, shop_row = out.splitlines()
    assert header.split() == ["name", "kind", "where", "description", "roles"]
    assert main_row.startswith("main") and shop_row.startswith("shop")
    assert "Orders of the shop" in shop_row and shop_row.endswith("admin, analyst")
    assert "manager" not in shop_row


def test_add_refuses_what_it_cannot_reach_unless_forced(
    app_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.sqlite"
    args = ("add", "--name", "gone", "--kind", "sqlite", "--database", str(missing))
    status, out, err = _run(capsys, *args)
    assert status == 1 and out == ""
    assert f"Cannot connect: There is no SQLite file at {missing}." in err
    assert "Not saved" in err
    assert not missing.exists()
    assert _rows(app_db, data_sources) == []
    status, out, err = _run(capsys, *args, "--force")
    assert status == 0 and "Added data source gone" in out and "Cannot connect" in err
    assert _run(capsys, "test", "gone")[0] == 1


def test_add_refuses_the_app_database_and_unknown_roles(
    app_db: Path, shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(capsys, "list")[0] == 0  # the app database now exists
    status, _, err = _run(
        capsys, "add", "--name", "own", "--kind", "sqlite", "--database", str(app_db)
    )
    assert status == 2 and "Keskinube's own app database" in err
    status, _, err = _run(
        capsys, "add", "--name", "x", "--kind", "sqlite", "--database", str(shop),
        "--allow-role", "intern",
    )  # fmt: skip
    assert status == 2 and "unknown role intern" in err
    assert _rows(app_db, data_sources) == []


@pytest.mark.mariadb
def test_mysql_source_password_comes_from_stdin_and_is_never_shown(
    app_db: Path,
    mysql_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = sa.make_url(mysql_url)
    user = f"kk_cli_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with admin.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE items (id INT PRIMARY KEY)")
        conn.exec_driver_sql(f"CREATE USER '{user}'@'%%' IDENTIFIED BY '{PASSWORD}'")
        conn.exec_driver_sql(f"GRANT SELECT, SHOW VIEW ON `{url.database}`.* TO '{user}'@'%%'")
    try:
        args = (
            "add", "--name", "erp", "--kind", "mysql", "--host", url.host or "",
            "--port", str(url.port), "--database", url.database or "", "--user", user,
        )  # fmt: skip
        monkeypatch.setattr("sys.stdin", io.StringIO("wrong\n"))
        status, out, err = _run(capsys, *args, "--password-stdin")
        assert status == 1 and f"refused the user name '{user}'" in err and "wrong" not in err
        monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
        status, out, err = _run(capsys, *args, "--password-stdin")
        assert status == 0, err
        assert "The account can only read." in out and err == ""
        [row] = _rows(app_db, data_sources)
        assert row["password_encrypted"] and PASSWORD not in str(row)
        status, listed, _ = _run(capsys, "list", "--json")
        status_test, tested, tested_err = _run(capsys, "test", "erp")
        assert status_test == 0 and "can read 1 table" in tested
        for printed in (out, err, listed, tested, tested_err):
            assert PASSWORD not in printed
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP USER '{user}'@'%%'")
        admin.dispose()


def test_remove_deletes_the_source_and_its_rules(
    app_db: Path, shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(
        capsys, "add", "--name", "shop", "--kind", "sqlite", "--database", str(shop),
        "--allow-role", "manager",
    )  # fmt: skip
    assert [r["source"] for r in _rows(app_db, role_policies)].count("shop") == 1
    assert _run(capsys, "remove", "shop") == (
        0,
        "Removed data source shop and its access rules.\n",
        "",
    )
    assert _rows(app_db, data_sources) == []
    assert "shop" not in [r["source"] for r in _rows(app_db, role_policies)]
    status, _, err = _run(capsys, "remove", "shop")
    assert status == 2 and "no data source 'shop'" in err
    assert shop.exists()


@pytest.fixture
def ollama_env(scripted_ollama: ScriptedOllama, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "OLLAMA_BASE_URL": scripted_ollama.url,
        "OLLAMA_MODEL": scripted_ollama.chat_model,
        "OLLAMA_EMBED_MODEL": scripted_ollama.embed_model,
    }.items():
        monkeypatch.setenv(name, value)
    yield


def test_reindex_indexes_the_source_under_its_own_name(
    app_db: Path, shop: Path, ollama_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(capsys, "add", "--name", "shop", "--kind", "sqlite", "--database", str(shop))
    status, out, err = _run(capsys, "reindex", "shop", "--no-progress")
    assert status == 0, err
    assert out.startswith("indexed shop: 1 added, 0 updated, 0 unchanged, 0 removed")
    status, out, _ = _run(capsys, "reindex", "shop", "--no-progress")
    assert "0 added, 0 updated, 1 unchanged" in out
    assert _run(capsys, "reindex", "nope", "--no-progress")[0] == 2
