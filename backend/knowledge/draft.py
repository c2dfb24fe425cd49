"""Drafting knowledge with the local model: two calls per table, strict small JSON back.

For each table the model reads the table's DDL (names, types, keys, the database's
comments and sample values, as `render_table` writes it for questions) and answers a
JSON object: the table's one-line description and, per column, a description and a few
synonyms in English and Spanish. The answer is parsed leniently (code fences, prose
around it, lists instead of maps, unknown columns ignored); an answer with nothing usable
is logged and the table skipped — never fatal for the run. A second, short call
(`naming`) asks only for the users' words: what one row is called, and the words for the
columns people filter or group by; synonyms that merely repeat the schema's own names
are dropped.

A run is incremental, bounded and resumable: tables whose fingerprint matches the one
they were drafted from are skipped; at most `max_tables` model calls are made; what was
drafted is saved table by table, so an interrupted run goes on where it stopped. Entries
an admin approved or edited are never overwritten.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from backend.domain import TableDoc
from backend.errors import KeskinubeError, ModelUnavailable
from backend.knowledge.apply import strip_knowledge
from backend.knowledge.model import DRAFT, Entry, Knowledge, clean_synonyms, clean_text
from backend.knowledge.naming import (
    first_json_object,
    name_keys,
    naming_messages,
    parse_names,
    with_names,
)
from backend.knowledge.store import KnowledgeStore
from backend.ports import ChatModel
from backend.schema_render import render_table

log = logging.getLogger(__name__)

Outcome = Literal["drafted", "failed"]
DRAFTED_BY = "model"
SYSTEM = """You document a database for the business people who query it.
For the table below, say in plain business words what the table and each column hold,
and give the words a user would say for them, in English ("en") and Spanish ("es").
Read codes and abbreviations from the names, the keys and the sample values.
Answer with the JSON object you are given, filled in, and nothing else.
Each description is one short sentence. At most 3 words or short phrases per language,
in the users' words, not the column's name. If unsure, describe only what the data shows."""
_BLANK = '{"description": "", "en": [], "es": []}'


@dataclass(frozen=True)
class DraftProgress:
    """One table done: `done` of `total` planned, and what happened to it."""

    done: int
    total: int
    table: str
    outcome: Outcome


@dataclass
class DraftReport:
    """What a run did: tables drafted, failed, unchanged, and left for the next run."""

    drafted: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    unchanged: int = 0
    left: list[str] = field(default_factory=list)
    calls: int = 0
    stopped: str | None = None  # why the run stopped early (the model is down, ...)


def draft_messages(table: TableDoc) -> list[tuple[str, str]]:
    """The prompt for one table: its DDL with samples, and the JSON to fill in.

    A small model fills a template with the real column names more reliably than it
    follows a description of the shape.
    """
    ddl = render_table(strip_knowledge(table), with_samples=True)
    columns = ",\n".join(f"  {json.dumps(name)}: {_BLANK}" for name in table.column_names)
    template = f'{{"table": {_BLANK},\n "columns": {{\n{columns}\n}}}}'
    return [("system", SYSTEM), ("user", f"{ddl}\n\nFill in:\n{template}")]


def _parts(data: Any) -> tuple[str, tuple[str, ...], tuple[str, ...]] | None:
    if isinstance(data, str):
        return (clean_text(data), (), ()) if data.strip() else None
    if not isinstance(data, Mapping):
        return None
    synonyms = data.get("synonyms")
    synonyms = synonyms if isinstance(synonyms, Mapping) else {}
    description = data.get("description")
    description = clean_text(description) if isinstance(description, str | int | float) else ""
    en = clean_synonyms(data.get("en") or synonyms.get("en") or [])
    es = clean_synonyms(data.get("es") or synonyms.get("es") or [])
    if not description and not en and not es:
        return None
    return description, en, es


def _columns(data: Any) -> Mapping[str, Any]:
    """The per-column answers as a map, also from a list of {"name": ...} objects."""
    if isinstance(data, Mapping):
        return data
    if isinstance(data, list):
        found: dict[str, Any] = {}
        for item in data:
            if isinstance(item, Mapping) and isinstance(item.get("name"), str):
                found[item["name"]] = item
        return found
    return {}


def parse_draft(text: str, table: TableDoc) -> list[Entry]:
    """The entries in a model's answer for `table` (empty: nothing usable in it).

    Column names are matched case-insensitively to the table's; others are ignored.
    """
    data = first_json_object(text)
    if data is None:
        return []
    entries: list[Entry] = []
    own = _parts(data.get("table") if "table" in data else data.get("description"))
    if own is not None:
        entries.append(Entry(table.name, "", own[0], own[1], own[2], DRAFT))
    names = {c.name.lower(): c.name for c in table.columns}
    for raw, column_data in _columns(data.get("columns")).items():
        column = names.get(str(raw).lower())
        parts = _parts(column_data) if column is not None else None
        if column is not None and parts is not None:
            entries.append(Entry(table.name, column, parts[0], parts[1], parts[2], DRAFT))
    return entries


def needs_draft(table: TableDoc, knowledge: Knowledge) -> bool:
    """False when the table was drafted as it is now, or every entry of it is reviewed."""
    own = knowledge.entry(table.name)
    if own is not None and own.fingerprint == strip_knowledge(table).fingerprint():
        return False
    keys = [(table.name, "")] + [(table.name, c.name) for c in table.columns]
    return not all((e := knowledge.entries.get(k)) is not None and e.reviewed for k in keys)


def merge_draft(table: TableDoc, drafted: Sequence[Entry], knowledge: Knowledge) -> list[Entry]:
    """What to save: drafts where nothing reviewed is stored, and the table's fingerprint."""
    fingerprint = strip_knowledge(table).fingerprint()
    saved = []
    by_key = {e.key: e for e in drafted}
    own = by_key.get((table.name, "")) or Entry(table.name, "", status=DRAFT)
    stored_own = knowledge.entry(table.name)
    if stored_own is not None and stored_own.reviewed:
        own = stored_own  # keep the admin's words; only remember what was drafted from
    saved.append(replace(own, fingerprint=fingerprint))
    for entry in drafted:
        stored = knowledge.entries.get(entry.key)
        if entry.column and (stored is None or not stored.reviewed):
            saved.append(entry)
    return saved


def draft_knowledge(
    tables: Iterable[TableDoc],
    store: KnowledgeStore,
    model: ChatModel,
    *,
    max_tables: int,
    only: Collection[str] | None = None,
    on_progress: Callable[[DraftProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> DraftReport:
    """Draft the tables that need it (of those named in `only`, when given), at most
    `max_tables` tables (two model calls each), saving each table."""
    tables = list(tables)
    others = name_keys(tables)
    knowledge = store.load()
    report = DraftReport()
    todo = []
    wanted = None if only is None else {name.lower() for name in only}
    for table in sorted(tables, key=lambda t: t.name):
        if wanted is not None and table.name.lower() not in wanted:
            continue
        if needs_draft(table, knowledge):
            todo.append(table)
        else:
            report.unchanged += 1
    planned, report.left = todo[:max_tables], [t.name for t in todo[max_tables:]]
    for index, table in enumerate(planned, start=1):
        if should_stop is not None and should_stop():
            report.stopped = "cancelled"
            report.left = [t.name for t in planned[index - 1 :]] + report.left
            break
        outcome = _draft_one(table, store, model, knowledge, report, others)
        if on_progress is not None:
            on_progress(DraftProgress(index, len(planned), table.name, outcome))
        if report.stopped is not None:
            report.left = [t.name for t in planned[index:]] + report.left
            break
    return report


def _draft_one(
    table: TableDoc,
    store: KnowledgeStore,
    model: ChatModel,
    knowledge: Knowledge,
    report: DraftReport,
    others: Collection[tuple[str, ...]] = (),
) -> Outcome:
    report.calls += 1
    try:
        completion = model.complete(draft_messages(table))
    except ModelUnavailable as error:
        log.warning("knowledge draft stopped at %s: %s", table.name, error)
        report.failed.append(table.name)
        report.stopped = str(error)  # the model is down: the next tables would fail too
        return "failed"
    except KeskinubeError as error:
        log.warning("knowledge draft of %s failed: %s", table.name, error)
        report.failed.append(table.name)
        return "failed"
    drafted = parse_draft(completion.text, table)
    if not drafted:
        log.warning(
            "knowledge draft of %s: no usable JSON in %r", table.name, completion.text[:300]
        )
        report.failed.append(table.name)
        return "failed"
    drafted = with_names(drafted, _names(table, model, report, others), table, others)
    store.save(merge_draft(table, drafted, knowledge), by=DRAFTED_BY)
    report.drafted.append(table.name)
    return "drafted"


def _names(
    table: TableDoc, model: ChatModel, report: DraftReport, others: Collection[tuple[str, ...]]
) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """The naming call's words for `table` (empty when it failed: the draft stands)."""
    report.calls += 1
    try:
        completion = model.complete(naming_messages(table))
    except KeskinubeError as error:
        log.warning("knowledge naming of %s failed: %s", table.name, error)
        if isinstance(error, ModelUnavailable):
            report.stopped = str(error)
        return {}
    names = parse_names(completion.text, table, others)
    if not names:
        log.warning(
            "knowledge naming of %s: nothing usable in %r", table.name, completion.text[:300]
        )
    return names
