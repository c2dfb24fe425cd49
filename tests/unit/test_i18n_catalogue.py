"""The message catalogue is complete in both languages, and the UI speaks only through it."""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.i18n import LANGUAGES, Translator, catalogue, detect_language, normalise_language, t
from backend.i18n.catalogue import LOCALES_DIR

ROOT = Path(__file__).resolve().parents[2]
CODE_DIRS = ("backend", "ui", "auth", "api", "evaluation", "demo_data")
KEY = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
# `Message.of(key)` makes text that is rendered later; `count` is `Translator.count`.
TRANSLATING_CALLS = frozenset({"t", "tr", "t_count", "count", "of"})
# Prose: two words in a row, or one capitalised word ("Save", "Delete?").
PROSE = re.compile(r"[A-Za-zÀ-ÿ]{2,}[ ,'’][ ]?[A-Za-zÀ-ÿ]{2,}|^[A-ZÁÉÍÓÚ¿¡][a-zà-ÿ]{2,}[.!?:…]?$")
PRAGMA = "i18n: not prose"


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def test_every_language_has_the_same_keys() -> None:
    english = set(catalogue("en"))
    for language in LANGUAGES:
        keys = set(catalogue(language))
        assert not english - keys, f"missing in {language}: {sorted(english - keys)}"
        assert not keys - english, f"only in {language}: {sorted(keys - english)}"


def test_every_message_is_written_and_keeps_its_placeholders() -> None:
    english = catalogue("en")
    for language in LANGUAGES:
        for key, text in catalogue(language).items():
            assert KEY.match(key), f"{key!r} is not a dotted lowercase key"
            assert text.strip(), f"{key} is empty in {language}"
            assert _placeholders(text) == _placeholders(english[key]), (
                f"{key}: placeholders differ between en and {language}"
            )


def test_domains_are_the_same_files_in_every_language() -> None:
    domains = {
        language: sorted(p.name for p in (LOCALES_DIR / language / "LC_MESSAGES").glob("*.po"))
        for language in LANGUAGES
    }
    assert len({tuple(files) for files in domains.values()}) == 1, domains


def _python_files() -> Iterator[Path]:
    for folder in CODE_DIRS:
        yield from sorted((ROOT / folder).rglob("*.py"))


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _keys_used() -> Iterator[tuple[Path, int, str, str]]:
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = _call_name(node)
            first = node.args[0]
            if name not in TRANSLATING_CALLS or not isinstance(first, ast.Constant):
                continue
            if isinstance(first.value, str) and KEY.match(first.value):
                yield path, node.lineno, name, first.value


def test_every_key_used_in_the_code_exists() -> None:
    known = set(catalogue("en"))
    missing = []
    for path, line, name, key in _keys_used():
        wanted = [f"{key}.one", f"{key}.other"] if name in {"t_count", "count"} else [key]
        missing += [f"{path.relative_to(ROOT)}:{line}: {k}" for k in wanted if k not in known]
    # `str.count("x")` also matches the scan; only dotted keys are considered, so a
    # failure here is a key that someone forgot to add.
    assert not missing, "keys not in the catalogue:\n" + "\n".join(missing)


def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _exempt_nodes(tree: ast.AST) -> set[int]:
    """Literals that are not shown to people: translation keys, log lines, exceptions'
    internal text is still shown, so it is *not* exempt."""
    ids: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node)
        func = node.func
        owner = (
            func.value.id
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
            else None
        )
        if name in TRANSLATING_CALLS or owner in {"log", "logger", "logging"}:
            for child in ast.walk(node):
                ids.add(id(child))
    return ids


def _ui_prose() -> Iterator[str]:
    for path in sorted((ROOT / "ui").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        tree = ast.parse(source)
        skip = _docstring_nodes(tree) | _exempt_nodes(tree)
        for node in ast.walk(tree):
            if id(node) in skip or not isinstance(node, ast.Constant):
                continue
            if not isinstance(node.value, str) or not PROSE.search(node.value):
                continue
            if PRAGMA in lines[node.lineno - 1]:
                continue
            yield f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:60]!r}"


def test_the_ui_writes_no_sentence_outside_the_catalogue() -> None:
    found = list(_ui_prose())
    assert not found, (
        "UI text must come from backend/i18n (tr('key')); mark a literal that is not "
        f"prose with '# {PRAGMA}':\n" + "\n".join(found)
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [("es", "es"), ("es-ES", "es"), ("es_MX", "es"), ("EN-gb", "en"), ("de", None), ("", None)],
)
def test_language_codes_are_normalised(value: str, expected: str | None) -> None:
    assert normalise_language(value) == expected


def test_lookups_fall_back_instead_of_failing() -> None:
    assert t("common.save", "es") == "Guardar"
    assert t("common.save", "de") == "Save"
    assert t("no.such.key", "es") == "no.such.key"
    assert Translator("es-AR")("common.cancel") == "Cancelar"


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("¿cuáles fueron las ventas por región el último trimestre?", "es"),
        ("ventas por mes en 2024", "es"),
        ("clientes de España con más de 3 pedidos", "es"),
        ("dame los 5 productos más vendidos", "es"),
        ("revenue by region last quarter", "en"),
        ("How many orders were placed in 2024?", "en"),
        ("top 5 customers by revenue", "en"),
        ("show me the products with no sales", "en"),
    ],
)
def test_question_language_is_detected(question: str, language: str) -> None:
    assert detect_language(question) == language


def test_an_undecidable_question_keeps_the_default() -> None:
    assert detect_language("SKU-1234", default="es") == "es"
