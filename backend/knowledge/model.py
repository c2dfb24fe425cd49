"""The values of schema knowledge: entries (a table or a column) and business terms."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

Status = Literal["draft", "approved", "edited"]
# Final, so each keeps its literal type and passes as a `Status` (likewise below).
DRAFT: Final = "draft"
APPROVED: Final = "approved"
EDITED: Final = "edited"
STATUSES: tuple[Status, ...] = (DRAFT, APPROVED, EDITED)
TermKind = Literal["term", "note"]
TERM: Final = "term"
NOTE: Final = "note"
LANGUAGES = ("en", "es")
MAX_DESCRIPTION = 300
MAX_SYNONYMS = 8  # per language
MAX_SYNONYM = 60


@dataclass(frozen=True)
class Entry:
    """What one table (`column` = "") or one column means, and who wrote it.

    `fingerprint` is the table's fingerprint when the model drafted it (table entries
    only): an unchanged table is not drafted again.
    """

    table: str
    column: str = ""
    description: str = ""
    synonyms_en: tuple[str, ...] = ()
    synonyms_es: tuple[str, ...] = ()
    status: Status = DRAFT
    fingerprint: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.table, self.column)

    @property
    def synonyms(self) -> tuple[str, ...]:
        """English then Spanish synonyms, each once."""
        return tuple(dict.fromkeys((*self.synonyms_en, *self.synonyms_es)))

    @property
    def reviewed(self) -> bool:
        """Approved or edited by a person: never overwritten by a draft."""
        return self.status != DRAFT

    def same_content(self, other: Entry) -> bool:
        return (self.description, self.synonyms_en, self.synonyms_es) == (
            other.description,
            other.synonyms_en,
            other.synonyms_es,
        )


@dataclass(frozen=True)
class Term:
    """A business term ("revenue") or a note, with its definition or text."""

    name: str
    text: str
    kind: TermKind = TERM


@dataclass(frozen=True)
class Knowledge:
    """Everything known about one database: entries by (table, column), terms and notes."""

    entries: dict[tuple[str, str], Entry] = field(default_factory=dict)
    terms: tuple[Term, ...] = ()

    def entry(self, table: str, column: str = "") -> Entry | None:
        return self.entries.get((table, column))


def clean_text(text: object, limit: int = MAX_DESCRIPTION) -> str:
    """One line, at most `limit` characters: how every description is stored."""
    flat = " ".join(str(text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def clean_synonyms(words: object) -> tuple[str, ...]:
    """A list of short distinct words or phrases (strings only, at most `MAX_SYNONYMS`)."""
    if isinstance(words, str):
        words = [w for w in words.split(",")]
    if not isinstance(words, list | tuple):
        return ()
    found: dict[str, None] = {}
    for word in words:
        if isinstance(word, str | int | float) and not isinstance(word, bool):
            text = clean_text(word, MAX_SYNONYM)
            if text and text.lower() not in {w.lower() for w in found}:
                found[text] = None
    return tuple(found)[:MAX_SYNONYMS]
