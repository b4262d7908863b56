"""The layout rules of issue 15 for the claims and report packages: no module over 400 lines,
and no two of their modules importing each other, directly or through others, lazy imports
(inside functions) included."""

import ast
from pathlib import Path

import pytest

import sim

ROOT = Path(sim.__file__).parent
PACKAGES = ("claims", "report")


def _modules(package: str) -> dict[str, Path]:
    return {f"sim.{package}.{p.stem}": p for p in sorted((ROOT / package).glob("*.py"))}


def _imports(path: Path, names: set[str]) -> set[str]:
    """The modules of `names` that `path` imports anywhere in its body."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            continue
        found.update(t for t in targets if t in names)
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of `graph`, as a path that comes back to its start; [] if none."""
    done: set[str] = set()

    def visit(node, path):
        if node in path:
            return path[path.index(node) :] + [node]
        if node in done:
            return []
        for nxt in sorted(graph[node]):
            found = visit(nxt, path + [node])
            if found:
                return found
        done.add(node)
        return []

    for start in sorted(graph):
        found = visit(start, [])
        if found:
            return found
    return []


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_is_over_400_lines(package):
    """A module past ~400 lines is usually two (issue 15)."""
    long = {
        name: n
        for name, path in _modules(package).items()
        if (n := len(path.read_text().splitlines())) > 400
    }
    assert not long


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycle(package):
    """No two modules of the package import each other, even lazily (issue 15)."""
    modules = _modules(package)
    names = set(modules) - {f"sim.{package}.__init__"}
    graph = {name: _imports(modules[name], names) - {name} for name in names}
    assert _cycle(graph) == []


def test_the_cycle_finder_finds_a_lazy_import_cycle():
    """The check is worth only what it finds: two modules importing each other are a cycle."""
    assert _cycle({"a": {"b"}, "b": {"a"}}) == ["a", "b", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) == []
