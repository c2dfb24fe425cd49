"""The language the `keskinube` command speaks to a person, and its translator.

`KESKINUBE_LANGUAGE` (the app's default language) first; else the terminal's locale as
POSIX reads it for messages (`LC_ALL`, then `LC_MESSAGES`, then `LANG`: the first one set
decides, so `LC_ALL=C` means English); else English. Only lines meant for people are
translated (progress, results, errors); `--json` output, JSONL verdicts, the evaluation
report and argparse's help stay English, the latter being developer documentation.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from backend.errors import KeskinubeError
from backend.i18n import DEFAULT_LANGUAGE, Language, Translator, normalise_language

_LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def terminal_language(environ: Mapping[str, str] | None = None) -> Language | None:
    """The language of the terminal's locale ('es_ES.UTF-8' → 'es'); None for C/POSIX."""
    env = os.environ if environ is None else environ
    for name in _LOCALE_VARIABLES:
        value = env.get(name, "")
        if value:
            return normalise_language(value.split(".")[0])
    return None


def cli_language() -> Language:
    """What the CLI speaks: the setting, else the terminal's language, else English."""
    from backend.config import get_settings

    try:
        configured = get_settings().language
    except KeskinubeError:  # a broken setting is reported by the command itself
        configured = None
    return configured or terminal_language() or DEFAULT_LANGUAGE


def cli_translator() -> Translator:
    """`tr('cli.…')` in the CLI's language."""
    return Translator(cli_language())
