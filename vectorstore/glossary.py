"""A bilingual business glossary for keyword search: Spanish terms → English schema words.

Dense embeddings carry most of a Spanish question over English table names, but the
sparse (BM25) side matches words, and "facturación por región" shares none with
`order_items` — a glossary gives it the English words to search for. It is small on
purpose: the business vocabulary of one schema, not a dictionary.

The file is YAML, one Spanish term to one English phrase or a list of alternatives:

    terms:
      cliente: customer
      línea de pedido: order item     # several words: matched as a run, then as a title
      factur*: revenue                # a trailing * matches any word that starts so
      envío: [shipment, shipping]

Terms match whatever the spelling: accents, case and plurals do not matter, stopwords are
skipped ("líneas del pedido" is "línea de pedido"); the longest term at a position wins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from backend.errors import SettingsError
from vectorstore.sparse import query_words, singular_es, tokenize

Phrase = tuple[str, ...]  # English tokens, as `vectorstore.sparse.tokenize` gives them
MIN_PREFIX = 3


class GlossaryError(SettingsError):
    """The glossary file is not what the module docstring describes (a setup mistake)."""


def _key(term: str) -> Phrase:
    return tuple(singular_es(word) for word in query_words(term))


@dataclass(frozen=True)
class Glossary:
    """Spanish terms (normalised words) → the English phrases they stand for."""

    phrases: Mapping[Phrase, tuple[Phrase, ...]]
    prefixes: Mapping[str, tuple[Phrase, ...]]

    def __len__(self) -> int:
        return len(self.phrases) + len(self.prefixes)

    def expand(self, words: Sequence[str]) -> list[Phrase]:
        """English phrases for the terms found in `words` (`sparse.query_words` of a text)."""
        keys = [singular_es(word) for word in words]
        longest = max(map(len, self.phrases), default=1)
        found: list[Phrase] = []
        start = 0
        while start < len(keys):
            size, phrases = self._match(keys, words, start, longest)
            found.extend(phrases)
            start += size
        return found

    def _match(
        self, keys: list[str], words: Sequence[str], start: int, longest: int
    ) -> tuple[int, tuple[Phrase, ...]]:
        """(words consumed, phrases) at `start`: the longest term, else a prefix, else none."""
        for size in range(min(longest, len(keys) - start), 0, -1):
            phrases = self.phrases.get(tuple(keys[start : start + size]))
            if phrases:
                return size, phrases
        word = words[start]
        for prefix, phrases in self.prefixes.items():
            if word.startswith(prefix):
                return 1, phrases
        return 1, ()


def parse_glossary(data: object) -> Glossary:
    """A `Glossary` from the parsed YAML (`{"terms": {term: phrase | [phrase, ...]}}`)."""
    terms = data.get("terms") if isinstance(data, Mapping) else None
    if not isinstance(terms, Mapping):
        raise GlossaryError("a glossary needs a 'terms' mapping: Spanish term → English words")
    phrases: dict[Phrase, tuple[Phrase, ...]] = {}
    prefixes: dict[str, tuple[Phrase, ...]] = {}
    for term, meaning in terms.items():
        english = _phrases(str(term), meaning)
        if str(term).endswith("*"):
            prefix = "".join(query_words(str(term)[:-1]))
            if len(prefix) < MIN_PREFIX or " " in str(term).strip():
                raise GlossaryError(f"prefix term {term!r}: one word of {MIN_PREFIX}+ letters")
            prefixes[prefix] = prefixes.get(prefix, ()) + english
            continue
        key = _key(str(term))
        if not key:
            raise GlossaryError(f"term {term!r} has only stopwords")
        phrases[key] = phrases.get(key, ()) + english
    return Glossary(phrases, dict(sorted(prefixes.items(), key=lambda kv: -len(kv[0]))))


def _phrases(term: str, meaning: object) -> tuple[Phrase, ...]:
    alternatives = meaning if isinstance(meaning, list) else [meaning]
    phrases = tuple(tuple(tokenize(str(a))) for a in alternatives if isinstance(a, str))
    if len(phrases) != len(alternatives) or not all(phrases):
        raise GlossaryError(f"term {term!r}: give English words, or a list of them")
    return phrases


def load_glossary(path: Path) -> Glossary:
    """Read a glossary file; raises `GlossaryError` (with the path) when it is malformed."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return parse_glossary(data)
    except (OSError, yaml.YAMLError, GlossaryError) as error:
        raise GlossaryError(f"glossary {path}: {error}") from error
