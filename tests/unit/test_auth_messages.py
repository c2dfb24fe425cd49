"""What auth/ tells people comes from the catalogue: every `Message.of(key)` it raises or
returns names a key that exists in English and Spanish."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from backend.i18n import LANGUAGES, catalogue

AUTH = Path(__file__).resolve().parents[2] / "auth"
# Keys built from a value at run time (`f"auth.last_admin.{action}"` and the like).
COMPUTED_KEYS = (
    "auth.last_admin.set_role",
    "auth.last_admin.disable",
    "auth.last_admin.delete",
    "auth.login.locked.one",
    "auth.login.locked.other",
)


def message_keys() -> list[str]:
    keys = []
    for path in sorted(AUTH.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "of"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                keys.append(str(node.args[0].value))
    return keys


def test_auth_raises_messages_not_plain_text() -> None:
    assert len(message_keys()) >= 25


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_auth_message_key_exists(language: str) -> None:
    known = catalogue(language)
    missing = [key for key in [*message_keys(), *COMPUTED_KEYS] if key not in known]
    assert missing == []
