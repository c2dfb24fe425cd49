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
* MLflow, a development tool, is imported by the evaluation only, never by the product.
* The tooling depends on the product, never on the tests: bench/, evaluation/,
  demo_data/ and testkit/ never import `tests`.
* `api` (the HTTP API and the MCP endpoint) is a door beside `ui`: it imports the core
  (backend/, auth/, wiring/ ...), never `ui`, `cli` or the tooling; the core and the UI
  never import `api`, and the core no web framework or MCP SDK either.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ("appdb", "backend", "auth", "vectorstore", "wiring", "cli")
UI_MAY_IMPORT = {*CORE, "ui"}
TOOLING = ("evaluation", "demo_data", "testkit")
PROJECT_PACKAGES = {*UI_MAY_IMPORT, *TOOLING, "tests", "bench", "api"}
PRODUCT = (*CORE, "ui", "api")
API_MAY_IMPORT = {*CORE, "api"} - {"cli"}
WEB_PACKAGES = {"fastapi", "starlette", "uvicorn", "mcp", "sse_starlette"}
NOT_FOR_THE_PRODUCT = {*TOOLING, "tests", "bench"}
STREAMLIT_PACKAGES = {"streamlit", "streamlit_authenticator", "extra_streamlit_components"}
# The CLI commands that run a tool, and the tool each may import (inside its handler).
TOOL_COMMANDS = {
    "cli/eval_cmd.py": "evaluation",
    "cli/demo_db.py": "demo_data",
}


ImportNode = ast.Import | ast.ImportFrom


def parse(path: Path) -> ast.Module:
    """The syntax tree of `path`. The rules only read trees, and they read every project
    file about ten times over (12 s of the module's 20, measured): each text is parsed
    and walked for its imports once."""
    return _parsed(path.read_text(encoding="utf-8"), str(path))[0]


def import_nodes(path: Path) -> tuple[ImportNode, ...]:
    """Every import statement of `path`, in `ast.walk` order."""
    return _parsed(path.read_text(encoding="utf-8"), str(path))[1]


@functools.cache
def _parsed(source: str, filename: str) -> tuple[ast.Module, tuple[ImportNode, ...]]:
    tree = ast.parse(source, filename=filename)
    return tree, tuple(node for node in ast.walk(tree) if isinstance(node, ImportNode))


def python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def imports(path: Path) -> Iterator[tuple[int, str, tuple[str, ...]]]:
    """(line, module, imported names) for every absolute import in `path`."""
    for node in import_nodes(path):
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

    visit(parse(path))
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


@pytest.mark.parametrize("package", PRODUCT)
def test_the_product_never_imports_mlflow(package: str) -> None:
    """MLflow is a development tool (requirements-dev.txt): only the evaluation uses it."""
    offences = [
        f"{where(path, line)} imports {module}"
        for path in python_files(package)
        for line, module, _ in imports(path)
        if module.split(".")[0] == "mlflow"
    ]
    assert offences == []


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


def test_api_imports_only_the_core() -> None:
    offences = [
        f"{where(path, line)} imports {module}"
        for path in python_files("api")
        for line, module, _ in imports(path)
        if module.split(".")[0] in PROJECT_PACKAGES - API_MAY_IMPORT
        or module.split(".")[0] in STREAMLIT_PACKAGES
    ]
    assert python_files("api"), "no Python files under api/"
    assert offences == []


@pytest.mark.parametrize("package", [p for p in (*CORE, "ui") if p != "cli"])
def test_the_core_and_the_ui_never_import_the_api(package: str) -> None:
    banned = {"api"} if package == "ui" else {"api", *WEB_PACKAGES}
    offences = [
        f"{where(path, line)} imports {module}"
        for path in python_files(package)
        for line, module, _ in imports(path)
        if module.split(".")[0] in banned
    ]
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


# -- no import cycles ------------------------------------------------------------------------
# Every top-level package of the repository, and every module in them, imports only
# downwards: a cycle between packages (`backend` ↔ `auth`) or between modules
# (`auth.db` ↔ `auth.policies`) is an error, whether the import runs at import time or
# inside a function. Imports under `if TYPE_CHECKING:` never run, so they make no cycle
# between modules; between packages they count like any other.
#
# Edges still to move out of the way, each with the change that removes it (none left).
# The test below fails once an edge is gone, so the entry is deleted with it.
MOVING_OUT: dict[tuple[str, str], str] = {}
UI_NEVER_IMPORTS = ("sqlalchemy", "backend.adapters")

Graph = dict[str, set[str]]


def top_level_packages(root: Path = ROOT) -> list[str]:
    return sorted(p.name for p in root.iterdir() if (p / "__init__.py").is_file())


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def type_checking_lines(tree: ast.AST) -> set[int]:
    """Lines of the imports under `if TYPE_CHECKING:` (never run)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            for child in node.body:
                lines.update(n.lineno for n in ast.walk(child) if isinstance(n, ast.stmt))
    return lines


def import_graph(root: Path = ROOT, *, runtime_only: bool) -> Graph:
    """Module → the project modules it imports (`from a import b` names `a.b` when that
    is a module, else `a`); relative imports resolved; outside modules left out."""
    files = {
        module_name(path, root): path
        for package in top_level_packages(root)
        for path in (root / package).rglob("*.py")
    }
    graph: Graph = {name: set() for name in files}
    for name, path in files.items():
        tree = parse(path)
        skip = type_checking_lines(tree) if runtime_only else set()
        here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in import_nodes(path):
            if node.lineno in skip:
                continue
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    base = ".".join([*here[: len(here) - node.level + 1], *filter(None, [base])])
                named = [f"{base}.{alias.name}" for alias in node.names]
                targets = [module if module in files else base for module in named]
            for target in targets:
                while target and target not in files:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def moving_out(source: str, target: str) -> bool:
    return any(
        (source + ".").startswith(a + ".") and (target + ".").startswith(b + ".")
        for a, b in MOVING_OUT
    )


def package_graph(modules: Graph) -> Graph:
    graph: Graph = {}
    for source, targets in modules.items():
        for target in targets:
            a, b = source.split(".")[0], target.split(".")[0]
            if a != b and not moving_out(source, target):
                graph.setdefault(a, set()).add(b)
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while not component or component[-1] != node:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_no_import_cycle_between_packages() -> None:
    assert cycles(package_graph(import_graph(runtime_only=False))) == []


def test_no_import_cycle_between_modules() -> None:
    assert cycles(import_graph(runtime_only=True)) == []


def test_every_edge_still_moving_out_exists() -> None:
    modules = import_graph(runtime_only=False)
    used = {
        (a, b)
        for a, b in MOVING_OUT
        for source, targets in modules.items()
        for target in targets
        if (source + ".").startswith(a + ".") and (target + ".").startswith(b + ".")
    }
    assert set(MOVING_OUT) - used == set(), "delete the entries that no longer apply"


def test_ui_never_imports_adapters_or_sqlalchemy() -> None:
    """The pages reach databases and models through the core and `wiring`, so a vendor
    change never touches the UI."""
    offences = [
        f"{where(path, line)} imports {module}"
        for path in python_files("ui")
        for line, module, _ in imports(path)
        if any((module + ".").startswith(banned + ".") for banned in UI_NEVER_IMPORTS)
    ]
    assert offences == []


def test_the_cycle_checks_find_cycles(tmp_path: Path) -> None:
    files = {
        "alpha/__init__.py": "",
        "alpha/one.py": "from beta import two\n",
        "alpha/three.py": "def late():\n    from alpha import one\n",
        "beta/__init__.py": "",
        "beta/two.py": "from ..alpha.three import late\n",
        "beta/four.py": "import typing\nif typing.TYPE_CHECKING:\n    from beta import five\n",
        "beta/five.py": "import beta.four\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    runtime = import_graph(tmp_path, runtime_only=True)
    assert runtime["beta.two"] == {"alpha.three"}  # relative import resolved
    assert cycles(runtime) == [["alpha.one", "alpha.three", "beta.two"]]  # a function's import
    everything = import_graph(tmp_path, runtime_only=False)
    assert ["beta.five", "beta.four"] in cycles(everything)  # only under TYPE_CHECKING
    assert cycles(package_graph(everything)) == [["alpha", "beta"]]


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
