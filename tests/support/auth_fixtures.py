"""Fixtures for every test of the app database: an app database on SQLite and on MariaDB,
a clock the tests move by hand, and the auth services wired on both.

A pytest plugin (tests/conftest.py loads it), so a test names `app_engine`, `auth` or
`clock` without importing them; import the constants and `ManualClock` from here. bcrypt
runs with 4 rounds to stay fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from appdb.engine import create_app_engine
from appdb.migrate import upgrade
from appdb.schema import metadata
from auth.passwords import PasswordHasher
from auth.services import AuthServices, build_auth
from tests.support.mariadb import scratch_database

FAST_ROUNDS = 4
START = datetime(2026, 3, 2, 9, 0, 0)
GOOD_PASSWORD = "Correct-Horse-Battery-9"


class ManualClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture(scope="session")
def mariadb_app_engine(mysql_server_url: str) -> Iterator[sa.Engine]:
    """One scratch MariaDB app database for the session; `app_engine` empties it per test
    (creating a database and its tables per test costs ~0.5 s on MariaDB)."""
    with scratch_database(mysql_server_url, prefix="kk_auth") as url:
        engine = create_app_engine(url)
        yield engine
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def app_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """An empty app database with its schema, on a SQLite file or on MariaDB."""
    if request.param == "sqlite":
        engine = create_app_engine(f"sqlite:///{tmp_path / 'app' / 'app.sqlite'}")
    else:
        engine = request.getfixturevalue("mariadb_app_engine")
        upgrade(engine, seed_defaults=False)
        with engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())
    upgrade(engine)
    yield engine
    if request.param == "sqlite":
        engine.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def auth(app_engine: sa.Engine, clock: ManualClock) -> AuthServices:
    """Every auth service on the test database, with fast hashing and the manual clock."""
    return build_auth(app_engine, hasher=PasswordHasher(rounds=FAST_ROUNDS), clock=clock)
