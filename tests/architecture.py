"""The shape of the code, read from its imports: which module imports which, the layers the
packages stand in, and the picture of them in docs/architecture.md.

`python -m tests.architecture` redraws docs/architecture.svg and rewrites the graph block of
docs/architecture.md from the code; tests/test_architecture.py fails when either is stale, when
a module imports from a higher layer, when two modules import each other (directly or round a
loop), or when a module in sim/ is over MAX_LINES lines. Imports inside functions count: they
are how a lower layer would reach up without it showing at the top of the file.
"""

from __future__ import annotations

import ast
import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
PICTURE = ROOT / "docs" / "architecture.svg"
BEGIN, END = "<!-- graph: python -m tests.architecture -->", "<!-- end of graph -->"
MAX_LINES = 400
WIDTH = 4.2  # a box in the picture, in the units of one layer's height

# The pipeline, lowest first: a module may import from its own layer and those below it, never
# from above. "sim" is the root package and its small shared modules (files, progress).
LAYERS = (
    "sim",
    "sim.model",
    "sim.strategies",
    "sim.scenario",
    "sim.ledger",
    "sim.engine",
    "sim.api",
    "sim.sweep",
    "sim.report",
    "sim.claims",
    "sim.conformance",
    "sim.cli",
)


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the `sim` package by dotted name (a package by its own name)."""
    found = {}
    for path in sorted((root / "sim").rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imported(name: str, path: Path, known) -> set[str]:
    """Every dotted name the module imports anywhere in its body, relative imports resolved;
    `from x import y` gives x.y where that is a module of `known`, else x."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in known else base)
    return found


def imports(root: Path = ROOT) -> dict[str, list[str]]:
    """Module -> the `sim` modules it imports, anywhere in its body, sorted."""
    known = modules(root)
    return {
        name: sorted(t for t in imported(name, path, known) if t in known and t != name)
        for name, path in known.items()
    }


def layer(module: str) -> str:
    """The layer a module stands in: its longest LAYERS prefix (root modules are "sim")."""
    matches = [p for p in LAYERS if module == p or module.startswith(p + ".")]
    return max(matches, key=len)


def cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Every set of modules that import each other round a loop (Tarjan's strongly connected
    components of more than one module), each sorted, in name order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph)))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def upward(graph: dict[str, list[str]]) -> list[str]:
    """Every import from a higher layer, as "module -> target (layer -> layer)"."""
    rank = {name: i for i, name in enumerate(LAYERS)}
    return [
        f"{m} -> {t} ({layer(m)} -> {layer(t)})"
        for m, targets in sorted(graph.items())
        for t in targets
        if rank[layer(t)] > rank[layer(m)]
    ]


def layer_edges(graph: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(importer, imported) between distinct layers, sorted: the picture's arrows."""
    return sorted(
        {(layer(m), layer(t)) for m, ts in graph.items() for t in ts} - {(a, a) for a in LAYERS}
    )


def graph_block(edges: list[tuple[str, str]]) -> str:
    """The Mermaid flowchart of the layers (rendered as a picture where Markdown renders
    Mermaid, readable as text where it does not)."""
    lines = ["```mermaid", "flowchart BT"]
    lines += [f"    {a.replace('.', '_')}[{a}] --> {b.replace('.', '_')}[{b}]" for a, b in edges]
    return "\n".join([BEGIN, *lines, "```", END])


def picture_digest(edges: list[tuple[str, str]], count: dict[str, int]) -> str:
    """What the picture shows, hashed: its arrows and its module counts."""
    return hashlib.sha256(repr((edges, sorted(count.items()))).encode()).hexdigest()[:16]


def counts(root: Path = ROOT) -> dict[str, int]:
    """Layer -> how many modules stand in it."""
    out = dict.fromkeys(LAYERS, 0)
    for name in modules(root):
        out[layer(name)] += 1
    return out


def draw(edges: list[tuple[str, str]], path: Path) -> None:
    """The layers as a stack of boxes, lowest at the bottom, each labelled with how many modules
    it holds, and each import between layers an arc on the right (those into the root package,
    which every layer may use, left out); the SVG's description carries the digest of what it
    shows (the test compares it)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    height = len(LAYERS)
    count = counts()
    with plt.rc_context({"svg.hashsalt": "offsim", "svg.fonttype": "path"}):
        fig, ax = plt.subplots(figsize=(7.5, 0.55 * height + 0.6))
        for i, name in enumerate(LAYERS):
            ax.add_patch(plt.Rectangle((0, i - 0.3), WIDTH, 0.6, fc="#eef3fb", ec="#35557f"))
            ax.text(0.1, i, name, ha="left", va="center", fontsize=10, family="monospace")
            ax.text(
                WIDTH - 0.1,
                i,
                f"{count[name]} modules",
                ha="right",
                va="center",
                fontsize=7,
                color="#555555",
            )
        rank = {name: i for i, name in enumerate(LAYERS)}
        for a, b in edges:
            if b == "sim":
                continue
            i, j = rank[a], rank[b]
            ax.annotate(
                "",
                xy=(WIDTH, j + 0.1),
                xytext=(WIDTH, i - 0.1),
                arrowprops={
                    "arrowstyle": "->",
                    "color": "#6b7a90",
                    "lw": 0.7,
                    "connectionstyle": f"arc3,rad={-0.08 - 0.035 * (i - j)}",
                },
            )
        ax.set_xlim(-0.2, WIDTH + 0.35 * height)
        ax.set_ylim(-0.6, height - 0.4)
        ax.axis("off")
        ax.set_title("offsim: each package imports only those below it", fontsize=10)
        fig.tight_layout()
        metadata = {"Date": None, "Description": f"layers {picture_digest(edges, count)}"}
        fig.savefig(path, metadata=metadata)
        plt.close(fig)


def main() -> None:
    edges = layer_edges(imports())
    text = DOC.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    DOC.write_text(text[:start] + graph_block(edges) + text[end:], encoding="utf-8")
    draw(edges, PICTURE)
    print(f"{DOC.relative_to(ROOT)} and {PICTURE.relative_to(ROOT)}: {len(edges)} layer edges")


if __name__ == "__main__":
    main()
