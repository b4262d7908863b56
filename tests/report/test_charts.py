"""`compare --plot`: one panel per question, deterministic bytes, intervals that respect the
quantity, identical strategies in one lane."""

import pytest

from sim.report.charts import commits_per_sim_s, comparison_figure, plot_comparison, short
from sim.sweep.stats import summarise
from tests.e2e.conftest import offsim


def row(strategy, lost=(0, 0, 0), dup=(0, 0, 0), digests=("a", "b", "c"), **marks):
    """A compare row over three seeds; the other fields as a typical run has them."""
    cells = {
        "lost": lost, "duplicated_records": dup, "records_per_sim_s": (480, 500, 520),
        "commits": (100, 120, 140), "sim_time_ms": (60_000,) * 3,
        "rebalance_downtime_ms": (9_000, 9_500, 10_000), "group_stall_ms": (0, 1_000, 2_000),
        "lag_records_mean": (40, 50, 60), "latency_p99_ms": (900, 1_000, 1_100),
    }  # fmt: skip
    out = {"scenario": "hand-made", "strategy": strategy, "seeds": 3}
    out.update({key: summarise(values) for key, values in cells.items()})
    out.update(trace_digests=list(digests), identical_to=None, identical_why=None)
    out.update(marks)
    return out


ROWS = [row("auto", dup=(1200, 1300, 1400)), row("commit-before-process", lost=(0, 0, 60))]


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
    load = commits_per_sim_s(ROWS[0])
    assert (load["mean"], load["min"], load["max"]) == (2.0, 100 / 60, 140 / 60)


def test_strategies_with_identical_runs_share_a_lane():
    """A row marked identical_to another is drawn in that row's lane, named with both."""
    rows = [*ROWS, row("auto-store-after-process", identical_to="auto", identical_why="same")]
    figure = comparison_figure(rows)
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert labels == ["auto = auto-store-after-process", "commit-before-process"]


def test_every_axis_starts_at_zero_and_no_whisker_reaches_below():
    """Counts and rates cannot be negative: a seed that lost 60 beside two that lost none
    draws a whisker from 0 at the lowest, never below the axis."""
    figure = comparison_figure(ROWS)
    assert all(ax.get_xlim()[0] == 0 for ax in figure.axes)
    lost = ROWS[1]["lost"]
    assert 0 <= lost["low"] < lost["mean"] < lost["high"] <= 60


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
