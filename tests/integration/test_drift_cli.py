"""`keskinube drift check` on a SQLite business database: in sync after `index`, exit 1
with the changes listed once a column is added, `--reindex` brings it back, `--json`
prints the check; every check is recorded for the Monitoring page (scripted Ollama,
embedded Qdrant in a folder, app database on SQLite)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from appdb.engine import create_app_engine
from backend.monitoring.schema_checks import SchemaCheckStore
from cli import main
from testkit.scripted_ollama import ScriptedOllama


@pytest.fixture
def shop(scripted_ollama: ScriptedOllama, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'shop.sqlite'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE orders (id INTEGER PRIMARY KEY, amount REAL)")
    engine.dispose()
    for name, value in {
        "DATABASE_URL": url,
        "APP_DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite'}",
        "OLLAMA_BASE_URL": scripted_ollama.url,
        "OLLAMA_MODEL": scripted_ollama.chat_model,
        "OLLAMA_EMBED_MODEL": scripted_ollama.embed_model,
        "QDRANT_PATH": str(tmp_path / "qdrant"),
        "KESKINUBE_LANGUAGE": "en",
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["index", "--no-progress"]) == 0
    return url


def test_drift_check_lists_changes_and_reindexes_on_demand(
    shop: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["drift", "check"]) == 0
    assert "the schema matches the index" in capsys.readouterr().out
    engine = sa.create_engine(shop)
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE orders ADD COLUMN discount REAL")
    engine.dispose()
    assert main(["drift", "check"]) == 1
    out = capsys.readouterr().out
    assert "1 change since the last index run" in out
    assert "column added: orders.discount (REAL)" in out
    assert main(["drift", "check", "--json"]) == 1
    printed = json.loads(capsys.readouterr().out)
    assert printed["in_sync"] is False
    assert printed["changes"] == [
        {"kind": "column", "change": "added", "table": "orders", "name": "discount",
         "before": "", "after": "REAL"}
    ]  # fmt: skip
    assert main(["drift", "check", "--reindex"]) == 0
    assert "1 updated" in capsys.readouterr().out
    assert main(["drift", "check"]) == 0
    app_db = create_app_engine(f"sqlite:///{tmp_path / 'app.sqlite'}")
    history = SchemaCheckStore(app_db).history()
    app_db.dispose()
    assert [(c.in_sync, c.reindexed_by) for c in history] == [
        (True, "cli"),
        (False, None),
        (True, None),
    ]
