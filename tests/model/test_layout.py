"""The model's layout (issue 15): small modules, one concern each, no import cycle, sans-IO."""

import ast
from pathlib import Path

import pytest

MODEL = Path(__file__).resolve().parents[2] / "sim" / "model"
MODULES = sorted(MODEL.rglob("*.py"))
# What would let the model take time or perform I/O itself: the engine's business.
FORBIDDEN = {"simpy", "time", "datetime", "random", "asyncio", "threading", "socket", "sim.engine"}


def module_name(path: Path) -> str:
    parts = path.relative_to(MODEL.parents[1]).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """The modules `path` imports, relative imports resolved, `from x import y` as x and x.y."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            target = ".".join(base + [node.module or ""]).strip(".") if node.level else node.module
            found.add(target)
            found.update(f"{target}.{a.name}" for a in node.names)
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import cycle a depth-first walk meets, as the modules along it."""
    found, state = [], {}

    def walk(node, path):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                found.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in state:
                walk(nxt, path + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            walk(node, [node])
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(MODEL)))
def test_every_model_module_is_at_most_400_lines_and_opens_with_what_it_owns(path):
    """No module over 400 lines; each opens with a docstring saying what it owns and what it
    never does (sim/model/coordinator.py's opening is the example)."""
    assert len(path.read_text().splitlines()) <= 400
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    assert ("owns" in doc or "own no" in doc) and "never" in doc


def test_no_import_cycle_among_the_model_s_modules():
    names = {module_name(p): p for p in MODULES}
    graph = {m: {d for d in imports(p) if d in names and d != m} for m, p in names.items()}
    assert cycles(graph) == []


def test_the_cycle_check_finds_a_planted_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c", "a"]]


def test_the_model_never_imports_a_clock_a_random_source_or_the_engine():
    """Sans-IO: only the engine knows time; the model's randomness comes keyed from the driver."""
    offending = {
        module_name(p): sorted(
            d for d in imports(p) if any(d == f or d.startswith(f + ".") for f in FORBIDDEN)
        )
        for p in MODULES
    }
    assert {m: found for m, found in offending.items() if found} == {}
