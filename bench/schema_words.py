"""Schema names in plain text: which names a question spells out, and which tables share one.

Two checks of the scale benchmark (`bench/scale.py`) rest on this:

- its questions must be written in the user's words, so none may spell out a table or
  column name of the schema: `schema_words_in` finds a name as whole words, in any case,
  singular or plural, with its underscores as spaces or not ("order items", "Order_Items",
  "unit prices" all name `order_items` / `unit_price`; "regional" and "ordered" name
  nothing — a business user's words may share a stem, not a word);
- a distractor table must not carry a schema table's name, or the benchmark would score
  a name clash rather than retrieval: `same_table_name` treats singular and plural as one.

Singular and plural: the product's own light stemmer (`vectorstore.sparse.stem`, the one
keyword search uses), plus the regular plurals of the singular it finds, so that a word
it stems imperfectly ('statuses') is still caught.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from vectorstore.sparse import stem

_WORD = re.compile(r"[^\W_]+")  # letters and digits; underscores and hyphens split words

Phrase = tuple[frozenset[str], ...]


def words(text: str) -> list[str]:
    """The words of `text`, lower-cased: 'Order_Items' → ['order', 'items']."""
    return _WORD.findall(text.lower())


def forms(word: str) -> frozenset[str]:
    """A word, its singular and its plurals: 'status' → status, statuses, ...; 'cities' →
    city, cities. The stemmer alone would miss some ('statuses' → 'statuse')."""
    base = stem(word)
    found = {word, base, base + "s", base + "es"}
    if base.endswith("y"):
        found.add(base[:-1] + "ies")
    return frozenset(found)


def name_phrases(names: Iterable[str]) -> dict[Phrase, str]:
    """Each schema name as the phrase of words that spells it, mapped back to the name."""
    return {tuple(forms(w) for w in words(name)): name for name in names if words(name)}


def _spells(said: Sequence[str], phrase: Phrase) -> bool:
    n = len(phrase)
    return any(
        all(w in f for w, f in zip(said[i : i + n], phrase, strict=True))
        for i in range(len(said) - n + 1)
    )


def schema_words_in(text: str, phrases: dict[Phrase, str]) -> list[str]:
    """The schema names (from `name_phrases`) that `text` spells out as whole words."""
    said = words(text)
    return sorted(name for phrase, name in phrases.items() if _spells(said, phrase))


def same_table_name(a: str, b: str) -> bool:
    """True when two table names are the same words, singular or plural, in any case."""
    wa, wb = words(a), words(b)
    return len(wa) == len(wb) and all(
        x in forms(y) or y in forms(x) for x, y in zip(wa, wb, strict=True)
    )
