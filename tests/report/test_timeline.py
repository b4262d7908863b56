"""`--plot` draws the timeline to PNG or SVG; long runs are drawn at pixel resolution."""

import pytest

from sim import load_scenario, run
from sim.report.timeline import merge_spans, plot_run, thin
from tests.e2e.conftest import offsim


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_plot_writes_a_picture(tmp_path, suffix):
    """Both formats, by the file's extension, with the anomaly marks of a lossy run."""
    path = tmp_path / f"timeline{suffix}"
    plot_run(run(load_scenario("finally-commit-poison")), path)
    data = path.read_bytes()
    assert len(data) > 1000
    assert data.startswith(b"\x89PNG") if suffix == ".png" else b"<svg" in data[:2000]


def test_cli_run_and_explain_write_plots(tmp_path):
    png, svg = tmp_path / "run.png", tmp_path / "explain.svg"
    offsim("run", "crash-mid-batch", "--plot", png, check=True)
    offsim("explain", "crash-mid-batch", "--plot", svg, check=True)
    assert png.stat().st_size > 1000 and svg.stat().st_size > 1000


def test_cli_refuses_an_unknown_plot_format(tmp_path):
    proc = offsim("run", "crash-mid-batch", "--plot", tmp_path / "t.pdf")
    assert proc.returncode == 2 and "must end in .png or .svg" in proc.stderr


def test_spans_closer_than_a_pixel_merge():
    """Downsampling: spans with gaps under a pixel become one; short spans widen to a pixel."""
    assert merge_spans([(10, 20), (0, 5), (5.5, 8)], 1.0) == [(0, 8), (10, 10)]
    assert merge_spans([(0, 0.1)], 1.0) == [(0, 1.0)]


def test_markers_thin_to_one_per_pixel():
    assert thin([0.1, 0.5, 0.9, 1.2, 5.0], 1.0) == [0.1, 1.2, 5.0]
