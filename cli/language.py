"""The language the `keskinube` command speaks to a person, and its translator.

`KESKINUBE_LANGUAGE` (the app's default language) first; else the terminal's locale as
POSIX reads it for messages (`LC_ALL`, then `LC_MESSAGES`, then `LANG`: the first one set
decides, so `LC_ALL=C` means English; read by `backend.config.LocaleSettings`); else
English. Only lines meant for people are translated (progress, results, errors); `--json`
output, JSONL verdicts, the evaluation report and argparse's help stay English, the latter
being developer documentation.
"""

from __future__ import annotations

from backend.errors import KeskinubeError
from backend.i18n import DEFAULT_LANGUAGE, Language, Translator, normalise_language


def terminal_language(locale: str) -> Language | None:
    """The language of a locale ('es_ES.UTF-8' → 'es'); None for C/POSIX or none."""
    return normalise_language(locale.split(".")[0])


def cli_language() -> Language:
    """What the CLI speaks: the setting, else the terminal's language, else English."""
    from backend.config import LocaleSettings, get_settings

    try:
        settings = get_settings()
        configured, locale = settings.language, settings.messages_locale
    except KeskinubeError:  # a broken setting is reported by the command, in this language
        configured, locale = None, LocaleSettings().messages_locale
    return configured or terminal_language(locale) or DEFAULT_LANGUAGE


def cli_translator() -> Translator:
    """`tr('cli.…')` in the CLI's language."""
    return Translator(cli_language())
