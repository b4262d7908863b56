"""`offsim report`: the committed comparison is what a fresh run writes, byte for byte."""

import os
from pathlib import Path

from sim.report.command import SCENARIOS, write_comparison

ROOT = Path(__file__).resolve().parents[2]
REPORTS = ROOT / "reports"


def test_committed_comparison_matches_a_fresh_run(tmp_path, monkeypatch):
    """Regenerated into a temporary directory: the markdown and every chart are unchanged.
    A failure means the numbers moved: run `offsim report` and commit the result."""
    monkeypatch.chdir(ROOT)  # shipped scenarios are found by name from the repository root
    written = write_comparison(tmp_path, workers=os.cpu_count() or 1)
    assert [p.name for p in written] == ["comparison.md"] + [
        f"comparison-{name}.png" for name in SCENARIOS
    ]
    for path in written:
        committed = REPORTS / path.name
        if path.suffix == ".md":
            assert path.read_text() == committed.read_text(), f"{path.name} is stale"
        else:
            assert path.read_bytes() == committed.read_bytes(), f"{path.name} is stale"
    assert (REPORTS / "perf.md").exists()  # benchmarks are never regenerated here
