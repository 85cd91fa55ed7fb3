"""Structure of ``commeval.survey``: the modules import each other without a circle (every
import counts, also those inside functions and ``TYPE_CHECKING`` blocks)."""

from __future__ import annotations

import ast
from pathlib import Path

import commeval.survey

PKG = Path(commeval.survey.__file__).resolve().parent


def _imports(path: Path) -> set[str]:
    """Sibling modules of ``commeval.survey`` that a module imports."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                mod = node.module
            elif node.level == 0 and (node.module or "").startswith("commeval.survey."):
                mod = node.module.removeprefix("commeval.survey.")
            else:
                continue
            if mod is None:  # from . import x
                out.update(a.name for a in node.names)
            else:
                out.add(mod.split(".")[0])
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("commeval.survey."):
                    out.add(a.name.removeprefix("commeval.survey.").split(".")[0])
    return out


def import_graph() -> dict[str, set[str]]:
    mods = {p.stem: p for p in PKG.glob("*.py") if p.stem != "__init__"}
    return {m: _imports(p) & set(mods) for m, p in mods.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                return stack[stack.index(n) :] + [n]
            if n not in state and (found := visit(n)):
                return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_no_import_cycle_inside_survey():
    graph = import_graph()
    assert "design" in graph and "columns" in graph
    cycle = _cycle(graph)
    assert cycle is None, " -> ".join(cycle)


def test_columns_is_a_leaf():
    assert import_graph()["columns"] == set()


def test_cycle_detection_works():
    assert _cycle({"a": {"b"}, "b": {"a"}}) == ["a", "b", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
