"""Schema names in plain text: which names a question spells out, and which tables share one.

Two checks of the scale benchmark (`bench/scale.py`) rest on this:

- its questions must be written in the user's words, so none may spell out a table or
  column name of the schema: `schema_words_in` finds a name as whole words, in any case,
  singular or plural, with its underscores as spaces or not ("order items", "Order_Items",
  "unit prices" all name `order_items` / `unit_price`; "regional" and "ordered" name
  nothing — a business user's words may share a stem, not a word);
- a distractor table must not carry a schema table's name, or the benchmark would score
  a name clash rather than retrieval: `same_table_name` treats singular and plural as one.

Plurals are undone with the product's own light stemmer (`vectorstore.sparse.stem`), the
one keyword search uses, so "the same word" here means the same word to the index.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from vectorstore.sparse import stem

_WORD = re.compile(r"[^\W_]+")  # letters and digits; underscores and hyphens split words

Phrase = tuple[str, ...]


def words(text: str) -> list[str]:
    """The words of `text`, lower-cased and singular: 'Order_Items' → ['order', 'item']."""
    return [stem(w) for w in _WORD.findall(text.lower())]


def name_phrases(names: Iterable[str]) -> dict[Phrase, str]:
    """Each schema name as the phrase of words that spells it, mapped back to the name."""
    return {tuple(words(name)): name for name in names if words(name)}


def schema_words_in(text: str, phrases: dict[Phrase, str]) -> list[str]:
    """The schema names (from `name_phrases`) that `text` spells out as whole words."""
    said = words(text)
    found = []
    for phrase, name in phrases.items():
        n = len(phrase)
        if any(tuple(said[i : i + n]) == phrase for i in range(len(said) - n + 1)):
            found.append(name)
    return sorted(found)


def same_table_name(a: str, b: str) -> bool:
    """True when two table names are the same word, singular or plural, in any case."""
    return words(a) == words(b)
