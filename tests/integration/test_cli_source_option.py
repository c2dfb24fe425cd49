"""`--source NAME` on the commands that work on a business database: the added source's
own database, index and knowledge, the asker's rules on it, and a name nobody may use
(scripted Ollama, embedded Qdrant in a folder, app database and both databases on
SQLite)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from auth.services import open_auth
from backend.config import get_settings
from backend.sources import DataSource
from cli import main
from demo_data import build_demo_database
from testkit.scripted_ollama import ScriptedOllama, when
from wiring.sources import source_store


@pytest.fixture
def hr(scripted_ollama: ScriptedOllama, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    main_url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    build_demo_database(main_url, orders=100)
    for name, value in {
        "DATABASE_URL": main_url,
        "APP_DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite'}",
        "OLLAMA_BASE_URL": scripted_ollama.url,
        "OLLAMA_MODEL": scripted_ollama.chat_model,
        "OLLAMA_EMBED_MODEL": scripted_ollama.embed_model,
        "QDRANT_PATH": str(tmp_path / "qdrant"),
        "KESKINUBE_LANGUAGE": "en",
    }.items():
        monkeypatch.setenv(name, value)
    path = tmp_path / "hr.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE staff (id INTEGER PRIMARY KEY, name TEXT, salary REAL)")
        conn.executemany("INSERT INTO staff VALUES (?, ?, ?)", [(1, "Ann", 10), (2, "Bo", 20)])
    source_store(get_settings()).add(DataSource("hr", "sqlite", database=str(path)), None)
    return str(path)


def test_index_ask_and_drift_on_an_added_source(
    hr: str, scripted_ollama: ScriptedOllama, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["index", "--source", "hr", "--no-progress"]) == 0
    assert "indexed src_hr: 1 added" in capsys.readouterr().out
    assert main(["drift", "check", "--source", "hr"]) == 0
    assert "src_hr" in capsys.readouterr().out

    auth = open_auth(get_settings().app_db_url)
    auth.users.create_user("ana", role="analyst", password="Analyst-cli-Passw0rd-1")
    auth.policies.set_source_allowed("analyst", "hr", True)
    auth.policies.set_denied_columns("analyst", ["staff.salary"], source="hr")
    auth.close()
    scripted_ollama.add(
        when("Who works here?", reply="```sql\nSELECT name FROM staff ORDER BY name\n```"),
        when("What do they earn?", reply="```sql\nSELECT name, salary FROM staff\n```"),
    )
    assert main(["ask", "--source", "hr", "--user", "ana", "Who works here?"]) == 0
    out = capsys.readouterr().out
    assert "Ann" in out and "Bo" in out
    # hr's rule holds for her there: the salary column is hers to see nowhere on hr.
    assert main(["ask", "--source", "hr", "--user", "ana", "What do they earn?"]) == 1
    # Bo's salary (20) nowhere; the run's timings line ("timings: generate 20 ms, ...")
    # holds whatever numbers the clock gave, so it is left out.
    lines = capsys.readouterr().out.splitlines()
    assert not [line for line in lines if "20" in line and not line.startswith("timings: ")]


@pytest.mark.parametrize("name", ["nope", "hr"])
def test_a_source_the_user_may_not_use_is_refused_alike(
    hr: str, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    auth = open_auth(get_settings().app_db_url)
    auth.users.create_user("mo", role="manager", password="Manager-cli-Passw0rd-1")
    auth.close()
    assert main(["ask", "--source", name, "--user", "mo", "Who works here?"]) == 2
    assert f"There is no data source '{name}' you can use." in capsys.readouterr().err
