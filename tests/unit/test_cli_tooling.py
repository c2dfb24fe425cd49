"""`keskinube eval` and `demo-db` where their tooling package is left out (the app's image).

`sys.modules[name] = None` is how Python marks a module as not importable, so the
commands see exactly what an installation without the package shows them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cli import main


@pytest.mark.parametrize(
    ("package", "argv"),
    [
        ("evaluation", ["eval", "--set", "questions.jsonl"]),
        ("demo_data", ["demo-db", "--sql-dump", "demo.sql"]),
    ],
)
def test_a_command_without_its_tooling_says_so_in_one_line(
    package: str,
    argv: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setitem(sys.modules, package, None)
    monkeypatch.setenv("LANG", "es_ES.UTF-8")

    assert main(argv) == 2

    err = capsys.readouterr().err
    assert err.startswith(f"keskinube: `keskinube {argv[0]}` necesita el paquete {package},")
    assert err.count("\n") == 1
    assert not Path("demo.sql").exists()
