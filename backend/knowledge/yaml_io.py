"""Knowledge as YAML, for a team to keep in git and review: a stable, sorted format.

    database: sales
    tables:
      CUST_MST:
        description: Customers, one row per account.
        status: approved
        synonyms: {en: [customer, client], es: [cliente]}
        columns:
          STS_CD: {description: Account status code., status: draft, synonyms: {...}}
    terms:
      revenue: Order lines' quantity × price, minus returns.
    notes:
      fiscal year: The fiscal year starts on 1 April.

`dump_knowledge` always writes the same text for the same knowledge (keys sorted, block
style, Unicode kept). `parse_knowledge` reads it back, checking names against the schema:
unknown tables and columns are reported and left out, never guessed. Imported entries are
*approved* when they say what is stored already, and *edited* when they change it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import yaml

from backend.domain import TableDoc
from backend.knowledge.model import (
    APPROVED,
    DRAFT,
    EDITED,
    NOTE,
    STATUSES,
    TERM,
    Entry,
    Knowledge,
    Term,
    TermKind,
    clean_synonyms,
    clean_text,
)
from backend.knowledge.store import KnowledgeStore

_SECTIONS: tuple[tuple[TermKind, str], ...] = ((TERM, "terms"), (NOTE, "notes"))


class KnowledgeFileError(ValueError):
    """The file is not knowledge YAML; the message says where."""


def _entry_data(entry: Entry) -> dict[str, Any]:
    return {
        "description": entry.description,
        "status": entry.status,
        "synonyms": {"en": list(entry.synonyms_en), "es": list(entry.synonyms_es)},
    }


def dump_knowledge(database: str, knowledge: Knowledge) -> str:
    """The YAML text of `knowledge` (deterministic: sorted tables, columns and terms)."""
    tables: dict[str, dict[str, Any]] = {}
    for (table, column), entry in sorted(knowledge.entries.items()):
        data = tables.setdefault(table, {})
        if column:
            data.setdefault("columns", {})[column] = _entry_data(entry)
        else:
            data.update(_entry_data(entry))
    document: dict[str, Any] = {"database": database, "tables": tables}
    for kind, key in _SECTIONS:
        document[key] = {t.name: t.text for t in knowledge.terms if t.kind == kind}
    return yaml.safe_dump(
        document, sort_keys=True, allow_unicode=True, default_flow_style=False, width=100
    )


@dataclass
class ImportResult:
    """What a file holds that the schema knows, and the names it does not."""

    entries: list[Entry] = field(default_factory=list)
    terms: list[Term] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # "table" or "table.column"
    database: str | None = None


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise KnowledgeFileError(f"{where}: expected a mapping of names")
    return value


def _read_entry(table: str, column: str, data: Any, where: str) -> Entry:
    if isinstance(data, str):
        data = {"description": data}
    data = _mapping(data, where)
    synonyms = data.get("synonyms") or {}
    if isinstance(synonyms, list):
        synonyms = {"en": synonyms}
    synonyms = _mapping(synonyms, f"{where}.synonyms")
    return Entry(
        table=table,
        column=column,
        description=clean_text(data.get("description")),
        synonyms_en=clean_synonyms(synonyms.get("en") or []),
        synonyms_es=clean_synonyms(synonyms.get("es") or []),
        status=data.get("status") if data.get("status") in STATUSES else APPROVED,
    )


def parse_knowledge(text: str, schema: Mapping[str, TableDoc]) -> ImportResult:
    """The entries and terms of a YAML file whose names `schema` knows (case-insensitive
    match, stored with the schema's spelling); raises `KnowledgeFileError` when the file
    is not YAML of this shape."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise KnowledgeFileError(f"not valid YAML: {error}") from None
    document = _mapping(document, "the file")
    result = ImportResult(database=document.get("database"))
    tables_lc = {name.lower(): table for name, table in schema.items()}
    for raw_name, data in _mapping(document.get("tables"), "tables").items():
        table = tables_lc.get(str(raw_name).lower())
        if table is None:
            result.unknown.append(str(raw_name))
            continue
        data = _mapping(data, f"tables.{raw_name}")
        if data.get("description") is not None or data.get("synonyms") is not None:
            result.entries.append(_read_entry(table.name, "", data, f"tables.{raw_name}"))
        columns_lc = {c.name.lower(): c.name for c in table.columns}
        for raw_column, column_data in _mapping(data.get("columns"), f"{raw_name}.columns").items():
            column = columns_lc.get(str(raw_column).lower())
            if column is None:
                result.unknown.append(f"{raw_name}.{raw_column}")
                continue
            where = f"tables.{raw_name}.columns.{raw_column}"
            result.entries.append(_read_entry(table.name, column, column_data, where))
    for kind, key in _SECTIONS:
        for name, body in _mapping(document.get(key), key).items():
            if str(name).strip() and str(body or "").strip():
                result.terms.append(Term(name=str(name).strip(), text=str(body).strip(), kind=kind))
    return result


def review_status(imported: Entry, stored: Entry | None) -> Entry:
    """The status an imported entry is saved with: importing is reviewing.

    Text that changes what is stored (or is new) is *edited*; the same text is *approved*
    (a stored reviewed status is kept). Only an entry the file itself still marks `draft`
    stays a draft when nothing else says otherwise, so exporting and importing again
    without a review approves nothing.
    """
    fingerprint = stored.fingerprint if stored is not None else None
    if stored is not None and stored.same_content(imported):
        if stored.reviewed:
            status = stored.status
        else:
            status = DRAFT if imported.status == DRAFT else APPROVED
    elif imported.status == DRAFT and stored is None:
        status = DRAFT
    else:
        status = EDITED
    return replace(imported, status=status, fingerprint=fingerprint)


def import_knowledge(
    store: KnowledgeStore, parsed: ImportResult, *, save: bool = True, by: str | None = None
) -> int:
    """Save what `parse_knowledge` read (entries with their review status, terms and
    notes added or updated; nothing is deleted); returns the number of entries."""
    stored = store.load()
    entries = [review_status(e, stored.entries.get(e.key)) for e in parsed.entries]
    if save:
        store.save(entries, by=by)
        for term in parsed.terms:
            store.save_term(term, by=by)
    return len(entries)
