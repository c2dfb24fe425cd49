"""The demo business database as the app knows it: its schema and bundled knowledge.

The app runs on the demo database by default, and recognises it at run time, so this is
product code (building and filling the database is tooling: the top-level `demo_data`).

- `metadata` / `DEMO_TABLE_NAMES`: the schema, with a comment on every table and column
  (SQLite does not store comments: read them from here for the demo database).
- `load_examples()` / `load_notes()`: reviewed question → SQL pairs and business notes;
  `GLOSSARY_FILE`: Spanish → English business terms for keyword search.
"""

from __future__ import annotations

from backend.demo.content import GLOSSARY_FILE, load_examples, load_notes
from backend.demo.schema import DEMO_TABLE_NAMES, metadata
from backend.domain import Example, Note

__all__ = [
    "DEMO_TABLE_NAMES",
    "GLOSSARY_FILE",
    "Example",
    "Note",
    "load_examples",
    "load_notes",
    "metadata",
]
