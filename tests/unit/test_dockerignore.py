"""The app image's build context: what `.dockerignore` lets in, read the way Docker reads it.

No Docker engine runs here, so the rules are evaluated as Docker's pattern matcher does:
Go `filepath.Match` patterns (`*` and `?` stop at `/`, `**` spans folders), the last
matching rule wins, and a rule that matches a folder matches everything below it.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _rules() -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        include = line.startswith("!")
        pattern = line.removeprefix("!").strip().strip("/")
        rules.append((include, re.compile(_translate(pattern))))
    return rules


def _translate(pattern: str) -> str:
    out = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            out.append(".*")
            index += 2
        elif pattern[index] == "*":
            out.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            out.append("[^/]")
            index += 1
        else:
            out.append(re.escape(pattern[index]))
            index += 1
    return "".join(out) + r"\Z"


def in_context(path: str) -> bool:
    """True when Docker would send `path` (relative, with `/`) to the build."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    included = True
    for include, pattern in _rules():
        if any(pattern.match(prefix) for prefix in prefixes):
            included = include
    return included


SECRETS_AND_STATE = [
    ".env",
    ".env.local",
    "data/app.sqlite",
    "data/demo.sqlite",
    "data/qdrant/collection/x/storage.sqlite",
    ".venv/bin/python",
    ".venv/lib/python3.11/site-packages/x.py",
    ".git/config",
    ".streamlit/secrets.toml",
    "tests/e2e/artifacts/trace.zip",
    "backend/.env",
    "ui/__pycache__/app.cpython-311.pyc",
    "backend/local.sqlite",
    "bench/results/eval.json",
    ".pytest_cache/v/cache/lastfailed",
    "notes.txt",
]


@pytest.mark.parametrize("path", SECRETS_AND_STATE)
def test_secrets_and_local_state_never_reach_the_image(path: str) -> None:
    assert not in_context(path), path


def _tracked(*folders: str) -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", *folders], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return [line for line in listed.stdout.splitlines() if line]


def test_everything_the_app_runs_is_in_the_context() -> None:
    needed = _tracked("appdb", "backend", "vectorstore", "auth", "wiring", "cli", "ui", "api")
    needed += ["README.md", "pyproject.toml", "requirements.txt", ".streamlit/config.toml"]
    assert len(needed) > 50
    missing = [path for path in needed if not in_context(path)]
    assert missing == []


TOOLING = [
    "evaluation/runner.py",
    "demo_data/generator.py",
    "testkit/scripted_ollama.py",
    "tests/conftest.py",
    "bench/harness.py",
]


@pytest.mark.parametrize("path", TOOLING)
def test_tooling_the_app_never_runs_stays_out_of_the_image(path: str) -> None:
    assert (ROOT / path).is_file(), f"{path} moved: update this list"
    assert not in_context(path), path


def test_the_entrypoint_the_dockerfile_names_is_in_the_context() -> None:
    dockerfile = (ROOT / "docker/app.Dockerfile").read_text()
    entrypoint = re.search(r'ENTRYPOINT \["bash", "([^"]+)"\]', dockerfile)
    assert entrypoint is not None
    assert in_context(entrypoint.group(1))
    assert not in_context("docker/mysql/02-demo-data.sql.gz")


def test_the_app_runs_as_a_fixed_unprivileged_user() -> None:
    dockerfile = (ROOT / "docker/app.Dockerfile").read_text()
    users = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert users, "the image must switch away from root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    assert dockerfile.rfind("USER ") > dockerfile.rfind("RUN "), "nothing runs as root after USER"


def test_every_image_is_pinned() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name, service in compose["services"].items():
        image = service.get("image")
        if image is None:
            continue
        tag = image.rpartition(":")[2] if ":" in image else ""
        assert tag and tag != "latest" and re.search(r"\d", tag), f"{name}: {image}"


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("*", "a", True),
        ("*", "a/b", False),
        ("**/x", "x", True),
        ("**/x", "a/b/x", True),
        ("a/**", "a/b/c", True),
        ("?.py", "a.py", True),
        ("?.py", "ab.py", False),
    ],
)
def test_the_rule_reader_follows_go_patterns(pattern: str, path: str, expected: bool) -> None:
    assert bool(re.match(_translate(pattern), path)) is expected
