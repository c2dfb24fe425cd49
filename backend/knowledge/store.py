"""`KnowledgeStore`: schema knowledge and business terms in the app database.

Two tables of `appdb.tables` (`appdb.migrate` creates and upgrades them with the rest):
`knowledge_entries`, one row per
(database, table, column — "" for the table itself), and `knowledge_terms`, one row per
(database, kind, name). This store is the one source of truth: the index (DDL comments,
retrieval documents, the notes collection) is derived from it by `backend.knowledge.apply`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from appdb.clock import Clock, utc_now
from appdb.tables import knowledge_entries, knowledge_terms
from backend.knowledge.model import (
    DRAFT,
    STATUSES,
    TERM,
    Entry,
    Knowledge,
    Status,
    Term,
    clean_synonyms,
    clean_text,
)


def _words(raw: str | None) -> tuple[str, ...]:
    try:
        return clean_synonyms(json.loads(raw or "[]"))
    except ValueError:
        return ()


def _entry(row: Any) -> Entry:
    status: Status = row.status if row.status in STATUSES else DRAFT
    return Entry(
        table=row.table_name,
        column=row.column_name or "",
        description=row.description or "",
        synonyms_en=_words(row.synonyms_en),
        synonyms_es=_words(row.synonyms_es),
        status=status,
        fingerprint=row.fingerprint,
    )


def normalised(entry: Entry) -> Entry:
    """`entry` as it is stored: one-line description, clean synonym lists."""
    return Entry(
        table=entry.table,
        column=entry.column,
        description=clean_text(entry.description),
        synonyms_en=clean_synonyms(list(entry.synonyms_en)),
        synonyms_es=clean_synonyms(list(entry.synonyms_es)),
        status=entry.status,
        fingerprint=entry.fingerprint,
    )


class KnowledgeStore:
    """Reads and writes the knowledge of one business database."""

    def __init__(self, engine: sa.Engine, database: str, *, clock: Clock = utc_now) -> None:
        self.engine, self.database, self._clock = engine, database, clock

    # -- reading ----------------------------------------------------------------------

    def load(self) -> Knowledge:
        """Every entry and term of the database."""
        return Knowledge(entries={e.key: e for e in self.entries()}, terms=tuple(self.terms()))

    def entries(self) -> list[Entry]:
        """Entries sorted by table, then column (the table's own entry first)."""
        t = knowledge_entries
        query = (
            sa.select(t)
            .where(t.c.database == self.database)
            .order_by(t.c.table_name, t.c.column_name)
        )
        with self.engine.connect() as conn:
            return [_entry(row) for row in conn.execute(query)]

    def terms(self, kind: str | None = None) -> list[Term]:
        """Terms and notes sorted by kind, then name."""
        t = knowledge_terms
        query = sa.select(t.c.kind, t.c.name, t.c.text).where(t.c.database == self.database)
        if kind is not None:
            query = query.where(t.c.kind == kind)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(t.c.kind, t.c.name)).all()
        return [Term(name=r.name, text=r.text, kind=r.kind) for r in rows]

    # -- writing ----------------------------------------------------------------------

    def save(self, entries: Iterable[Entry], *, by: str | None = None) -> int:
        """Insert or update `entries` (by table and column) in one transaction."""
        count = 0
        now = self._clock()
        with self.engine.begin() as conn:
            for raw in entries:
                entry = normalised(raw)
                values = {
                    "description": entry.description,
                    "synonyms_en": json.dumps(list(entry.synonyms_en), ensure_ascii=False),
                    "synonyms_es": json.dumps(list(entry.synonyms_es), ensure_ascii=False),
                    "status": entry.status,
                    "fingerprint": entry.fingerprint,
                    "updated_at": now,
                    "updated_by": by,
                }
                t = knowledge_entries
                where = sa.and_(
                    t.c.database == self.database,
                    t.c.table_name == entry.table,
                    t.c.column_name == entry.column,
                )
                if not conn.execute(sa.update(t).where(where).values(**values)).rowcount:
                    conn.execute(
                        sa.insert(t).values(
                            database=self.database,
                            table_name=entry.table,
                            column_name=entry.column,
                            **values,
                        )
                    )
                count += 1
        return count

    def delete_entries(self, keys: Iterable[tuple[str, str]]) -> None:
        t = knowledge_entries
        with self.engine.begin() as conn:
            for table, column in keys:
                conn.execute(
                    sa.delete(t).where(
                        t.c.database == self.database,
                        t.c.table_name == table,
                        t.c.column_name == column,
                    )
                )

    def save_term(self, term: Term, *, by: str | None = None, old_name: str | None = None) -> None:
        """Insert or update a term or note; `old_name` renames an existing one."""
        name, text = clean_text(term.name, 200), str(term.text).strip()
        if not name or not text:
            raise ValueError("a term needs a name and a text")
        t = knowledge_terms
        now = self._clock()
        with self.engine.begin() as conn:
            where = sa.and_(
                t.c.database == self.database, t.c.kind == term.kind, t.c.name == (old_name or name)
            )
            values = {"name": name, "text": text, "updated_at": now, "updated_by": by}
            if not conn.execute(sa.update(t).where(where).values(**values)).rowcount:
                conn.execute(sa.insert(t).values(database=self.database, kind=term.kind, **values))

    def delete_term(self, name: str, kind: str = TERM) -> None:
        t = knowledge_terms
        with self.engine.begin() as conn:
            conn.execute(
                sa.delete(t).where(
                    t.c.database == self.database, t.c.kind == kind, t.c.name == name
                )
            )
