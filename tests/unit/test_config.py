"""Settings: defaults that work on a laptop, and one clear line for a bad value."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from backend.config import Settings, load_settings
from backend.errors import SettingsError

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PRODUCT_PACKAGES = ("api", "appdb", "auth", "backend", "cli", "ui", "vectorstore", "wiring")
ENVIRONMENT_READS = {"environ", "environb", "getenv", "getenvb"}


def environment_reads(source: str) -> list[int]:
    """Lines of `source` that name os.environ / os.getenv (attribute or imported name)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in ENVIRONMENT_READS:
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            lines += [node.lineno for name in node.names if name.name in ENVIRONMENT_READS]
    return sorted(lines)


def test_defaults_use_embedded_stores_under_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KESKINUBE_DATA_DIR", "/srv/kk")
    settings = load_settings()
    assert settings.business_database_url == "sqlite:////srv/kk/demo.sqlite"
    assert settings.app_db_url == "sqlite:////srv/kk/app.sqlite"
    assert settings.qdrant_location == "/srv/kk/qdrant"
    assert settings.qdrant_url is None
    assert settings.ollama_base_url == "http://localhost:11434"
    assert settings.ollama_model == "qwen2.5-coder:7b"
    assert settings.ollama_embed_model == "nomic-embed-text"
    assert settings.keskinube_env == "dev"
    assert settings.uses_demo_database


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql+pymysql://ro:pw@db:3306/sales")
    monkeypatch.setenv("QDRANT_URL", "http://qdrant:6333/")
    monkeypatch.setenv("ROW_LIMIT", "250")
    monkeypatch.setenv("QUERY_TIMEOUT_S", "7.5")
    settings = load_settings()
    assert settings.business_database_url == "mysql+pymysql://ro:pw@db:3306/sales"
    assert settings.qdrant_url == "http://qdrant:6333"
    assert settings.row_limit == 250
    assert settings.query_timeout_s == 7.5
    assert not settings.uses_demo_database


def test_dotenv_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("OLLAMA_MODEL=llama3.1:8b\n")
    assert load_settings().ollama_model == "llama3.1:8b"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("ROW_LIMIT", "-5", "ROW_LIMIT"),
        ("ROW_LIMIT", "many", "ROW_LIMIT"),
        ("QUERY_TIMEOUT_S", "0", "QUERY_TIMEOUT_S"),
        ("DATABASE_URL", "not a url", "DATABASE_URL"),
        ("APP_DATABASE_URL", "://", "APP_DATABASE_URL"),
        ("OLLAMA_BASE_URL", "localhost:11434", "OLLAMA_BASE_URL"),
        ("OLLAMA_BASE_URL", "http://host:port", "OLLAMA_BASE_URL"),
        ("QDRANT_URL", "ftp://qdrant", "QDRANT_URL"),
        ("KESKINUBE_ENV", "staging", "KESKINUBE_ENV"),
        ("MAX_RETRIES", "99", "MAX_RETRIES"),
    ],
)
def test_bad_value_names_the_variable_in_one_line(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message


@pytest.mark.parametrize("key", [None, "change-me", "short-key"])
def test_prod_refuses_missing_or_sample_cookie_key(
    monkeypatch: pytest.MonkeyPatch, key: str | None
) -> None:
    monkeypatch.setenv("KESKINUBE_ENV", "prod")
    if key is not None:
        monkeypatch.setenv("AUTH_COOKIE_KEY", key)
    with pytest.raises(SettingsError, match="AUTH_COOKIE_KEY"):
        load_settings()


def test_prod_accepts_a_long_random_cookie_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KESKINUBE_ENV", "prod")
    monkeypatch.setenv("AUTH_COOKIE_KEY", "x" * 16 + "7Gq2!pL0zR9mV4tB8nW3kE6yH1sD5fJ")
    monkeypatch.setenv("SOURCES_KEY", Fernet.generate_key().decode())
    assert load_settings().keskinube_env == "prod"


@pytest.mark.parametrize("key", [None, "", "not-a-fernet-key", "x" * 44])
def test_prod_refuses_a_missing_or_malformed_sources_key(
    monkeypatch: pytest.MonkeyPatch, key: str | None
) -> None:
    monkeypatch.setenv("KESKINUBE_ENV", "prod")
    monkeypatch.setenv("AUTH_COOKIE_KEY", "x" * 16 + "7Gq2!pL0zR9mV4tB8nW3kE6yH1sD5fJ")
    if key is not None:
        monkeypatch.setenv("SOURCES_KEY", key)
    with pytest.raises(SettingsError, match="SOURCES_KEY"):
        load_settings()


def test_dev_makes_its_own_sources_key_once_readable_by_the_owner_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SOURCES_KEY", raising=False)
    monkeypatch.setenv("KESKINUBE_DATA_DIR", str(tmp_path))
    first = load_settings().sources_secret
    assert load_settings().sources_secret == first
    assert Fernet(first)  # a usable key
    assert (tmp_path / "sources.key").stat().st_mode & 0o777 == 0o600


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = README.read_text()
    for name, field in Settings.model_fields.items():
        variable = field.validation_alias if isinstance(field.validation_alias, str) else name
        assert re.search(rf"`{variable.upper()}`", readme), f"{variable.upper()} not in README"


def test_only_the_settings_read_the_environment() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for package in PRODUCT_PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for line in environment_reads(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "read it as a field of backend.config.Settings and pass it in"


def test_the_environment_rule_catches_each_form() -> None:
    source = "import os\nfrom os import getenv\na = os.environ['X']\nb = os.getenv('Y')\n"
    assert environment_reads(source) == [2, 3, 4]
    assert environment_reads("settings.environment\n") == []
