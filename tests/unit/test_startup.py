"""Start-up refusals: bad settings stop Keskinube with one line, in the terminal and the page.

`keskinube serve` runs the app's start-up check before it starts the web server, so a bad
ADMIN_PASSWORD ends the process at once (status 2, one line, no traceback) and no page is
ever served; the page itself, started with `streamlit run` directly, shows the same line
alone (no navigation) and prints it in the server's terminal.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cli import main, serve_cmd
from tests.support.app_server import ROOT, free_port
from tests.support.apptest import clear_caches
from ui import startup

APP = ROOT / "ui" / "app.py"
BAD_PASSWORD_LINE = "ADMIN_PASSWORD: The password must have at least 10 characters."


@pytest.fixture
def bad_admin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Settings naming a first admin whose password breaks the rules, on an empty app DB."""
    env = {
        "APP_DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite'}",
        "QDRANT_PATH": ":memory:",
        "OLLAMA_BASE_URL": "http://127.0.0.1:9",
        "AUTH_COOKIE_KEY": "unit-cookie-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "ADMIN_USERNAME": "boss",
        "ADMIN_PASSWORD": "short",
        "KESKINUBE_LANGUAGE": "en",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    clear_caches()
    startup._print_once.cache_clear()
    yield env
    clear_caches()


def test_serve_refuses_a_bad_admin_password_in_one_line_before_serving(
    bad_admin: dict[str, str],
) -> None:
    port = free_port()
    code = "import sys; from cli import main; sys.exit(main())"
    done = subprocess.run(
        [sys.executable, "-c", code, "serve", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, **bad_admin, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"keskinube: {BAD_PASSWORD_LINE}"]
    assert "Traceback" not in done.stdout + done.stderr


def test_check_names_an_unreachable_app_database_in_one_line(
    bad_admin: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APP_DATABASE_URL", "mysql+pymysql://nobody@127.0.0.1:1/app")
    clear_caches()
    assert main(["check"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == (
        "keskinube: Keskinube can't open its app database (APP_DATABASE_URL); see the server log."
    )
    assert not any("Traceback" in line for line in err)


def test_serve_starts_streamlit_only_after_the_check_passes(
    bad_admin: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADMIN_PASSWORD", "A-long-enough-Passw0rd")
    clear_caches()
    started: list[list[str]] = []
    monkeypatch.setattr(serve_cmd.os, "execv", lambda _path, argv: started.append(argv))
    assert main(["check"]) == 0
    assert main(["serve", "--port", "8599", "--address", "0.0.0.0"]) == 0
    assert started == [
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "ui" / "app.py"),
            "--server.port",
            "8599",
            "--server.headless",
            "true",
            "--server.address",
            "0.0.0.0",
        ]
    ]


def test_the_page_shows_the_same_line_alone_and_prints_it_in_the_terminal(
    bad_admin: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    shown = [e.value.replace("\\", "").replace("\u2060", "") for e in at.error]
    assert shown == [BAD_PASSWORD_LINE]
    assert not at.text_input  # no login form
    assert not at.sidebar.children  # nothing else drawn, no navigation of page files
    at.run()  # a second run does not print the line again
    assert capsys.readouterr().err.count(f"keskinube: {BAD_PASSWORD_LINE}\n") == 1
