"""`keskinube api`: refuses to start in one line, or serves the API until stopped.

Real processes: the command as a user runs it, the scripted model in the test's process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from demo_data import build_demo_database
from testkit.scripted_ollama import ScriptedOllama
from tests.support.app_server import ROOT, free_port
from vectorstore.client import open_qdrant

COMMAND = [sys.executable, "-c", "import sys; from cli import main; sys.exit(main())", "api"]


def environment(tmp_path: Path, **values: str) -> dict[str, str]:
    settings = {
        "KESKINUBE_DATA_DIR": str(tmp_path / "data"),
        "APP_DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite'}",
        "QDRANT_PATH": ":memory:",
        "OLLAMA_BASE_URL": "http://127.0.0.1:9",
        "KESKINUBE_LANGUAGE": "en",
        **values,
    }
    return {**os.environ, **settings, "PYTHONPATH": str(ROOT)}


def refusal(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    port = str(free_port())
    return subprocess.run(
        [*COMMAND, "--port", port], cwd=ROOT, env=env, capture_output=True, text=True, timeout=90
    )


def test_a_bad_setting_stops_it_in_one_line(tmp_path: Path) -> None:
    done = refusal(environment(tmp_path, API_RATE_LIMIT="lots"))
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith("keskinube: Invalid configuration — API_RATE_LIMIT:")


def test_an_embedded_qdrant_folder_in_use_stops_it_in_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "qdrant"
    holder = open_qdrant(url=None, path=str(folder))  # as the running web app would
    try:
        done = refusal(environment(tmp_path, QDRANT_PATH=str(folder)))
    finally:
        holder.close()
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert "in use by another Keskinube process" in line and "QDRANT_URL" in line
    assert "Traceback" not in done.stdout + done.stderr


def test_it_indexes_then_serves_until_stopped(
    tmp_path: Path, scripted_ollama: ScriptedOllama
) -> None:
    demo = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    build_demo_database(demo, orders=200, replace=True)
    env = environment(
        tmp_path,
        DATABASE_URL=demo,
        OLLAMA_BASE_URL=scripted_ollama.url,
        OLLAMA_MODEL=scripted_ollama.chat_model,
        OLLAMA_EMBED_MODEL=scripted_ollama.embed_model,
    )
    port = free_port()
    log = (tmp_path / "api.log").open("wb")
    process = subprocess.Popen(
        [*COMMAND, "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    try:
        health = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and process.poll() is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.3)
        assert health is not None, (tmp_path / "api.log").read_text()[-3000:]
        assert health.json() == {"ok": True, "database": True, "model": True, "vectors": True}
        assert scripted_ollama.embed_count > 0  # the schema was indexed at start-up
        docs = httpx.get(f"http://127.0.0.1:{port}/docs", timeout=5)
        assert docs.status_code == 200 and "swagger" in docs.text.lower()
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
    logged = (tmp_path / "api.log").read_text()
    # uvicorn shuts down cleanly, then raises SIGTERM again for the default exit status.
    assert "Application shutdown complete" in logged and "Traceback" not in logged


@pytest.mark.parametrize("flag", ["--host", "--port"])
def test_the_help_names_its_options(flag: str) -> None:
    done = subprocess.run(
        [*COMMAND, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert flag in done.stdout
