"""Which language the `keskinube` command speaks to a person."""

from __future__ import annotations

import pytest

from backend.config import get_settings
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
    environ: dict[str, str], expected: str | None
) -> None:
    assert terminal_language(environ) == expected


def test_the_setting_beats_the_terminal_and_english_is_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    assert cli_language() == "en"
    monkeypatch.setenv("LANG", "es_ES.UTF-8")
    assert cli_language() == "es"
    monkeypatch.setenv("KESKINUBE_LANGUAGE", "en")
    get_settings.cache_clear()
    assert cli_language() == "en"
