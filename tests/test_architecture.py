"""The package's shape, checked: the import graph follows the pipeline (README 開発).

Readers of returns depend on the workbook contract, never on the writer; nothing
imports the command line; there is no import cycle; modules stay small.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Set

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "welfare_workbook"
WRITER = {"generate", "xlsx", "xlsx_sheet"}
# modules that read returns or outputs: they must reach the writer through nothing
# (pipeline and form_pipeline write the outputs, the 差戻し copies made from the writer's fresh
# workbooks among them: they pass the writer's function to report / form_sendback)
READERS = {"contract", "collect", "guard", "identify", "sources", "returns", "normalize", "validate", "merge",
           "answers", "report", "summary", "mail", "rollover", "batch", "journal", "states", "workspace", "receive",
           "review", "status",
           "form_spec", "form_master", "form_contract", "form_collect", "form_validate", "form_report",
           "form_answers", "form_sendback"}
# subpackages whose modules are in the graph as "web.app" …; the web page reaches the
# writer only through folder.generate_in (it generates workbooks), never directly
SUBPACKAGES = ("web",)
MAX_LINES = 600


def module_files() -> Dict[str, Path]:
    """module name ("status", "web.routes" …) -> its file: the top level and the subpackages."""
    found = {path.stem: path for path in sorted(PACKAGE.glob("*.py"))}
    for sub in SUBPACKAGES:
        found.update({f"{sub}.{path.stem}": path for path in sorted((PACKAGE / sub).glob("*.py"))})
    return found


def _imported(name: str, node: ast.ImportFrom) -> Set[str]:
    """Package modules an ``import from`` names, as graph names ("journal", "web.app" …)."""
    package = name.split(".")[:-1]  # the importing module's package, below welfare_workbook
    if node.level:
        base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
    elif (node.module or "").startswith("welfare_workbook."):
        base, node = [], ast.ImportFrom(module=node.module[len("welfare_workbook."):], names=node.names, level=1)
    else:
        return set()
    if node.module:
        parts = base + node.module.split(".")
        return {".".join(parts[:2]) if parts[0] in SUBPACKAGES else parts[0]} | (
            {".".join(parts[:1] + [alias.name]) for alias in node.names} if parts[0] in SUBPACKAGES and len(parts) == 1
            else set())
    return {".".join(base + [alias.name]) for alias in node.names}


def import_graph() -> Dict[str, Set[str]]:
    """module -> package modules it imports (at any depth of the file, lazy ones included)."""
    files = module_files()
    graph: Dict[str, Set[str]] = {}
    for name, path in files.items():
        targets: Set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                targets |= _imported(name, node)
        graph[name] = {t for t in targets if t in files} - {name}
    return graph


def reachable(graph: Dict[str, Set[str]], start: str) -> Set[str]:
    seen: Set[str] = set()
    todo = [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_graph_sees_real_imports() -> None:
    """The checker itself must see arrows (a checker that sees none could never fail)."""
    graph = import_graph()
    assert "contract" in graph["collect"] and "generate" in graph["pipeline"]
    assert "form_generate" in graph["form_pipeline"] and "report" in graph["form_sendback"]
    assert {"web.server", "workspace"} <= graph["cli"]  # a lazy import of the subpackage from the top
    assert {"folder", "status", "review", "receive", "journal", "web.files"} <= graph["web.views"]
    assert "web.config" in graph["web.routes"] and "web.routes" in graph["web.app"]


WEB = sorted(m for m in module_files() if m.startswith("web."))


@pytest.mark.parametrize("module", WEB)
def test_the_web_page_never_imports_the_writer_directly(module: str) -> None:
    """The page generates through folder.generate_in; it names neither generate nor xlsx."""
    assert not (import_graph()[module] & WRITER), f"{module} imports {sorted(import_graph()[module] & WRITER)}"


@pytest.mark.parametrize("module", WEB)
def test_web_modules_stay_small(module: str) -> None:
    lines = len(module_files()[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module}: {lines} lines"


def test_the_web_page_uses_the_folder_library() -> None:
    used = set().union(*(import_graph()[m] for m in WEB))
    assert {"folder", "workspace", "status", "review", "receive", "journal"} <= used


@pytest.mark.parametrize("module", sorted(READERS & {p.stem for p in PACKAGE.glob("*.py")}))
def test_readers_never_reach_the_writer(module: str) -> None:
    reached = reachable(import_graph(), module)
    assert not (reached & WRITER), f"{module} reaches the writer through {sorted(reached & WRITER)}"


def test_nothing_imports_the_cli() -> None:
    graph = import_graph()
    importers = sorted(m for m, targets in graph.items() if "cli" in targets and m != "__main__")
    assert importers == []


def test_no_import_cycle() -> None:
    graph = import_graph()
    cycles = sorted(m for m in graph if m in reachable(graph, m))
    assert cycles == [], f"modules on an import cycle: {cycles}"


# the catalogue of Japanese messages is one list of data, read as a whole: it may run a
# little longer than a module of code
DATA_MODULES = {"catalogue": 650}


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_modules_stay_small(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= DATA_MODULES.get(path.stem, MAX_LINES), f"{path.name}: {lines} lines"
