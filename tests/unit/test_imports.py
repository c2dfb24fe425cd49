"""Import rules: dependencies point inward (ui → backend/auth/vectorstore, never back).

* No Streamlit (nor the Streamlit auth libraries) anywhere in backend/, auth/ or
  vectorstore/: the product core runs without a UI.
* The core never imports `ui`.
* `ui` imports only the public modules and names of backend/, auth/ and vectorstore/
  (nothing whose dotted path or imported name starts with an underscore), and never the
  tests or the benchmarks.
* The product (backend/, auth/, vectorstore/, ui/) never imports the tooling: the
  evaluation harness, the demo-data generator, the testkit, the tests or the benchmarks.
  The one exception is the CLI command that runs each tool (`keskinube eval`,
  `keskinube demo-db`), and only inside its handler, so the other commands and the app
  work in an installation without the tooling (the container image).
* The tooling depends on the product, never on the tests: bench/, evaluation/,
  demo_data/ and testkit/ never import `tests`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ("backend", "auth", "vectorstore")
UI_MAY_IMPORT = {*CORE, "ui"}
TOOLING = ("evaluation", "demo_data", "testkit")
PROJECT_PACKAGES = {*UI_MAY_IMPORT, *TOOLING, "tests", "bench"}
PRODUCT = (*CORE, "ui")
NOT_FOR_THE_PRODUCT = {*TOOLING, "tests", "bench"}
STREAMLIT_PACKAGES = {"streamlit", "streamlit_authenticator", "extra_streamlit_components"}
# The CLI commands that run a tool, and the tool each may import (inside its handler).
TOOL_COMMANDS = {
    "backend/cli/eval_cmd.py": "evaluation",
    "backend/cli/demo_db.py": "demo_data",
}


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


def import_time_lines(path: Path) -> set[int]:
    """Lines of the imports that run when `path` is imported: all but those inside a
    function, or under `if TYPE_CHECKING:`."""
    lines: set[int] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            return
        if isinstance(node, ast.If) and ast.unparse(node.test) in {
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        }:
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            lines.add(node.lineno)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return lines


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


def tooling_offences(path: Path) -> list[str]:
    """The imports of tooling in a product file, the CLI's lazy tool imports excepted."""
    allowed = TOOL_COMMANDS.get(path.relative_to(ROOT).as_posix())
    eager = import_time_lines(path)
    offences = []
    for line, module, _ in imports(path):
        top = module.split(".")[0]
        if top not in NOT_FOR_THE_PRODUCT:
            continue
        if top == allowed and line not in eager:
            continue
        offences.append(f"{where(path, line)} imports {module}")
    return offences


@pytest.mark.parametrize("package", PRODUCT)
def test_the_product_never_imports_the_tooling(package: str) -> None:
    assert python_files(package), f"no Python files under {package}/"
    assert [o for path in python_files(package) for o in tooling_offences(path)] == []


def test_each_tool_command_imports_its_tool_lazily() -> None:
    for name, tool in TOOL_COMMANDS.items():
        path = ROOT / name
        lazy = [module for line, module, _ in imports(path) if module.split(".")[0] == tool]
        assert lazy, f"{name} no longer imports {tool}: update TOOL_COMMANDS"
        assert tooling_offences(path) == []


@pytest.mark.parametrize("package", ["bench", *TOOLING])
def test_the_tooling_never_imports_the_tests(package: str) -> None:
    offences = [
        f"{where(path, line)} imports {module}"
        for path in python_files(package)
        for line, module, _ in imports(path)
        if module.split(".")[0] == "tests"
    ]
    assert python_files(package), f"no Python files under {package}/"
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


def test_the_rules_tell_import_time_from_lazy_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from evaluation.sets import Selected\n"
        "try:\n"
        "    import demo_data\n"
        "except ImportError:\n"
        "    pass\n"
        "def handle() -> None:\n"
        "    from evaluation import runner\n"
    )
    assert import_time_lines(sample) == {1, 5}
