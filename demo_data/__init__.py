"""Builds the demo business database: a deterministic European sales company.

Tooling, not product: `keskinube demo-db` (cli/demo_db.py), `make run`, the tests
and the benchmarks build the database with it; the app itself only reads the schema and
the bundled knowledge in `backend.demo`, which the generator fills rows for. Nothing in
the product imports this package (tests/unit/test_imports.py).

- `build_demo_database(url, orders=..., seed=..., ...)` creates and fills the demo tables
  on MySQL/MariaDB or SQLite; `demo_tables_exist(url)` checks for them.
- `write_sql_dump(path, DemoSpec(...))` writes the same data as a MySQL dump
  (docker/mysql/02-demo-data.sql.gz).
- `render_readonly_user_sql(template, database=..., password=...)`: the SELECT-only account
  of docker/mysql/readonly_user.sql.in, for operators setting up their own server.
"""

from __future__ import annotations

from demo_data.dump import write_sql_dump
from demo_data.loader import DemoBuild, DemoTablesExist, build_demo_database, demo_tables_exist
from demo_data.readonly import render_readonly_user_sql
from demo_data.spec import DEFAULT_END_DATE, DEFAULT_ORDERS, DEFAULT_SEED, DemoSpec

__all__ = [
    "DEFAULT_END_DATE",
    "DEFAULT_ORDERS",
    "DEFAULT_SEED",
    "DemoBuild",
    "DemoSpec",
    "DemoTablesExist",
    "build_demo_database",
    "demo_tables_exist",
    "render_readonly_user_sql",
    "write_sql_dump",
]
