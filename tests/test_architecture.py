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
WRITER = {"generate", "xlsx"}
# modules that read returns or outputs: they must reach the writer through nothing
READERS = {"contract", "collect", "guard", "identify", "sources", "returns", "normalize", "validate", "merge",
           "answers", "report", "summary", "mail", "rollover", "batch", "journal", "states", "workspace", "receive",
           "review", "status", "web",
           "form_spec", "form_master", "form_contract", "form_collect", "form_validate", "form_report",
           "form_answers", "form_pipeline"}
MAX_LINES = 600


def import_graph() -> Dict[str, Set[str]]:
    """module -> package modules it imports (at any depth of the file, lazy ones included)."""
    graph: Dict[str, Set[str]] = {}
    for path in sorted(PACKAGE.glob("*.py")):
        name = path.stem
        targets: Set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    targets.add(node.module.split(".")[0])
                else:
                    targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("welfare_workbook."):
                targets.add((node.module or "").split(".")[1])
        graph[name] = {t for t in targets if (PACKAGE / f"{t}.py").exists()} - {name}
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
