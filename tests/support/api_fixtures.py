"""The HTTP API under test: a real uvicorn, the real app database (SQLite file), a real
MariaDB business database, the scripted Ollama server.

`api_stack` builds it and yields an `ApiStack`: its URL, the objects behind it, and
helpers to make users and tokens and HTTP clients. tests/conftest.py loads this plugin;
the module-scoped `api` fixture is one stack shared by a test module (each test makes its
own users and tokens, so rate limits and conversations never cross); tests that break a
service, or need other settings, build their own with `api_stack(...)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import count
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from api import create_app
from api.services import ApiServices, api_services
from auth.passwords import PasswordHasher
from auth.services import AuthServices, open_auth
from testkit.scripted_ollama import ScriptedOllama
from tests.support.mariadb import scratch_database
from tests.support.mcp_host import serving
from tests.support.services import scripted_services
from wiring.services import Services

# A small sales schema: orders per region, with a free-text note some roles may not read.
BUSINESS_SETUP = [
    "CREATE TABLE orders (id INT PRIMARY KEY, region VARCHAR(10) NOT NULL,"
    " amount DECIMAL(10, 2) NOT NULL, note VARCHAR(40), placed_on DATE NOT NULL)",
    "INSERT INTO orders VALUES"
    " (1, 'north', 10.50, 'zz-note-1', '2025-01-03'),"
    " (2, 'north', 20.00, 'zz-note-2', '2025-01-04'),"
    " (3, 'south', 30.25, 'zz-note-3', '2025-02-05'),"
    " (4, 'south', 40.00, NULL, '2025-02-06'),"
    " (5, 'east', 50.75, 'zz-note-5', '2025-03-07'),"
    " (6, 'north', 60.00, 'zz-note-6', '2025-03-08')",
]
_names = count(1)


@dataclass
class ApiStack:
    """A running API and what it serves with."""

    url: str
    api: ApiServices
    ollama: ScriptedOllama
    business_url: str
    tokens_made: list[str] = field(default_factory=list)

    @property
    def auth(self) -> AuthServices:
        return self.api.auth

    @property
    def services(self) -> Services:
        return self.api.services

    def user(self, role: str = "analyst", **fields: object) -> str:
        """A new active user of `role`; returns the username."""
        username = f"user{next(_names)}"
        self.auth.users.create_user(username, role=role, password="Correct-Horse-9x", **fields)
        return username

    def token(self, username: str | None = None, *, expires_in: timedelta | None = None) -> str:
        """A new token's secret, for `username` (a new analyst when None)."""
        created = self.api.tokens.create(username or self.user(), "tests", expires_in=expires_in)
        return created.secret

    def client(self, token: str | None = None, *, language: str | None = None) -> httpx.Client:
        headers = {}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if language is not None:
            headers["Accept-Language"] = language
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def business_database(server_url: str) -> Iterator[str]:
    with scratch_database(server_url, prefix="kk_api") as url:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            for statement in BUSINESS_SETUP:
                conn.exec_driver_sql(statement)
        engine.dispose()
        yield url


@contextmanager
def api_stack(
    ollama: ScriptedOllama, business_url: str, app_dir: Path, **settings: object
) -> Iterator[ApiStack]:
    """Serve the API on `business_url` with the scripted `ollama`; `settings` override
    the defaults (a generous rate limit, no sampled candidates)."""
    overrides: dict[str, object] = {
        "api_rate_limit": "10000/minute",
        "answer_candidates": 0,
        "data_dir": app_dir,  # never the working folder: module fixtures run before
    }
    with scripted_services(ollama, business_url, **{**overrides, **settings}) as services:
        auth = open_auth(f"sqlite:///{app_dir / 'app.sqlite'}", hasher=PasswordHasher(rounds=4))
        built = api_services(services.settings, services, auth)
        try:
            with serving(create_app(services=built)) as url:
                ollama.clear_requests()
                yield ApiStack(url=url, api=built, ollama=ollama, business_url=business_url)
        finally:
            built.close()  # the sources a test added (not `services`: closed below)
            auth.close()


@pytest.fixture(scope="module")
def api_ollama() -> Iterator[ScriptedOllama]:
    with ScriptedOllama() as server:
        yield server


@pytest.fixture(scope="module")
def api_business_url(mysql_server_url: str) -> Iterator[str]:
    yield from business_database(mysql_server_url)


@pytest.fixture(scope="module")
def api(
    api_ollama: ScriptedOllama, api_business_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiStack]:
    """One API for the test module (see module docstring)."""
    with api_stack(api_ollama, api_business_url, tmp_path_factory.mktemp("api")) as stack:
        yield stack
