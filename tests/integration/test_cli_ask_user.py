"""`keskinube ask` answers as a named user: their role, access rules and row filters apply,
and the run is audited with the CLI as its source (scripted Ollama, demo on SQLite, app
database on SQLite)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from auth.services import AuthServices, open_auth
from backend.config import get_settings
from cli import main
from demo_data import build_demo_database
from testkit.scripted_ollama import ScriptedOllama, when
from tests.support.runs import recorded_runs

PASSWORD = "Correct-Horse-Battery-9"
COUNT_SQL = "SELECT COUNT(*) AS customers FROM customers"


@pytest.fixture(scope="module")
def demo_sqlite(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli-user') / 'demo.sqlite'}"
    build_demo_database(url, orders=200)
    return url


@pytest.fixture
def cli_env(
    demo_sqlite: str,
    scripted_ollama: ScriptedOllama,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[AuthServices]:
    """The CLI's environment, the first admin `boss`, and the auth services beside it."""
    app_db = f"sqlite:///{tmp_path / 'app.sqlite'}"
    for name, value in {
        "DATABASE_URL": demo_sqlite,
        "APP_DATABASE_URL": app_db,
        "OLLAMA_BASE_URL": scripted_ollama.url,
        "OLLAMA_MODEL": scripted_ollama.chat_model,
        "OLLAMA_EMBED_MODEL": scripted_ollama.embed_model,
        "QDRANT_PATH": str(tmp_path / "qdrant"),
        "ADMIN_USERNAME": "boss",
        "ADMIN_PASSWORD": PASSWORD,
        "KESKINUBE_LANGUAGE": "en",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CLI_USER", raising=False)
    assert main(["index", "--no-progress"]) == 0
    auth = open_auth(app_db, admin_username="boss", admin_password=PASSWORD)
    scripted_ollama.add(when("how many customers", reply=f"```sql\n{COUNT_SQL}\n```"))
    yield auth
    auth.close()


def count(url: str, where: str = "") -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        value = conn.exec_driver_sql(f"{COUNT_SQL} {where}").scalar()
    engine.dispose()
    return int(value or 0)


def asked(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict | str]:
    code = main(["ask", "How many customers?", *args])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if code == 0 else captured.err


def test_ask_answers_as_the_named_user_under_their_row_filter(
    cli_env: AuthServices, demo_sqlite: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cli_env.users.create_user(
        "ana", role="analyst", password=PASSWORD, attributes={"region_id": "2"}
    )
    cli_env.policies.add_row_filter("customers", "region_id = :user.region_id", role="analyst")
    code, as_boss = asked(capsys, "--json")
    assert code == 0 and isinstance(as_boss, dict)
    code, as_ana = asked(capsys, "--json", "--user", "ana")
    assert code == 0 and isinstance(as_ana, dict)
    assert as_boss["rows"] == [[count(demo_sqlite)]]
    assert as_ana["rows"] == [[count(demo_sqlite, "WHERE region_id = 2")]]
    assert as_ana["rows"] != as_boss["rows"]
    runs = [e for e in cli_env.audit.query().entries if e.event == "sql_run"]
    assert [(e.username, e.source) for e in runs] == [("ana", "cli"), ("boss", "cli")]
    assert "region_id = '2'" in (runs[0].sql or "")
    recorded = [(r["username"], r["source"], r["outcome"]) for r in recorded_runs(cli_env.engine)]
    assert recorded == [("boss", "cli", "answered"), ("ana", "cli", "answered")]


def test_cli_user_setting_names_the_default_user(
    cli_env: AuthServices,
    demo_sqlite: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cli_env.users.create_user("rob", role="analyst", password=PASSWORD)
    cli_env.policies.set_allowed_tables("analyst", ["products"])
    monkeypatch.setenv("CLI_USER", "rob")
    get_settings.cache_clear()  # the settings are read once per process
    code, _ = asked(capsys, "--json")
    assert code == 1  # the analyst may not read customers: no answer, and it says so
    runs = [e for e in cli_env.audit.query().entries if e.event == "sql_run"]
    assert [(e.username, e.source) for e in runs] == [("rob", "cli")]
    recorded = [(r["username"], r["source"], r["outcome"]) for r in recorded_runs(cli_env.engine)]
    assert recorded == [("rob", "cli", "refused")]


@pytest.mark.parametrize("who", ["nobody", "off"])
def test_an_unknown_or_disabled_user_is_refused_in_one_line(
    cli_env: AuthServices, capsys: pytest.CaptureFixture[str], who: str
) -> None:
    cli_env.users.create_user("off", role="analyst", password=PASSWORD)
    cli_env.users.disable("off")
    code, said = asked(capsys, "--user", who)
    assert code == 2 and isinstance(said, str)
    assert f"No active user named {who}" in said and "Traceback" not in said
    assert not [e for e in cli_env.audit.query().entries if e.event == "sql_run"]
