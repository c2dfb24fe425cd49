"""Which language the `keskinube` command speaks to a person."""

from __future__ import annotations

import pytest

from backend.config import LocaleSettings, get_settings, load_settings
from cli.language import cli_language, terminal_language


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "es_ES.UTF-8"}, "es"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, None),  # a language we don't write
        ({"LANG": "C.UTF-8"}, None),
        ({"LC_ALL": "C", "LANG": "es_ES.UTF-8"}, None),  # the first one set decides
        ({"LC_MESSAGES": "es_MX.UTF-8", "LANG": "en_US.UTF-8"}, "es"),
        ({"LC_ALL": "", "LANG": "es_ES"}, "es"),
        ({}, None),
    ],
)
def test_terminal_language_follows_posix_precedence(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], expected: str | None
) -> None:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert terminal_language(LocaleSettings().messages_locale) == expected
    assert terminal_language(load_settings().messages_locale) == expected


def test_the_setting_beats_the_terminal_and_english_is_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    assert cli_language() == "en"
    monkeypatch.setenv("LANG", "es_ES.UTF-8")
    get_settings.cache_clear()  # the locale is a setting, read once per process
    assert cli_language() == "es"
    monkeypatch.setenv("KESKINUBE_LANGUAGE", "en")
    get_settings.cache_clear()
    assert cli_language() == "en"


def test_a_broken_setting_is_reported_in_the_terminals_language(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LANG", "es_ES.UTF-8")
    monkeypatch.setenv("OLLAMA_BASE_URL", "not-a-url")
    get_settings.cache_clear()
    assert cli_language() == "es"
