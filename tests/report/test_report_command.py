"""`offsim report`: the committed comparison is what a fresh run writes, byte for byte."""

import os
from pathlib import Path

from sim.cli.report import SCENARIOS, write_comparison

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


def test_committed_pictures_match_a_fresh_drawing(tmp_path, monkeypatch):
    """Each lesson's timeline in reports/pictures/ is what `offsim report` draws now; a failure
    means a picture changed: look at it, run `offsim report`, commit."""
    from sim.cli.report import PAGE, PICTURES, write_pictures

    monkeypatch.chdir(ROOT)
    written = write_pictures(tmp_path)
    assert [p.name for p in written[1:]] == [f"timeline-{name}.png" for name, _, _ in PICTURES]
    assert written[0].read_text() == (REPORTS / "pictures.md").read_text(), "pictures.md is stale"
    for path in written[1:]:
        committed = REPORTS / "pictures" / path.name
        assert path.read_bytes() == committed.read_bytes(), f"{path.name} is stale"
    # The page's screenshot depends on the browser's version: it is there, not compared.
    assert (REPORTS / "pictures" / f"page-{PAGE}.png").read_bytes()[:4] == b"\x89PNG"


def test_committed_rebalance_styles_match_a_fresh_run(tmp_path, monkeypatch):
    """reports/rebalance-styles.md is what `offsim report` writes now; a failure means the
    numbers moved: run `offsim report` and commit the result."""
    from sim.report.styles import write_styles

    monkeypatch.chdir(ROOT)
    written = write_styles(tmp_path, workers=os.cpu_count() or 1)
    committed = REPORTS / "rebalance-styles.md"
    assert written.read_text() == committed.read_text(), "rebalance-styles.md is stale"
