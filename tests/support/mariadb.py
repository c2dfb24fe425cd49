"""A throwaway MariaDB server for the test suite.

The tests never touch a database they did not create: unless `TEST_MYSQL_URL` names a
server to use, a private `mariadbd` is started on a free loopback port with its data
directory in a temporary folder, and torn down at the end of the session.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from tests.support.servers import stop, wait_until_up

INSTALL_HINT = (
    "MariaDB is needed for these tests: `sudo apt-get install -y mariadb-server` "
    "(or set TEST_MYSQL_URL=mysql+pymysql://user:pass@host:port/ to use a running server)"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _find(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name) or next(
            (str(p) for p in (Path("/usr/sbin") / name, Path("/usr/bin") / name) if p.exists()),
            None,
        )
        if found:
            return found
    return None


@contextmanager
def throwaway_server() -> Iterator[str]:
    """Start a private mariadbd; yield its server URL (no database part)."""
    server = _find("mariadbd", "mysqld")
    installer = _find("mariadb-install-db", "mysql_install_db")
    if not server or not installer:
        raise RuntimeError(INSTALL_HINT)
    workdir = Path(tempfile.mkdtemp(prefix="keskinube-mariadb-"))
    datadir, port = workdir / "data", _free_port()
    as_root = ["--user=root"] if os.geteuid() == 0 else []
    subprocess.run(
        [
            installer,
            "--no-defaults",
            f"--datadir={datadir}",
            *as_root,
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    process = subprocess.Popen(
        [
            server,
            "--no-defaults",
            f"--datadir={datadir}",
            f"--socket={workdir / 'mysqld.sock'}",
            f"--port={port}",
            "--bind-address=127.0.0.1",
            f"--pid-file={workdir / 'mysqld.pid'}",
            f"--log-error={workdir / 'error.log'}",
            "--innodb-buffer-pool-size=128M",
            "--skip-log-bin",
            "--character-set-server=utf8mb4",
            *as_root,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"mysql+pymysql://root@127.0.0.1:{port}/"
    try:
        wait_until_up(url, process, workdir / "error.log", "mariadbd")
        yield url
    finally:
        stop(process, workdir)


@contextmanager
def scratch_database(server_url: str, prefix: str = "kk_test") -> Iterator[str]:
    """Create a uniquely named database, yield its URL, drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server_url, poolclass=sa.pool.NullPool)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        yield sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        admin.dispose()
