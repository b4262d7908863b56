"""`compare --plot`: one panel per question, deterministic bytes, clipped intervals."""

import pytest

from sim.report.charts import commits_per_sim_s, plot_comparison, short
from tests.e2e.conftest import offsim


def cell(mean, low=None, high=None):
    return {
        "mean": mean,
        "low": mean if low is None else low,
        "high": mean if high is None else high,
    }


def row(strategy, lost=0.0, dup=0.0):
    return {
        "scenario": "hand-made", "strategy": strategy, "seeds": 3,
        "lost": cell(lost, lost - 50, lost + 50), "duplicated_records": cell(dup),
        "records_per_sim_s": cell(500.0, 480.0, 520.0), "commits": cell(120.0, 100.0, 140.0),
        "sim_time_ms": cell(60_000.0), "rebalance_downtime_ms": cell(9_000.0),
    }  # fmt: skip


ROWS = [row("auto", dup=1300.0), row("commit-before-process", lost=20.0)]


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_the_same_rows_draw_the_same_bytes(tmp_path, suffix):
    """No date, no software tag, a fixed SVG hash salt: a committed chart diffs only when its
    numbers do."""
    first, second = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
    plot_comparison(ROWS, first)
    plot_comparison(ROWS, second)
    assert first.read_bytes() == second.read_bytes()
    assert len(first.read_bytes()) > 1000


def test_commit_load_is_per_simulated_second():
    assert commits_per_sim_s(ROWS[0]) == {"mean": 2.0, "low": 100 / 60, "high": 140 / 60}


def test_bar_labels_stay_short():
    assert [short(v) for v in (0, 7.49, 312.4, 4_912, 1_234_567)] == [
        "0", "7.5", "312", "4.9k", "1.2M",
    ]  # fmt: skip


def test_cli_compare_draws_the_chart(tmp_path):
    png = tmp_path / "compare.png"
    offsim(
        "compare", "crash-mid-batch", "--strategies", "auto,sync-per-batch", "--seeds", "2",
        "--plot", png, check=True,
    )  # fmt: skip
    assert png.read_bytes().startswith(b"\x89PNG")


def test_cli_compare_refuses_an_unknown_plot_format_before_running(tmp_path):
    proc = offsim("compare", "crash-mid-batch", "--plot", tmp_path / "c.pdf")
    assert proc.returncode == 2 and "must end in .png or .svg" in proc.stderr
