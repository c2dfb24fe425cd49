"""Local BM25-style sparse vectors, so keyword search works without any model download.

Text is split like identifiers (`order_date`, `OrderDate` and "order dates" all give
`order`, `date`), lower-cased, stripped of accents and of a short English + Spanish
stopword list, and lightly stemmed (plural → singular). Each token is hashed with CRC-32
(stable across processes, unlike Python's salted `hash`) into a sparse index. Documents
carry BM25's saturated term frequency; queries carry one weight per distinct term. Qdrant
supplies the IDF half of BM25 through `Modifier.IDF` on the sparse vector (see
`SPARSE_VECTOR_PARAMS`), computed over the collection it searches.

A document may have a title (a table's or column's name). The whole title becomes one
extra term, and a query carries every run of up to `MAX_TITLE_WORDS` consecutive words as
a title term, so "orders per month" matches the title "orders" exactly and ranks the
`orders` table above `order_items`, whose words merely contain "order" too.

Questions may be Spanish while identifiers are English. A `SparseEncoder` built with a
`Glossary` (`vectorstore.glossary`) adds, to a query only, the English words of the
Spanish business terms it finds ("facturación por región" also searches `revenue`,
`region`): documents stay as they are, so the index is language-independent and a
glossary can change without re-indexing. Glossary lookups undo Spanish plurals
(`singular_es`: "regiones" → "region"), which the English stemmer does not.
"""

from __future__ import annotations

import unicodedata
import zlib
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from qdrant_client import models

from backend.schema_render import identifier_words

if TYPE_CHECKING:
    from vectorstore.glossary import Glossary

# BM25 constants. Documents are short (one table); AVERAGE_LENGTH is a fixed guess, as the
# vectors are computed one at a time — long documents (very wide tables) weigh each term
# less, which is why wide tables also get one point per column.
K1 = 1.2
B = 0.75
AVERAGE_LENGTH = 40.0
MAX_TITLE_WORDS = 4
_TITLE = "="  # prefix of title terms; the tokenizer never yields it

SPARSE_VECTOR_PARAMS = models.SparseVectorParams(modifier=models.Modifier.IDF)


def _words(*lines: str) -> frozenset[str]:
    return frozenset(word for line in lines for word in line.split())


# Accent-free, as tokens are folded before the check.
STOPWORDS = _words(
    # English
    "a an and are as at be by for from has have how i in is it its many me much of on or",
    "per show than that the their them there these this to was were what when where which",
    "who whom why with give get tell all each every our my your do does did",
    # Spanish
    "el la los las un una unos unas y o de del al en por para con sin que cual cuales",
    "cuanto cuantos cuanta cuantas como donde es son fue fueron se su sus lo le les mi mis",
    "tu tus muestra muestrame dame cada todos todas",
)


def _fold(word: str) -> str:
    """Strip accents: 'categoría' → 'categoria' (questions are often typed without them)."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def stem(word: str) -> str:
    """Light plural stemming: categories → category, orders → order, boxes → box."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "xes", "ches", "shes", "zes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def singular_es(word: str) -> str:
    """Light Spanish plural undoing: regiones → region, países → pais, ventas → venta.

    For glossary lookups (which see both sides through it), so an imperfect singular
    ("tenemos" → "tenemo") costs nothing; singular words ending in -s are kept when they
    end in -is/-us ("pais", "status") or are short ("mes").
    """
    if len(word) > 4 and word.endswith("ces"):
        return word[:-3] + "z"  # veces → vez
    if len(word) > 4 and word.endswith("es") and word[-3] in "dlnrsjy":
        return word[:-2]  # proveedores → proveedor, paises → pais, unidades → unidad
    if len(word) > 3 and word.endswith(("as", "es", "os")):
        return word[:-1]  # ventas → venta, clientes → cliente, pedidos → pedido
    return word


def query_words(text: str) -> list[str]:
    """Folded, lower-cased words of `text` without stopwords, not stemmed (glossary input)."""
    folded = (_fold(word) for word in identifier_words(text))
    return [word for word in folded if word not in STOPWORDS]


def tokenize(text: str) -> list[str]:
    """Search terms of `text`, in order, repeats kept (document term frequencies need them)."""
    tokens = []
    for word in identifier_words(text):
        folded = _fold(word)
        if folded in STOPWORDS:
            continue
        tokens.append(stem(folded))
    return tokens


def token_index(token: str) -> int:
    """Stable sparse index of a token (CRC-32: identical in every process and version)."""
    return zlib.crc32(token.encode("utf-8"))


def _vector(weights: dict[int, float]) -> models.SparseVector:
    indices = sorted(weights)
    return models.SparseVector(indices=indices, values=[weights[i] for i in indices])


def _merge(counts: Counter[str]) -> dict[int, float]:
    """Term counts by index; two tokens sharing a CRC-32 index simply add up."""
    merged: dict[int, float] = {}
    for token, count in counts.items():
        index = token_index(token)
        merged[index] = merged.get(index, 0.0) + count
    return merged


def title_term(words: Sequence[str]) -> str:
    return _TITLE + " ".join(words)


def encode_document(text: str, title: str = "") -> models.SparseVector:
    """BM25 term-frequency half for an indexed document (IDF comes from Qdrant)."""
    tokens = tokenize(text)
    title_words = tokenize(title)
    if title_words:
        tokens.append(title_term(title_words))
    norm = K1 * (1 - B + B * len(tokens) / AVERAGE_LENGTH)
    weights = {i: tf * (K1 + 1) / (tf + norm) for i, tf in _merge(Counter(tokens)).items()}
    return _vector(weights)


def _query_terms(tokens: Sequence[str]) -> Counter[str]:
    terms = Counter(tokens)
    for size in range(1, MAX_TITLE_WORDS + 1):
        for start in range(len(tokens) - size + 1):
            terms[title_term(tokens[start : start + size])] += 1
    return terms


def encode_query(text: str) -> models.SparseVector:
    """Query side: weight 1 per distinct term and title term (empty when only stopwords)."""
    return _vector(dict.fromkeys(_merge(_query_terms(tokenize(text))), 1.0))


class SparseEncoder:
    """Sparse query vectors; a glossary, if given, widens them (documents never are).

    Each English phrase the glossary gives for a question's terms adds its words as terms
    and the whole phrase as a title term ("líneas de pedido" → `order item` and
    `=order item`, the title of `order_items`), all at the weight of the question's own
    terms. Without a glossary it encodes exactly like `encode_query`.
    """

    def __init__(self, glossary: Glossary | None = None) -> None:
        self.glossary = glossary

    def query(self, text: str) -> models.SparseVector:
        terms = _query_terms(tokenize(text))
        if self.glossary is not None:
            for phrase in self.glossary.expand(query_words(text)):
                terms.update(phrase)
                terms[title_term(phrase)] += 1
        return _vector(dict.fromkeys(_merge(terms), 1.0))
