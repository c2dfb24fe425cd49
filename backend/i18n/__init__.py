"""Every sentence a person reads, in English and Spanish, from one message catalogue.

Messages live in gettext `.po` files under `locales/<language>/LC_MESSAGES/<domain>.po`,
read with Babel. The msgid is a stable dotted key (`chat.input.placeholder`), the msgstr
the text, with `{name}` placeholders filled by `str.format`. Keys stay the same when a
wording changes, so code never holds the English text and both languages are equals.

    from backend.i18n import t
    t("chat.empty.title", "es")
    t("answer.rows_capped", "en", shown=100, total="2,000")

A missing key never breaks a page: it falls back to English, then to the key itself, and
logs once. `tests/unit/test_i18n_catalogue.py` keeps both languages complete.
"""

from __future__ import annotations

from backend.i18n.catalogue import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    Language,
    Translator,
    catalogue,
    language_name,
    normalise_language,
    t,
    t_count,
)
from backend.i18n.detect import detect_language
from backend.i18n.message import Message, render

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "Language",
    "Message",
    "Translator",
    "catalogue",
    "detect_language",
    "language_name",
    "normalise_language",
    "render",
    "t",
    "t_count",
]
