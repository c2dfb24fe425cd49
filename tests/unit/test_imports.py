"""Import rules: dependencies point inward (ui → backend/auth/vectorstore, never back).

* No Streamlit (nor the Streamlit auth libraries) anywhere in backend/, auth/ or
  vectorstore/: the product core runs without a UI.
* The core never imports `ui`.
* `ui` imports only the public modules and names of backend/, auth/ and vectorstore/
  (nothing whose dotted path or imported name starts with an underscore), and never the
  tests or the benchmarks.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ("backend", "auth", "vectorstore")
UI_MAY_IMPORT = {*CORE, "ui"}
PROJECT_PACKAGES = {*UI_MAY_IMPORT, "tests", "bench"}
STREAMLIT_PACKAGES = {"streamlit", "streamlit_authenticator", "extra_streamlit_components"}


def python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def imports(path: Path) -> Iterator[tuple[int, str, tuple[str, ...]]]:
    """(line, module, imported names) for every absolute import in `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # a relative import stays inside its own package
                continue
            yield node.lineno, node.module or "", tuple(alias.name for alias in node.names)


def where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT)}:{line}"


@pytest.mark.parametrize("package", CORE)
def test_the_core_never_imports_streamlit_or_ui(package: str) -> None:
    offences = [
        f"{where(path, line)} imports {module}"
        for path in python_files(package)
        for line, module, _ in imports(path)
        if module.split(".")[0] in STREAMLIT_PACKAGES | {"ui"}
    ]
    assert python_files(package), f"no Python files under {package}/"
    assert offences == []


def test_ui_imports_only_public_core_modules() -> None:
    offences = []
    for path in python_files("ui"):
        for line, module, names in imports(path):
            parts = module.split(".")
            if parts[0] not in PROJECT_PACKAGES:
                continue  # the standard library and third-party packages
            if parts[0] not in UI_MAY_IMPORT:
                offences.append(f"{where(path, line)} imports {module}")
            private = [p for p in (*parts, *names) if p.startswith("_") and p != "__future__"]
            if private:
                offences.append(f"{where(path, line)} imports private {module}: {private}")
    assert offences == []


def test_the_rules_catch_offences(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import streamlit as st\nfrom auth.users import _find\nfrom . import sibling\n"
    )
    found = list(imports(sample))
    assert (1, "streamlit", ()) in found
    assert (2, "auth.users", ("_find",)) in found
    assert len(found) == 2  # the relative import is skipped
