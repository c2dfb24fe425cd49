"""The 19 Spider dev databases as real MariaDB schemas, introspected as the product does.

Each dump in `../shared/benchmarks/mysql/dumps/<db>.sql` is loaded into a scratch database
named `kkbench_<db>` (renamed so as not to collide with anyone else's copy), introspected
with `backend.schema.introspect` — which adds sample values of low-cardinality text
columns, unlike the catalog — and dropped again afterwards. Needs the `mysql` client and
a server at `--mysql-url` (default root@127.0.0.1:3306, no password).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from backend.domain import TableDoc
from backend.schema import introspect

DUMPS_DIR = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "mysql" / "dumps"
PREFIX = "kkbench_"


def _renamed(dump: str, db: str) -> str:
    """The dump with its CREATE DATABASE / USE lines pointed at `kkbench_<db>`."""
    pattern = re.compile(rf"^(CREATE DATABASE|USE )(.*)`{re.escape(db)}`", re.MULTILINE)
    return pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}`{PREFIX}{db}`", dump)


def _mysql(host: str, port: int, user: str, sql: str) -> None:
    subprocess.run(
        ["mysql", f"-h{host}", f"-P{port}", f"-u{user}"],
        input=sql.encode(),
        check=True,
        capture_output=True,
    )


@contextmanager
def loaded_databases(
    databases: list[str], *, host: str = "127.0.0.1", port: int = 3306, user: str = "root"
) -> Iterator[dict[str, dict[str, TableDoc]]]:
    """Load, introspect, yield `{db: {table: doc}}`, and drop the scratch databases."""
    loaded: list[str] = []
    try:
        schemas: dict[str, dict[str, TableDoc]] = {}
        for db in databases:
            dump = DUMPS_DIR / f"{db}.sql"
            if not dump.exists():
                continue
            loaded.append(db)
            _mysql(host, port, user, _renamed(dump.read_text(encoding="utf-8"), db))
            engine = sa.create_engine(f"mysql+pymysql://{user}@{host}:{port}/{PREFIX}{db}")
            try:
                schemas[db] = {t.name: t for t in introspect(engine)}
            finally:
                engine.dispose()
        yield schemas
    finally:
        for db in loaded:
            _mysql(host, port, user, f"DROP DATABASE IF EXISTS `{PREFIX}{db}`;")
