"""Schema drift: how the business database's structure differs from what is indexed.

A table's *shape* is what a query depends on: its name, its columns with their types and
nullability, its primary key and its foreign keys. Comments, sample values, row counts
and the admin's knowledge are left out (they change without breaking a query, and the
knowledge is re-applied at every index run). `fingerprint` hashes the shapes of a whole
schema; `schema_changes` lists what differs between two schemas: tables, columns and
keys added, removed or changed. Pure functions: the introspection and the index are read
by the caller (`wiring.drift`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Literal

from backend.domain import ColumnDoc, ForeignKey, TableDoc

Kind = Literal["table", "column", "key"]
Change = Literal["added", "removed", "changed"]
PRIMARY_KEY = "PRIMARY KEY"


@dataclass(frozen=True)
class SchemaChange:
    """One difference: a table, a column or a key `added`, `removed` or `changed`.

    `name` is the column's name, or the key as written (`PRIMARY KEY`, or
    `(customer_id) → customers(id)`); empty for a table. `before` and `after` describe a
    column (`INT NOT NULL`) or a primary key (`(id)`); empty when there is none.
    """

    kind: Kind
    change: Change
    table: str
    name: str = ""
    before: str = ""
    after: str = ""

    def to_json(self) -> dict[str, str]:
        return {key: str(value) for key, value in asdict(self).items()}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> SchemaChange:
        kind, change = str(data["kind"]), str(data["change"])
        assert kind in ("table", "column", "key") and change in ("added", "removed", "changed")
        return cls(
            kind=kind,  # type: ignore[arg-type]
            change=change,  # type: ignore[arg-type]
            table=str(data["table"]),
            name=str(data.get("name", "")),
            before=str(data.get("before", "")),
            after=str(data.get("after", "")),
        )


@dataclass(frozen=True)
class TableShape:
    """What of a table a query depends on."""

    columns: tuple[tuple[str, str], ...]  # (name, "TYPE [NOT NULL]"), in ordinal order
    primary_key: str  # "(a, b)", or "" without one
    foreign_keys: tuple[str, ...]  # "(a) → t(b)", sorted


def table_shape(table: TableDoc) -> TableShape:
    return TableShape(
        columns=tuple((c.name, _column(c)) for c in table.columns),
        primary_key=_names(table.primary_key) if table.primary_key else "",
        foreign_keys=tuple(sorted(_foreign_key(fk) for fk in table.foreign_keys)),
    )


def schema_shapes(tables: Iterable[TableDoc]) -> dict[str, TableShape]:
    return {table.name: table_shape(table) for table in tables}


def fingerprint(tables: Iterable[TableDoc]) -> str:
    """A short hash of the schema's shapes: equal when no query could tell them apart."""
    shapes = sorted((name, asdict(shape)) for name, shape in schema_shapes(tables).items())
    text = json.dumps(shapes, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def schema_changes(before: Iterable[TableDoc], after: Iterable[TableDoc]) -> list[SchemaChange]:
    """What changed from `before` (the index) to `after` (the database), by table name:
    tables first, then each kept table's columns and keys."""
    old, new = schema_shapes(before), schema_shapes(after)
    changes = [SchemaChange("table", "added", name) for name in sorted(new.keys() - old.keys())]
    changes += [SchemaChange("table", "removed", name) for name in sorted(old.keys() - new.keys())]
    for name in sorted(old.keys() & new.keys()):
        changes += _table_changes(name, old[name], new[name])
    return changes


def _table_changes(table: str, old: TableShape, new: TableShape) -> list[SchemaChange]:
    changes: list[SchemaChange] = []
    before, after = dict(old.columns), dict(new.columns)
    for column, described in after.items():
        if column not in before:
            changes.append(SchemaChange("column", "added", table, column, after=described))
        elif before[column] != described:
            was = before[column]
            changes.append(SchemaChange("column", "changed", table, column, was, described))
    for column, described in before.items():
        if column not in after:
            changes.append(SchemaChange("column", "removed", table, column, before=described))
    if old.primary_key != new.primary_key:
        change: Change = (
            "added" if not old.primary_key else "removed" if not new.primary_key else "changed"
        )
        changes.append(
            SchemaChange("key", change, table, PRIMARY_KEY, old.primary_key, new.primary_key)
        )
    for key in sorted(set(new.foreign_keys) - set(old.foreign_keys)):
        changes.append(SchemaChange("key", "added", table, key))
    for key in sorted(set(old.foreign_keys) - set(new.foreign_keys)):
        changes.append(SchemaChange("key", "removed", table, key))
    return changes


def _column(column: ColumnDoc) -> str:
    return column.type if column.nullable else f"{column.type} NOT NULL"


def _names(names: Iterable[str]) -> str:
    return "(" + ", ".join(names) + ")"


def _foreign_key(fk: ForeignKey) -> str:
    return f"{_names(fk.columns)} → {fk.ref_table}{_names(fk.ref_columns)}"
