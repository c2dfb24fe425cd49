"""GLOSSARY_PATH: the bundled glossary by default, off, or a file; a bad file stops start-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.config import load_settings
from backend.errors import SettingsError
from wiring.services import glossary_for


def test_the_bundled_glossary_is_used_by_default() -> None:
    glossary = glossary_for(load_settings())
    assert glossary is not None and len(glossary) > 50


def test_the_glossary_can_be_turned_off() -> None:
    assert glossary_for(load_settings(glossary_path="off")) is None


def test_a_glossary_file_of_ones_own(tmp_path: Path) -> None:
    path = tmp_path / "terms.yaml"
    path.write_text("terms:\n  almacén: warehouse\n", encoding="utf-8")
    glossary = glossary_for(load_settings(glossary_path=str(path)))
    assert glossary is not None and glossary.expand(["almacenes"]) == [("warehouse",)]


def test_a_missing_glossary_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="GLOSSARY_PATH"):
        glossary_for(load_settings(glossary_path=str(tmp_path / "missing.yaml")))
