"""What gets indexed: tables (and columns of wide tables), examples and notes as `Item`s.

Point ids are uuid5 of the database and the thing's identity (table, table + column,
question + SQL, title + text), so re-indexing the same thing overwrites the same point.
A table point's payload holds the whole `TableDoc`, so the engine can rebuild the schema
from the index without introspecting the database again.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from backend.domain import ColumnDoc, Example, ForeignKey, Note, TableDoc
from backend.schema_render import column_document, table_document
from vectorstore.writer import Item

NAMESPACE = uuid.UUID("0b6c5a1e-7f0e-4c59-a3d5-58e1f3b2c9d4")
# Tables wider than this also get one point per column: in one long document, a single
# column's words weigh little for BM25 and blur into the average for a dense vector.
WIDE_TABLE_COLUMNS = 30


def point_id(database: str, *parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "\x1f".join((database, *parts))))


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def table_to_payload(table: TableDoc) -> dict[str, Any]:
    """A JSON-able dict of the table; `table_from_payload` reverses it exactly."""
    return {
        "name": table.name,
        "comment": table.comment,
        "row_estimate": table.row_estimate,
        "description": table.description,
        "synonyms": list(table.synonyms),
        "columns": [
            {
                "name": c.name,
                "type": c.type,
                "nullable": c.nullable,
                "comment": c.comment,
                "primary_key": c.primary_key,
                "sample_values": list(c.sample_values),
                "description": c.description,
                "synonyms": list(c.synonyms),
            }
            for c in table.columns
        ],
        "foreign_keys": [
            {
                "columns": list(fk.columns),
                "ref_table": fk.ref_table,
                "ref_columns": list(fk.ref_columns),
            }
            for fk in table.foreign_keys
        ],
    }


def table_from_payload(data: dict[str, Any] | str) -> TableDoc:
    """The `TableDoc` of a payload's `doc` (a JSON string, or its parsed dict)."""
    if isinstance(data, str):
        data = json.loads(data)
        assert isinstance(data, dict)
    columns = tuple(
        ColumnDoc(
            name=c["name"],
            type=c["type"],
            nullable=c["nullable"],
            comment=c["comment"],
            primary_key=c["primary_key"],
            sample_values=tuple(c["sample_values"]),
            # .get: points indexed before knowledge existed have neither
            description=c.get("description"),
            synonyms=tuple(c.get("synonyms") or ()),
        )
        for c in data["columns"]
    )
    fks = tuple(
        ForeignKey(tuple(fk["columns"]), fk["ref_table"], tuple(fk["ref_columns"]))
        for fk in data["foreign_keys"]
    )
    return TableDoc(
        data["name"],
        columns,
        data["comment"],
        fks,
        data["row_estimate"],
        description=data.get("description"),
        synonyms=tuple(data.get("synonyms") or ()),
    )


def table_items(database: str, table: TableDoc) -> list[Item]:
    """The table's point, and a point per column when the table is wide."""
    base = {"table": table.name, "table_lc": table.name.lower()}
    items = [
        Item(
            id=point_id(database, table.name),
            text=table_document(table),
            fingerprint=table.fingerprint(),
            # a JSON string, not a nested dict: local mode deep-copies payloads on search
            payload={**base, "kind": "table", "doc": json.dumps(table_to_payload(table))},
            title=table.name,
        )
    ]
    if len(table.columns) > WIDE_TABLE_COLUMNS:
        items.extend(_column_item(database, table, column, base) for column in table.columns)
    return items


def _column_item(database: str, table: TableDoc, column: ColumnDoc, base: dict[str, Any]) -> Item:
    text = column_document(table, column)
    payload = {**base, "kind": "column", "column": column.name, "column_lc": column.name.lower()}
    return Item(
        point_id(database, table.name, column.name), text, _digest(text), payload, part=True
    )


def example_item(database: str, example: Example) -> Item:
    """An example is found by its question; the SQL rides along in the payload."""
    return Item(
        id=point_id(database, "example", example.question, example.sql),
        text=example.question,
        fingerprint=_digest(example.question, example.sql),
        payload={"kind": "example", "question": example.question, "sql": example.sql},
    )


def note_item(database: str, note: Note) -> Item:
    text = f"{note.title}\n{note.text}" if note.title else note.text
    return Item(
        id=point_id(database, "note", note.title, note.text),
        text=text,
        fingerprint=_digest(note.title, note.text),
        payload={"kind": "note", "note_title": note.title, "body": note.text},
        title=note.title,
    )
