"""Normal form of a question, shared by the answer cache and the evaluation harness."""

from __future__ import annotations

import re


def normalise_question(question: str) -> str:
    """Lower-case, collapse whitespace and drop surrounding punctuation."""
    return re.sub(r"\s+", " ", question.strip().lower()).strip(" ?.!¿¡")
