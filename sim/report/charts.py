"""The comparison picture (`offsim compare --plot FILE`): one small panel per question.

A reader choosing a strategy asks, in order: does it lose records, does it process them twice,
how fast is it, what does it cost the broker; then how long does the group stand still, how far
do its committed offsets trail the log, how long does a record wait for its effect. Each panel
answers one of these for every strategy, as a bar (the mean over seeds) with a whisker (its 95%
bootstrap interval) and dots at the lowest and highest seed, on an axis that starts at zero;
strategies on one shared axis so a row reads across, and strategies whose runs were identical
share a lane. Everything is drawn from `sim.sweep.compare` rows; nothing is re-run. The bytes are
deterministic (no date, no software tag, a fixed SVG hash salt), so a committed chart only
changes when the numbers do.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only, never a window: set before pyplot is imported

import matplotlib.pyplot as plt  # noqa: E402

from sim.files import replacing  # noqa: E402
from sim.report.tables import folded  # noqa: E402

PANEL_IN, LANE_IN, DPI = 2.6, 0.28, 110
LOSS, DUPLICATE, NEUTRAL, WAIT = "#d62728", "#ff7f0e", "#4c72b0", "#8172b3"


def commits_per_sim_s(row: dict) -> dict:
    """Commit requests per second of simulated time: the load a strategy puts on the group
    coordinator. The summary scales the commits' by the mean simulated time (which varies far
    less across seeds than the commit count)."""
    seconds = max(row["sim_time_ms"]["mean"] / 1000, 1e-9)
    return {k: v / seconds for k, v in row["commits"].items()}


def seconds(field: str):
    """A cell kept in milliseconds (or partition-milliseconds), read in seconds."""
    return lambda row: {k: v / 1000 for k, v in row[field].items()}


def latency_p99_s(row: dict) -> dict:
    """The p99 latency of the records produced during the run, or of every record when none
    were (see `sim.report.tables.compare_tables`)."""
    return seconds("live_latency_p99_ms" if "live_latency_p99_ms" in row else "latency_p99_ms")(row)


# (title, unit, colour, how to read the cell from a row), in the order a reader asks, four a row.
PANELS = (
    ("records lost", "records", LOSS, lambda r: r["lost"]),
    ("processed twice or more", "records", DUPLICATE, lambda r: r["duplicated_records"]),
    ("throughput", "records / simulated s", NEUTRAL, lambda r: r["records_per_sim_s"]),
    ("commit load", "commits / simulated s", NEUTRAL, commits_per_sim_s),
    ("rebalance downtime", "partition-seconds", WAIT, seconds("rebalance_downtime_ms")),
    ("group stall", "seconds", WAIT, seconds("group_stall_ms")),
    ("committed lag, mean", "records per partition", WAIT, lambda r: r["lag_records_mean"]),
    ("latency p99", "seconds", WAIT, latency_p99_s),
)
PER_ROW = 4


def short(value: float) -> str:
    """A bar's label, at most five characters: 0, 7.5, 312, 4.9k, 1.2M."""
    if value == 0:
        return "0"
    for scale, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.1f}{suffix}"
    return f"{value:.1f}" if abs(value) < 100 else f"{value:.0f}"


def _tick(value: float) -> str:
    """An axis tick: round numbers stay round (80, not 80.0)."""
    return short(value) if abs(value) >= 1000 else f"{value:g}"


def _panel(ax, rows: list[dict], title: str, unit: str, color: str, cell) -> None:
    cells = [cell(r) for r in rows]
    means = [c["mean"] for c in cells]
    ys = range(len(rows))
    ax.barh(ys, means, color=color, height=0.65, zorder=2)
    ax.errorbar(
        means, ys, xerr=[[m - c["low"] for m, c in zip(means, cells, strict=True)],
                         [c["high"] - m for m, c in zip(means, cells, strict=True)]],
        fmt="none", ecolor="0.15", elinewidth=0.9, capsize=2, zorder=3,
    )  # fmt: skip
    spread = [(y, c) for y, c in zip(ys, cells, strict=True) if c["min"] < c["max"]]
    if spread:
        ax.scatter(
            [c[end] for _, c in spread for end in ("min", "max")],
            [y for y, _ in spread for _ in ("min", "max")],
            s=7, color="0.35", zorder=4, linewidths=0,
        )  # fmt: skip
    top = max([c["max"] for c in cells] + [0.0])
    ax.set_xlim(0, top * 1.3 if top > 0 else 1.0)
    for y, m, c in zip(ys, means, cells, strict=True):
        ax.annotate(
            short(m), (max(m, c["high"], c["max"]), y), xytext=(3, 0),
            textcoords="offset points", va="center", fontsize=7, color="0.25",
        )  # fmt: skip
    ax.set_title(title, fontsize=9, loc="left")
    ax.set_xlabel(unit, fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    ax.xaxis.set_major_locator(plt.MaxNLocator(3))
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: _tick(v)))
    ax.grid(axis="x", color="0.9", lw=0.5, zorder=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def comparison_figure(rows: list[dict]):
    """The figure for `compare` rows: two rows of four panels, strategies down a shared axis
    (one lane for strategies whose runs were identical)."""
    lanes = folded(rows)
    shown = [row for row, _ in lanes]
    grid = (len(PANELS) + PER_ROW - 1) // PER_ROW
    height = grid * (1.0 + LANE_IN * len(shown)) + 0.4
    fig, axes = plt.subplots(
        grid, PER_ROW, figsize=(PANEL_IN * PER_ROW, height), sharey=True, dpi=DPI,
        layout="constrained", squeeze=False,
    )  # fmt: skip
    for ax, (title, unit, color, cell) in zip(axes.flat, PANELS, strict=True):
        _panel(ax, shown, title, unit, color, cell)
    names = [" = ".join([row["strategy"], *same]) for row, same in lanes]
    for line in axes:
        line[0].set_yticks(range(len(shown)), names, fontsize=8)
    axes[0][0].set_ylim(len(shown) - 0.5, -0.5)
    seeds = rows[0]["seeds"] if rows else 0
    name = rows[0]["scenario"] if rows else ""
    fig.suptitle(
        f"{name}: bars the mean over {seeds} seeds, whiskers its 95% bootstrap interval, "
        "dots the lowest and highest seed",
        fontsize=10, x=0.01, ha="left",
    )  # fmt: skip
    return fig


def save(fig, path) -> None:
    """Write `fig` to `path` (PNG or SVG by its extension) with no date or software tag and a
    fixed SVG hash salt, so the same figure is the same bytes; then close it."""
    path = str(path)
    metadata = {"Date": None} if path.lower().endswith(".svg") else {"Software": None}
    with (
        plt.rc_context({"svg.hashsalt": "offsim", "svg.fonttype": "path"}),
        replacing(path) as partial,
    ):
        fig.savefig(partial, metadata=metadata)
    plt.close(fig)


def plot_comparison(rows: list[dict], path) -> None:
    """Draw the comparison into `path`, byte for byte the same for the same rows."""
    save(comparison_figure(rows), path)
