"""From stored knowledge to what the engine reads: tables with descriptions, and notes.

`apply_knowledge` writes each entry's description and synonyms onto the `TableDoc`s that
get indexed (the DDL renders descriptions as comments, retrieval documents hold both);
drafts only when `include_drafts`. `knowledge_notes` turns business terms and notes into
the `Note`s of the notes collection, so they are used wherever notes are (retrieved per
question, or all of them after the whole schema). Both are pure functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from backend.domain import ColumnDoc, Note, TableDoc
from backend.knowledge.model import TERM, Entry, Knowledge


def strip_knowledge(table: TableDoc) -> TableDoc:
    """`table` as introspected: no description or synonyms (same fingerprint as then)."""
    if not table.has_knowledge:
        return table
    columns = tuple(replace(c, description=None, synonyms=()) for c in table.columns)
    return replace(table, columns=columns, description=None, synonyms=())


def _usable(entry: Entry | None, include_drafts: bool) -> Entry | None:
    if entry is None or (not include_drafts and not entry.reviewed):
        return None
    return entry


def _column(column: ColumnDoc, entry: Entry | None) -> ColumnDoc:
    if entry is None:
        return column
    return replace(column, description=entry.description or None, synonyms=entry.synonyms)


def apply_knowledge(
    tables: Iterable[TableDoc], knowledge: Knowledge, *, include_drafts: bool = True
) -> list[TableDoc]:
    """`tables` with the knowledge of each table and column (replacing what they had)."""
    found = []
    for raw in tables:
        table = strip_knowledge(raw)
        own = _usable(knowledge.entry(table.name), include_drafts)
        columns = tuple(
            _column(c, _usable(knowledge.entry(table.name, c.name), include_drafts))
            for c in table.columns
        )
        if own is not None:
            table = replace(table, description=own.description or None, synonyms=own.synonyms)
        found.append(replace(table, columns=columns))
    return found


def knowledge_notes(knowledge: Knowledge) -> list[Note]:
    """Business terms ("Revenue: ...") and notes as the notes the engine retrieves."""
    notes = []
    for term in knowledge.terms:
        text = f"{term.name}: {term.text}" if term.kind == TERM else term.text
        notes.append(Note(text=text, title=term.name))
    return notes
