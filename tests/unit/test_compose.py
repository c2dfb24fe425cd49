"""docker-compose.yml: no Docker engine runs here, so check what can be checked statically."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_defines_the_services_in_order(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"app", "mysql", "qdrant", "ollama", "ollama-pull"} <= set(services)
    assert services["mysql"]["image"].startswith("mysql:8")
    assert services["qdrant"]["image"].startswith("qdrant/qdrant")
    assert services["ollama"]["image"].startswith("ollama/ollama")
    depends = services["app"]["depends_on"]
    assert depends["mysql"]["condition"] == "service_healthy"
    assert depends["qdrant"]["condition"] == "service_healthy"
    assert depends["ollama-pull"]["condition"] == "service_completed_successfully"
    assert services["ollama-pull"]["depends_on"]["ollama"]["condition"] == "service_healthy"
    for name in ("app", "mysql", "qdrant", "ollama"):
        assert "healthcheck" in services[name], name


def test_the_api_runs_beside_the_app_from_the_same_image(compose: dict[str, Any]) -> None:
    services = compose["services"]
    api, app = services["api"], services["app"]
    assert api["build"] == app["build"]
    assert [*api["entrypoint"], *api["command"]][:2] == ["keskinube", "api"]
    assert api["environment"]["QDRANT_URL"], "embedded Qdrant is one process at a time"
    assert api["depends_on"] == app["depends_on"]
    assert "/v1/health" in " ".join(api["healthcheck"]["test"])
    for name in ("DATABASE_URL", "APP_DATABASE_URL", "KESKINUBE_ENV"):
        assert api["environment"][name] == app["environment"][name]


def test_compose_pulls_both_models(compose: dict[str, Any]) -> None:
    pull = compose["services"]["ollama-pull"]
    command = " ".join(pull["entrypoint"])
    assert "$$OLLAMA_MODEL" in command and "$$OLLAMA_EMBED_MODEL" in command


def test_every_file_the_compose_file_names_exists(compose: dict[str, Any]) -> None:
    app = compose["services"]["app"]
    assert (ROOT / app["build"]["context"] / app["build"]["dockerfile"]).is_file()
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), volume
            else:
                assert source in compose["volumes"], volume


def test_app_image_uses_the_readme_install_step() -> None:
    dockerfile = (ROOT / "docker/app.Dockerfile").read_text()
    makefile = (ROOT / "Makefile").read_text()
    for step in ("pip install --quiet -r requirements.txt", "pip install --quiet --no-deps -e ."):
        assert step in dockerfile
        assert step in makefile
    assert "make run" in (ROOT / "README.md").read_text()
    entrypoint = re.search(r'ENTRYPOINT \["bash", "([^"]+)"\]', dockerfile)
    assert entrypoint and (ROOT / entrypoint.group(1)).is_file()


def test_compose_takes_secrets_from_the_environment(compose: dict[str, Any]) -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    for secret in (
        "MYSQL_ROOT_PASSWORD",
        "KESKINUBE_RO_PASSWORD",
        "AUTH_COOKIE_KEY",
        "SOURCES_KEY",
        "ADMIN_PASSWORD",
    ):
        assert re.search(rf"\$\{{{secret}:\?", text), f"{secret} must be required from the env"
    env = compose["services"]["app"]["environment"]
    assert env["KESKINUBE_ENV"] == "prod"
    assert "keskinube_ro:" in env["DATABASE_URL"], "the app reads the business DB read-only"
