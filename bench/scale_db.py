"""A scratch database for the scale benchmark's accuracy mode: the demo among empty distractors.

`keskinube eval` introspects and indexes a real database, so the 700+ distractor tables
of `bench/scale.py` must exist in one. They are created EMPTY from their `TableDoc`s —
the gold SQL reads only demo tables, and an empty table still has to be found, or not,
by retrieval: names, columns, keys. Types follow the catalog's coarse kinds (text as
VARCHAR(255) so that it can be a key). Foreign keys are added one by one after all
tables exist; MariaDB refuses those whose target columns carry no index (Spider's
catalog has some), and those are counted and left out rather than invented.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from backend.domain import TableDoc

_TYPES: dict[str, sa.types.TypeEngine[object]] = {
    "NUMERIC": sa.Numeric(20, 4),
    "DATETIME": sa.DateTime(),
    "BOOLEAN": sa.Boolean(),
}


@dataclass(frozen=True)
class Created:
    """What `create_empty_tables` made: tables, and foreign keys kept and refused."""

    tables: int
    foreign_keys: int
    refused_foreign_keys: int


def _table(metadata: sa.MetaData, doc: TableDoc) -> sa.Table:
    seen: set[str] = set()
    columns = []
    for column in doc.columns:
        if column.name.lower() in seen:  # MariaDB names are case-insensitive
            continue
        seen.add(column.name.lower())
        kind = _TYPES.get(column.type, sa.String(255))
        columns.append(sa.Column(column.name, kind, primary_key=column.primary_key))
    return sa.Table(doc.name, metadata, *columns, mysql_engine="InnoDB", mysql_charset="utf8mb4")


def create_empty_tables(engine: sa.Engine, docs: Sequence[TableDoc]) -> Created:
    """Create every table of `docs` empty on `engine`, then the foreign keys that hold."""
    metadata = sa.MetaData()
    tables = {doc.name: _table(metadata, doc) for doc in docs}
    metadata.create_all(engine)
    kept = refused = 0
    preparer = engine.dialect.identifier_preparer
    for doc in docs:
        for fk in doc.foreign_keys:
            target = tables.get(fk.ref_table)
            if target is None:
                refused += 1
                continue
            ddl = (
                f"ALTER TABLE {preparer.quote(doc.name)} ADD FOREIGN KEY "
                f"({', '.join(preparer.quote(c) for c in fk.columns)}) REFERENCES "
                f"{preparer.quote(target.name)} "
                f"({', '.join(preparer.quote(c) for c in fk.ref_columns)})"
            )
            try:
                with engine.begin() as conn:
                    conn.exec_driver_sql(ddl.replace("%", "%%"))
                kept += 1
            except sa.exc.SQLAlchemyError:
                refused += 1
    return Created(len(tables), kept, refused)
