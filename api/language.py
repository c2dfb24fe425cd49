"""The caller's language: the first of `Accept-Language` that Keskinube speaks.

An explicit header wins over the user's saved choice (a program asking in Spanish wants
Spanish, whatever its owner picked on the web page); without one, the user's choice, then
KESKINUBE_LANGUAGE, then English (`auth.policies.PolicyStore.actor_for`).
"""

from __future__ import annotations

from backend.i18n import Language, normalise_language


def accepted_language(header: str | None) -> Language | None:
    """The preferred language of an `Accept-Language` header that we speak, by q-value
    (ties in the order written); None when it names none of ours."""
    if not header:
        return None
    ranked: list[tuple[float, int, Language]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        language = normalise_language(tag.strip())
        if language is None:
            continue
        quality = _quality(params)
        if quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else None


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0
