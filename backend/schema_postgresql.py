"""PostgreSQL's part of schema introspection (`backend.schema`).

The tables are those of the connection's current schema — the first schema of its search
path that exists: `public` unless the URL says otherwise (`?options=-csearch_path%3Dsales`)
— because that is where the unqualified names the guard allows resolve. SQLAlchemy's
inspector reads them in a handful of queries for the whole schema (its `get_multi_*`
calls): columns, primary and foreign keys, table and column comments. Two queries add
what it does not give:

- the columns the account may read (`has_column_privilege`): like `information_schema`
  on MySQL, a column grant hides the other columns, so the model never sees a column
  `SELECT` would refuse, and a table with none is left out;
- row estimates from `pg_class.reltuples` (-1 before the first ANALYZE: unknown).

An enum column's values (`pg_enum`, through the inspector) become its sample values,
all of them, in the enum's own order: they are the complete list the column allows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine.reflection import ObjectKind

from backend.domain import ColumnDoc, ForeignKey, TableDoc

_READABLE_COLUMNS = """
SELECT c.relname, a.attname
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
  AND a.attnum > 0 AND NOT a.attisdropped
  AND has_column_privilege(c.oid, a.attnum, 'SELECT')
"""
_ROW_ESTIMATES = """
SELECT c.relname, c.reltuples::bigint
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
"""


def read_postgresql(
    conn: sa.Connection, compact_type: Callable[[str], str]
) -> list[tuple[TableDoc, list[str]]]:
    """Every readable table of the current schema, with the names of its text columns;
    `compact_type` spells a column type the way the other dialects' types are."""
    inspector = sa.inspect(conn)
    readable: dict[str, set[str]] = {}
    for table, column in conn.execute(sa.text(_READABLE_COLUMNS)):
        readable.setdefault(table, set()).add(column)
    estimates = {name: rows for name, rows in conn.execute(sa.text(_ROW_ESTIMATES))}
    kind = ObjectKind.TABLE
    columns = inspector.get_multi_columns(kind=kind)
    keys = inspector.get_multi_pk_constraint(kind=kind)
    foreign = inspector.get_multi_foreign_keys(kind=kind)
    comments = inspector.get_multi_table_comment(kind=kind)
    tables = []
    for (_, name), reflected in columns.items():
        visible = readable.get(name)
        if not visible:
            continue
        pk = set(keys[(None, name)].get("constrained_columns") or ())
        shown = [c for c in reflected if c["name"] in visible]
        docs, text = _columns(shown, pk, lambda t: _type_name(t, conn.dialect, compact_type))
        estimate = estimates.get(name)
        doc = TableDoc(
            name,
            tuple(docs),
            comments[(None, name)].get("text") or None,
            _foreign_keys(foreign[(None, name)]),
            None if estimate is None or estimate < 0 else int(estimate),
        )
        tables.append((doc, text))
    return tables


def _columns(
    reflected: list[Any], pk: set[str], type_name: Callable[[Any], str]
) -> tuple[list[ColumnDoc], list[str]]:
    docs, text = [], []
    for column in reflected:
        type_ = column["type"]
        key = column["name"] in pk
        values: tuple[str, ...] = ()
        if isinstance(type_, sa.Enum):
            values = tuple(type_.enums)
        elif isinstance(type_, sa.String):
            text.append(column["name"])
        docs.append(
            ColumnDoc(
                column["name"],
                type_name(type_),
                bool(column.get("nullable", True)) and not key,
                column.get("comment") or None,
                key,
                sample_values=values,
            )
        )
    return docs, text


def _type_name(type_: Any, dialect: sa.Dialect, compact_type: Callable[[str], str]) -> str:
    if isinstance(type_, sa.Enum) and type_.name:
        return f"{type_.name} (enum)"
    return compact_type(str(type_.compile(dialect=dialect)))


def _foreign_keys(reflected: list[Any]) -> tuple[ForeignKey, ...]:
    """Foreign keys to tables of the same schema (others are out of the guard's reach)."""
    return tuple(
        ForeignKey(
            tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"])
        )
        for fk in reflected
        if fk.get("referred_table") and fk.get("referred_schema") is None
    )
