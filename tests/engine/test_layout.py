"""The engine's layout rules: one concern per module, each small, saying what it owns and what it
never does, and no two engine modules importing each other (directly or round a longer loop)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[2] / "sim" / "engine"
MODULES = sorted(ENGINE.glob("*.py"))
MAX_LINES = 400


def engine_imports(path: Path) -> set[str]:
    """The engine modules `path` imports, type-checking-only imports included."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                found.add(node.module.split(".")[0])
            elif node.level == 0 and (node.module or "").startswith("sim.engine."):
                found.add(node.module.split(".")[2])
            elif node.level == 1 and node.module is None:
                found.update(alias.name for alias in node.names)
    return found


def import_cycle(paths: list[Path]) -> str | None:
    """A module that imports itself back (directly or round a loop), or None."""
    graph = {path.stem: engine_imports(path) for path in paths}
    for start in graph:
        stack, seen = list(graph[start]), set()
        while stack:
            name = stack.pop()
            if name == start:
                return start
            if name not in seen:
                seen.add(name)
                stack.extend(graph.get(name, ()))
    return None


def test_no_import_cycle_inside_the_engine():
    """Following the imports from any engine module never comes back to it."""
    assert import_cycle(MODULES) is None


def test_the_cycle_check_catches_a_planted_cycle(tmp_path):
    """A module importing one that imports it back, if only for type checking, is found."""
    (tmp_path / "a.py").write_text("from .b import x\n")
    (tmp_path / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import y\n"
    )
    (tmp_path / "c.py").write_text("from .a import z\n")
    assert import_cycle(sorted(tmp_path.glob("*.py"))) in ("a", "b")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_an_engine_module_is_small_and_says_what_it_owns_and_never_does(path):
    """At most 400 lines; a module docstring that names what the module never does."""
    text = path.read_text()
    assert text.count("\n") <= MAX_LINES, f"{path.name}: {text.count(chr(10))} lines"
    if path.name == "__init__.py":
        return
    docstring = ast.get_docstring(ast.parse(text)) or ""
    assert "never" in docstring, f"{path.name}: its docstring says nothing it never does"
