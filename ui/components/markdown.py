"""Data as Streamlit markdown text: every value from the database or a user, escaped.

Streamlit draws most texts as markdown (`st.markdown`, captions, titles, alerts, toasts,
widget labels, button labels, metric labels) and adds its own syntax: `:red[...]`,
`:material/icon:`, emoji shortcodes, `$...$` LaTeX. A value that reaches one of them
unescaped can draw a link, or an image whose URL carries the page's other values to
another host. Streamlit has no escape function of its own, so this module is the one
place data becomes markdown:

- every ASCII punctuation character gets a backslash (CommonMark lets any of them be
  escaped, and an escaped one never starts a link, image, autolink, emphasis, heading,
  list, table, code span, HTML tag, math or directive);
- a colon is followed by a WORD JOINER (U+2060, invisible) as well, because emoji and
  material-icon shortcodes are found in the text *after* escapes are read; so are GFM
  autolink literals (remark-gfm searches each text node for `www.`, `http://` and
  e-mail addresses), so `www` before a dot and every `@` get one too;
- line breaks and tabs become spaces, so a value cannot open a block of its own.

Templates from the message catalogue are trusted and keep their markdown; only their
parameters are escaped (`md_t`, `md_message`).
"""

from __future__ import annotations

import re
from typing import Any

from backend.errors import KeskinubeError
from backend.i18n import Message, Translator
from backend.i18n.catalogue import t

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_BREAKS = re.compile(r"[\r\n\t\v\f\u0085\u2028\u2029]+")
# What starts a GFM autolink literal besides `scheme:` (the colon's joiner breaks those).
_AUTOLINK_STARTS = re.compile(r"(www(?=\.)|@)", re.IGNORECASE)
WORD_JOINER = "\u2060"


def escape_markdown(value: object) -> str:
    """`value` as markdown text that shows exactly its characters and nothing else."""
    text = _BREAKS.sub(" ", str(value))
    text = _AUTOLINK_STARTS.sub(r"\1" + WORD_JOINER, text)
    return _PUNCTUATION.sub(r"\\\1", text).replace(":", ":" + WORD_JOINER)


def md_t(tr: Translator, key: str, /, **params: object) -> str:
    """`tr(key, **params)` for markdown: the template's markdown kept, the values escaped."""
    return tr(key, **{name: _escaped(value, tr.language) for name, value in params.items()})


def md_message(text: str | Message | None, language: str | None) -> str | None:
    """A message rendered for markdown (its parameters escaped, nested messages too);
    plain text (an older stored answer, the database's or the model's) wholly escaped."""
    if text is None:
        return None
    if isinstance(text, Message):
        values = {name: _escaped(value, language) for name, value in text.params}
        return t(text.key, language, **values)
    return escape_markdown(text)


def _escaped(value: Any, language: str | None) -> object:
    if isinstance(value, Message):
        return md_message(value, language)
    if isinstance(value, bool | int | float):
        return value  # numbers carry no markup, and keep their format specs
    return escape_markdown(value)


def md_error(exc: KeskinubeError, language: str | None) -> str:
    """An error's message for `st.error`/`st.warning`: a database or guard message can
    quote the SQL or the values it was about."""
    return md_message(exc.message or str(exc), language) or ""
