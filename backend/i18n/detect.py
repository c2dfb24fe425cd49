"""Which of our languages a question is written in.

Only two candidates and short texts: a scorer over function words and Spanish
orthography is deterministic and right far more often on three-word questions than
general detectors trained on long documents (which are also non-deterministic).
"""

from __future__ import annotations

import re

from backend.i18n.catalogue import Language

_WORD = re.compile(r"[a-záéíóúüñ]+")
_SPANISH_WORDS = """
    el la los las un una unos unas de del al y o que qué en por para con sin cuál cuáles
    cuánto cuántos cuánta cuántas cómo dónde cuándo quién quiénes es son fue fueron está
    están hay mes año años meses mi mis su sus se lo le más menos entre cada desde hasta
    último última últimos últimas primer primera mayor mayores menor ventas cliente
    clientes pedido pedidos producto productos muestra dame lista ingresos por trimestre
"""
_ENGLISH_WORDS = """
    the an of and or in on for with without what which how many much where when who whom
    is are was were be been has have had do does did by from to per each last this that
    these those top show list give me my our their than more less between most least
"""
_SPANISH = frozenset(_SPANISH_WORDS.split())
_ENGLISH = frozenset(_ENGLISH_WORDS.split())
_SPANISH_MARKS = re.compile(r"[¿¡ñáéíóú]")


def detect_language(text: str, default: Language = "en") -> Language:
    """'es' or 'en'; `default` when the text gives no sign either way."""
    lowered = text.lower()
    words = _WORD.findall(lowered)
    spanish = sum(word in _SPANISH for word in words) + 2 * len(_SPANISH_MARKS.findall(lowered))
    english = sum(word in _ENGLISH for word in words)
    if spanish > english:
        return "es"
    if english > spanish:
        return "en"
    return default
