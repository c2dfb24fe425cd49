"""Finding English left on a page that should be all Spanish.

The English to look for comes from the catalogue itself: every English message whose
Spanish differs, cut at its `{placeholders}` and markdown marks, keeps its longest literal
piece (what a reader would see of it whatever the parameters). Pieces that are too short
to mean anything, or that a Spanish message also contains (a product name, "SQL", "CSV"),
are left out: they cannot tell the languages apart. Streamlit's own English texts, which
show only when we leave a label or a placeholder to its default, are added by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from backend.i18n import catalogue

# A placeholder, a Material icon, or a markdown mark: the rendered text breaks there.
_CUTS = re.compile(r"\{[^{}]*\}|:material/[a-z_]+:|\]\([^)]*\)|\*\*|[`*_\[\]\n]|\\")
MIN_WORDS_CHARS = 6  # a piece of several words ("Log out"); "is in", "by" clash
MIN_WORD_CHARS = 4  # a single word ("Name", "Unpin"); "Pin", "Try" clash

# What Streamlit writes itself when a widget is left without our label or placeholder.
STREAMLIT_DEFAULTS = (
    "Choose an option",
    "Choose options",
    "Add an option",
    "Add options",
    "No options to select",
    "No results",
    "Your message",
    "Type to search",
    "Press Enter to apply",
    "Press Enter to submit form",
    "Drag and drop file here",
    "Browse files",
    "per file",
    "Upload",
)


@dataclass(frozen=True)
class Leak:
    """English found on a page: the text, and the catalogue key it comes from."""

    text: str
    key: str


def longest_piece(message: str) -> str:
    """The longest literal stretch of a message, between placeholders and markdown."""
    pieces = [piece.strip(" .,:;·“”«»()\"'") for piece in _CUTS.split(message)]
    return max(pieces, key=len, default="")


def _telling(piece: str) -> bool:
    words = re.findall(r"[A-Za-z]+", piece)
    if len(words) >= 2:
        return len(piece) >= MIN_WORDS_CHARS
    return len(words) == 1 and len(words[0]) >= MIN_WORD_CHARS and words[0] == piece


def _pattern(piece: str) -> re.Pattern[str]:
    """The piece as whole words, whatever the spacing and the letter case (CSS may
    upper-case a label). A one-word piece only as written or upper-cased: in any case it
    would also match the same word in what users wrote ('…, for the examples?')."""
    if len(piece.split()) == 1:
        body = f"(?:{re.escape(piece)}|{re.escape(piece.upper())})"
        return re.compile(rf"(?<![\w]){body}(?![\w])")
    body = r"\s+".join(re.escape(part) for part in piece.split())
    return re.compile(rf"(?<![\w]){body}(?![\w])", re.IGNORECASE)


@cache
def english_patterns() -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    """(key, piece, pattern) for every piece of English that no Spanish text contains."""
    english, spanish = catalogue("en"), catalogue("es")
    all_spanish = "\n".join(spanish.values())
    found: list[tuple[str, str, re.Pattern[str]]] = []
    for key, text in sorted(english.items()):
        if spanish.get(key, "").strip() == text.strip():
            continue
        piece = longest_piece(text)
        if not _telling(piece):
            continue
        pattern = _pattern(piece)
        if pattern.search(all_spanish):
            continue
        found.append((key, piece, pattern))
    for text in STREAMLIT_DEFAULTS:
        found.append(("streamlit", text, _pattern(text)))
    return tuple(found)


def english_in(texts: list[str]) -> list[Leak]:
    """Every piece of catalogue English (or a Streamlit default) in `texts`."""
    joined = "\n".join(texts)
    patterns = english_patterns()
    return [Leak(piece, key) for key, piece, pattern in patterns if pattern.search(joined)]
