"""A throwaway PostgreSQL server for the test suite.

As for MariaDB (`tests.support.mariadb`), the tests never touch a database they did not
create: unless `TEST_POSTGRES_URL` names a server to use, a private cluster is made with
`initdb` in a temporary folder, started on a free loopback port, and removed at the end of
the session. PostgreSQL refuses to run as root, so under root the cluster belongs to the
`postgres` account (Debian's package creates it). Without the binaries the tests that need
the server are skipped, saying how to install them.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.support.mariadb import _free_port
from tests.support.servers import stop, wait_until_up

INSTALL_HINT = (
    "PostgreSQL is needed for these tests: `sudo apt-get install -y postgresql` "
    "(or set TEST_POSTGRES_URL=postgresql+psycopg://user:pass@host:port/postgres to use a "
    "running server where the user may create databases)"
)
_OWNER = "postgres"
_INITDB_OPTIONS = ("-E", "UTF8", "--locale=C", "--no-sync")
# Loopback only; durability off: the cluster is thrown away at the end of the session.
_SERVER_OPTIONS = (
    *("-c", "listen_addresses=127.0.0.1"),
    *("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"),
)


class PostgresMissing(RuntimeError):
    """No PostgreSQL binaries (or no account to run them as): the tests skip."""


def _find(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return versions[0] if versions else None


def _as_owner(workdir: Path) -> dict[str, Any]:
    """Popen keywords that run the server as a non-root account when we are root."""
    if os.geteuid() != 0:
        return {}
    try:
        owner = pwd.getpwnam(_OWNER)
    except KeyError as error:
        raise PostgresMissing(f"running as root and there is no {_OWNER!r} account") from error
    for path in (workdir, *workdir.rglob("*")):
        os.chown(path, owner.pw_uid, owner.pw_gid)
    return {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}


@contextmanager
def throwaway_server(password: str | None = None) -> Iterator[str]:
    """Start a private PostgreSQL cluster; yield its server URL (the `postgres` database).

    With `password`, every connection must give one (scram-sha-256), the `postgres`
    superuser's being `password`; else the cluster trusts every connection."""
    initdb, server = _find("initdb"), _find("postgres")
    if not initdb or not server:
        raise PostgresMissing(INSTALL_HINT)
    workdir = Path(tempfile.mkdtemp(prefix="keskinube-postgres-"))
    datadir, port = workdir / "data", _free_port()
    try:
        auth = ["-A", "trust"]
        if password is not None:
            (workdir / "pwfile").write_text(password + "\n", encoding="utf-8")
            auth = ["-A", "scram-sha-256", f"--pwfile={workdir / 'pwfile'}"]
        owner = _as_owner(workdir)
        subprocess.run(
            [initdb, "-D", str(datadir), "-U", "postgres", *auth, *_INITDB_OPTIONS],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            **owner,
        )
        log = workdir / "server.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [server, "-D", str(datadir), "-p", str(port), "-k", str(workdir), *_SERVER_OPTIONS],
                stdout=output,
                stderr=subprocess.STDOUT,
                **owner,
            )
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    url = sa.URL.create(
        "postgresql+psycopg", "postgres", password, "127.0.0.1", port, "postgres"
    ).render_as_string(hide_password=False)
    try:
        wait_until_up(url, process, log, "postgres")
        yield url
    finally:
        stop(process, workdir)


@contextmanager
def scratch_database(server_url: str, prefix: str = "kk_test") -> Iterator[str]:
    """Create a uniquely named database, yield its URL, drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server_url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    try:
        yield sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
