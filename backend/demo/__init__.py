"""The demo business database: a deterministic European sales company.

Public entry points:

- `build_demo_database(url, orders=..., seed=..., ...)` creates and fills the demo tables
  on MySQL/MariaDB or SQLite; `demo_tables_exist(url)` checks for them.
- `write_sql_dump(path, DemoSpec(...))` writes the same data as a MySQL dump.
- `metadata` / `DEMO_TABLE_NAMES`: the schema, with a comment on every table and column
  (SQLite does not store comments: read them from here for the demo database).
- `load_examples()` / `load_notes()`: reviewed question → SQL pairs and business notes;
  `GLOSSARY_FILE`: Spanish → English business terms for keyword search.
- `render_readonly_user_sql(template, database=..., password=...)`: the SELECT-only account.
"""

from __future__ import annotations

from backend.demo.content import GLOSSARY_FILE, load_examples, load_notes
from backend.demo.dump import write_sql_dump
from backend.demo.loader import DemoBuild, DemoTablesExist, build_demo_database, demo_tables_exist
from backend.demo.readonly import render_readonly_user_sql
from backend.demo.schema import DEMO_TABLE_NAMES, metadata
from backend.demo.spec import DEFAULT_END_DATE, DEFAULT_ORDERS, DEFAULT_SEED, DemoSpec
from backend.domain import Example, Note

__all__ = [
    "DEFAULT_END_DATE",
    "DEFAULT_ORDERS",
    "DEFAULT_SEED",
    "DEMO_TABLE_NAMES",
    "GLOSSARY_FILE",
    "DemoBuild",
    "DemoSpec",
    "DemoTablesExist",
    "Example",
    "Note",
    "build_demo_database",
    "demo_tables_exist",
    "load_examples",
    "load_notes",
    "metadata",
    "render_readonly_user_sql",
    "write_sql_dump",
]
