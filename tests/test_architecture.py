"""The layout of docs/architecture.md holds: layers, no cycles, small modules, a current picture."""

import ast
import re

from tests.architecture import (
    DOC,
    MAX_LINES,
    PICTURE,
    counts,
    cycles,
    graph_block,
    imported,
    imports,
    layer,
    layer_edges,
    modules,
    picture_digest,
    upward,
)


def test_no_import_from_a_higher_layer():
    assert upward(imports()) == [], "a lower layer reaches up; see docs/architecture.md"


def test_no_import_cycle():
    assert cycles(imports()) == []


def test_the_checks_catch_a_planted_cycle_and_a_planted_upward_import():
    """The two rules above are only as good as their detectors: plant one breach of each."""
    assert cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == [["a", "b", "c"]]
    assert upward({"sim.model.log": ["sim.engine.network"], "sim.cli.main": ["sim.model"]}) == [
        "sim.model.log -> sim.engine.network (sim.model -> sim.engine)"
    ]


def test_function_level_imports_count(tmp_path):
    """A lazy import inside a function is still an edge: it is how a cycle hides."""
    package = tmp_path / "sim"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "low.py").write_text("def f():\n    from sim.high import g\n")
    (package / "high.py").write_text("from . import low\n")
    assert imports(tmp_path) == {"sim": [], "sim.high": ["sim.low"], "sim.low": ["sim.high"]}


def test_no_module_over_the_line_limit():
    long = {
        name: n
        for name, path in modules().items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, f"split these along their seams (at most {MAX_LINES} lines)"


def test_every_module_opens_with_a_docstring():
    """Each module says what it owns (and, for a package, what it never does)."""
    missing = [
        name
        for name, path in modules().items()
        if not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert missing == []


def test_every_package_is_placed_in_a_layer():
    packages = {name for name, path in modules().items() if path.name == "__init__.py"}
    top = {".".join(name.split(".")[:2]) for name in packages}
    assert {layer(name) for name in top} == top


def test_the_picture_and_the_graph_in_the_doc_are_current():
    """Regenerate with `python -m tests.architecture` when this fails."""
    edges = layer_edges(imports())
    assert graph_block(edges) in DOC.read_text(encoding="utf-8")
    described = re.search(r"layers ([0-9a-f]{16})", PICTURE.read_text(encoding="utf-8"))
    assert described and described.group(1) == picture_digest(edges, counts())


def test_the_doc_names_only_packages_that_exist():
    """A module or a name in one: the page must not drift from the code as modules move."""
    named = set(re.findall(r"`(sim(?:\.\w+)+)`", DOC.read_text(encoding="utf-8")))
    known = set(modules())
    assert sorted(n for n in named if n not in known and n.rpartition(".")[0] not in known) == []


# What would let a module take time, perform I/O or draw an unkeyed random number itself.
CLOCKS = ("simpy", "time", "datetime", "asyncio", "threading", "socket", "sim.engine")


def _importing(prefix: str, forbidden) -> dict[str, list[str]]:
    known = modules()
    found = {
        name: sorted(
            t
            for t in imported(name, path, known)
            if any(t == f or t.startswith(f + ".") for f in forbidden)
        )
        for name, path in known.items()
        if name == prefix or name.startswith(prefix + ".")
    }
    return {name: targets for name, targets in found.items() if targets}


def test_the_model_is_sans_io():
    """Only the engine knows time: the model's state machines never import a clock, a
    scheduler, a thread or the engine (docs/architecture.md)."""
    assert _importing("sim.model", CLOCKS) == {}


def test_nothing_draws_from_the_random_module():
    """Determinism: every draw comes from a keyed numpy generator (`sim.engine.draws`)."""
    assert _importing("sim", ("random",)) == {}


def test_the_import_rules_catch_a_planted_clock(tmp_path):
    package = tmp_path / "sim"
    (package / "model").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "model" / "__init__.py").write_text("")
    (package / "model" / "log.py").write_text(
        "def now():\n    import time\n    return time.time()\n"
    )
    assert imported("sim.model.log", package / "model" / "log.py", modules(tmp_path)) == {"time"}
