"""Knowledge of a business schema: what its tables and columns mean, in the users' words.

Per business database (the engine's `EngineConfig.database`), per table and per column: a
one-line business description and synonyms in English and Spanish, each marked *draft*
(written by the local model, `draft`), *approved* or *edited* (by an admin); plus
business terms ("revenue = ...") and notes. The app database holds it (`store`); the
index carries it (`apply`: descriptions into the DDL and the retrieval documents, terms
and notes into the notes collection); `yaml_io` exports and imports it for review in
git; `draft` asks the model for drafts; `jobs` runs a draft in the background.
"""

from __future__ import annotations

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
)

__all__ = ["APPROVED", "DRAFT", "EDITED", "NOTE", "STATUSES", "TERM", "Entry", "Knowledge", "Term"]
