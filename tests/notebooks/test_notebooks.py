"""Every teaching notebook runs top to bottom without an error, so a lesson never rots.

Each notebook is executed in memory from its own folder, as `jupyter execute` runs it, against
this checkout's `sim`; the committed file, with its stored outputs, is left as it is.
tests/installed/ runs them with `jupyter execute` against the installed package, from their
folder and from `/`.
"""

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_without_error(path, monkeypatch):
    """nbclient raises CellExecutionError, naming the cell, on the first cell that fails."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the kernel imports this checkout's sim
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
