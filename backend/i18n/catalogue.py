"""Loading the `.po` files and looking messages up."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Literal

from babel.messages.pofile import read_po

log = logging.getLogger(__name__)

Language = Literal["en", "es"]
LANGUAGES: tuple[Language, ...] = ("en", "es")
DEFAULT_LANGUAGE: Language = "en"
LOCALES_DIR = Path(__file__).parent / "locales"

# Each language's own name, so the picker reads right whatever language is active.
_NATIVE_NAMES: dict[Language, str] = {"en": "English", "es": "Español"}


def normalise_language(value: str | None) -> Language | None:
    """'es', 'es-ES', 'es_MX' and 'ES' → 'es'; anything we don't speak → None."""
    if not value:
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else None


def language_name(language: Language) -> str:
    """'English', 'Español'."""
    return _NATIVE_NAMES[language]


@cache
def catalogue(language: Language) -> Mapping[str, str]:
    """Every key → text of one language, merged over all its `.po` domains."""
    messages: dict[str, str] = {}
    folder = LOCALES_DIR / language / "LC_MESSAGES"
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as handle:
            parsed = read_po(handle, locale=language, domain=path.stem)
        for message in parsed:
            if not message.id or not isinstance(message.id, str):
                continue
            if message.id in messages:
                raise ValueError(f"{path}: key {message.id!r} is defined in two domains")
            if isinstance(message.string, str) and message.string:
                messages[message.id] = message.string
    return messages


@cache
def _warn_missing(key: str, language: str) -> None:
    log.warning("message %r is missing in %r; falling back", key, language)


def t(key: str, language: str | None = None, /, **params: object) -> str:
    """The text of `key` in `language` (English when unset or unknown), filled in."""
    lang = normalise_language(language) or DEFAULT_LANGUAGE
    text = catalogue(lang).get(key)
    if text is None:
        _warn_missing(key, lang)
        text = catalogue(DEFAULT_LANGUAGE).get(key, key)
    if not params:
        return text
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        # A translator's typo in a placeholder must not take the page down.
        log.warning("message %r in %r does not fit its parameters", key, lang)
        return text


def t_count(key: str, count: int, language: str | None = None, /, **params: object) -> str:
    """`key.one` for exactly one, else `key.other` (both languages pluralise alike)."""
    form = "one" if count == 1 else "other"
    return t(f"{key}.{form}", language, count=count, **params)


class Translator:
    """`t` bound to one language: `tr = Translator('es'); tr('chat.title')`."""

    def __init__(self, language: str | None) -> None:
        self.language: Language = normalise_language(language) or DEFAULT_LANGUAGE

    def __call__(self, key: str, /, **params: object) -> str:
        return t(key, self.language, **params)

    def count(self, key: str, count: int, /, **params: object) -> str:
        return t_count(key, count, self.language, **params)
