"""Fixtures shared by every test tier: a real MariaDB, a real PostgreSQL, clean settings."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from backend.config import Settings, get_settings
from tests.support import postgresql
from tests.support.mariadb import scratch_database, throwaway_server

# Helpers that assert on a test's behalf: show their failures as fully as a test's own.
pytest.register_assert_rewrite("tests.support.guard_db")

pytest_plugins = [
    "tests.support.auth_fixtures",
    "tests.support.fixtures_ollama",
    "tests.support.fixtures_browser",
    "tests.support.api_fixtures",
    "tests.support.fixtures_apptest",
]


@pytest.fixture(scope="session")
def mysql_server_url() -> Iterator[str]:
    """URL of a MariaDB server the tests may create databases on (no database part)."""
    configured = os.environ.get("TEST_MYSQL_URL")
    if configured:
        yield configured
        return
    with throwaway_server() as url:
        yield url


@pytest.fixture
def mysql_url(mysql_server_url: str) -> Iterator[str]:
    """A fresh, empty database on the test server, dropped after the test."""
    with scratch_database(mysql_server_url) as url:
        yield url


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """URL of a PostgreSQL server the tests may create databases on (its `postgres`
    database); the tests that need it skip, saying why, when PostgreSQL is not installed."""
    configured = os.environ.get("TEST_POSTGRES_URL")
    if configured:
        yield configured
        return
    try:
        server = postgresql.throwaway_server()
        url = server.__enter__()
    except postgresql.PostgresMissing as missing:
        pytest.skip(str(missing))
    try:
        yield url
    finally:
        server.__exit__(None, None, None)


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database on the test server, dropped after the test."""
    with postgresql.scratch_database(postgres_server_url) as url:
        yield url


# Every setting's variable, and the locale variables the CLI reads its language from.
_PRODUCT_VARIABLES = frozenset(
    {str(field.validation_alias or name).upper() for name, field in Settings.model_fields.items()}
    | {"LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"}
)


@pytest.fixture(autouse=True)
def _isolated_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Tests never read the developer's .env or data folder."""
    for name in list(os.environ):
        if name.upper() in _PRODUCT_VARIABLES or name.startswith(
            ("KESKINUBE_", "OLLAMA_", "QDRANT_")
        ):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KESKINUBE_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
