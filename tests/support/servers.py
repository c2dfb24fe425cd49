"""What the throwaway database servers of the tests share: waiting for one to accept
connections, and stopping it and removing its data directory."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import sqlalchemy as sa


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path, name: str) -> None:
    """Return once `url` accepts a connection; raise when `process` exits or 60 s pass."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited at start-up: {log.read_text()[-2000:]}")
        try:
            with engine.connect():
                return
        except sa.exc.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
        finally:
            engine.dispose()


def stop(process: subprocess.Popen[bytes], workdir: Path) -> None:
    """SIGTERM (a clean shutdown once the clients are gone), SIGKILL after 30 s, then the
    data directory goes."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
    shutil.rmtree(workdir, ignore_errors=True)
