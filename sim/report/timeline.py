"""The timeline picture of one run (`--plot FILE`, PNG or SVG by the file's extension).

Draws a `sim.report.timeline_data.Timeline` with matplotlib: what is drawn, and why, is decided
there; here only where on the page and in which ink. Lanes: the group, one per consumer slot,
one per partition, and the followed record's; a legend below lists exactly the kinds drawn.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only, never a window: set before pyplot is imported

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from sim.report.charts import save  # noqa: E402
from sim.report.timeline_build import build_timeline  # noqa: E402
from sim.report.timeline_data import MARKS, SPANS  # noqa: E402

WIDTH_IN, DPI, LANE_IN = 12.0, 110, 0.34
COLUMNS = int(WIDTH_IN * DPI * 0.85)  # pixel columns of the plotting area
# Per span kind: (offset from the lane's centre, height), in lane units (a lane is 1 high).
BOXES = {
    "processing": (-0.34, 0.5), "again": (-0.4, 0.62), "no-owner": (-0.45, 0.9),
    "two-owners": (-0.45, 0.9), "rebalancing": (-0.32, 0.64), "reconciling": (-0.32, 0.64),
    "unavailable": (-0.32, 0.64), "loading": (-0.32, 0.64), "stall": (-0.42, 0.84),
    "pause": (-0.42, 0.84), "network-cut": (-0.42, 0.84),
}  # fmt: skip
HELD_ROWS = ((0.2, 0.11), (0.33, 0.11))  # held strips under the processing bar, per row
COMMIT_Y = -0.44  # commit marks sit on the consumer lane's top edge


def _span_patch(kind: str, color: str | None):
    style = SPANS[kind]
    ink = color or style.color
    if style.fill:
        alpha = {"rebalancing": 1.0, "unavailable": 0.55, "loading": 0.6}.get(kind, 1.0)
        return {"facecolor": ink, "alpha": alpha, "lw": 0}
    face = {"no-owner": "#f4f4f4", "two-owners": "#fbe4e4"}.get(kind, "none")
    return {"facecolor": face, "edgecolor": ink, "hatch": style.symbol, "lw": 0.8}


def draw_timeline(timeline, width_in: float = WIDTH_IN):
    """A matplotlib figure of the timeline."""
    lanes = timeline.lanes
    legend = timeline.legend()
    widest = max((len(style.label) for _, _, style in legend), default=10)
    ncol = max(1, int(width_in * 0.85 // (0.3 + 0.062 * widest)))
    rows = -(-len(legend) // ncol)
    top_in, bottom_in = 0.4, 0.6 + 0.2 * rows  # the title; the time axis and the legend
    height = top_in + bottom_in + LANE_IN * len(lanes)
    fig, ax = plt.subplots(figsize=(width_in, height), dpi=DPI)
    s = 1e-6  # µs -> s on the x axis

    by_kind: dict[tuple, list] = {}
    for span in timeline.spans:
        by_kind.setdefault((span.kind, span.color, span.row), []).append(span)
    order = list(SPANS)
    for (kind, color, row), spans in sorted(by_kind.items(), key=lambda kv: order.index(kv[0][0])):
        if kind == "life":
            for sp in spans:
                ax.hlines(sp.lane, sp.start_us * s, sp.end_us * s, color="0.3", lw=1.5, zorder=3)
            continue
        if kind == "held":
            top, high = HELD_ROWS[row]
            style = {"facecolor": color, "alpha": 0.55, "lw": 0}
        else:
            top, high = BOXES[kind]
            style = _span_patch(kind, color)
        for lane in sorted({sp.lane for sp in spans}):
            bars = [(sp.start_us * s, (sp.end_us - sp.start_us) * s) for sp in spans
                    if sp.lane == lane]  # fmt: skip
            zorder = {"no-owner": 1, "two-owners": 1, "again": 6}.get(kind, 2)
            ax.broken_barh(bars, (lane + top, high), zorder=zorder, **style)

    marks: dict[tuple, list] = {}
    for pt in timeline.points:
        marks.setdefault((pt.kind, pt.label), []).append(pt)
    for (kind, _), pts in marks.items():
        style = MARKS[kind]
        dy = COMMIT_Y if kind.startswith("commit-") else 0.0
        xs = [pt.at_us * s for pt in pts]
        ys = [pt.lane + dy for pt in pts]
        ax.plot(xs, ys, style.symbol, ls="", zorder=7, **_ink(style))

    for label in timeline.labels:
        on_group = label.lane == 0
        ax.annotate(
            label.text, (label.at_us * s, label.lane), xytext=(4, 0), textcoords="offset points",
            fontsize=8 if on_group else 7.5, va="center", ha="left", zorder=8,
            color="0.15", fontweight="bold" if on_group else "normal",
            bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.75},
        )  # fmt: skip
        if on_group:
            ax.axvline(label.at_us * s, color="0.82", lw=0.6, zorder=0, ls=":")

    ax.set_yticks(range(len(lanes)), [_tick(timeline, k) for k in range(len(lanes))], fontsize=9)
    for k, tick in enumerate(ax.get_yticklabels()):
        if k in timeline.alerts:
            tick.set_color("#b01c1c")
        if k == timeline.record_lane:
            tick.set_fontweight("bold")
    ax.set_ylim(len(lanes) - 0.45, -0.55)
    ax.set_xlim(timeline.x_start_us * s, timeline.x_end_us * s)
    ax.set_xlabel("simulated time (s)" + (f" · {timeline.note}" if timeline.note else ""),
                  fontsize=9)  # fmt: skip
    ax.tick_params(axis="x", labelsize=9)
    for first in timeline.sections:
        ax.axhline(first - 0.5, color="0.35", lw=0.7)
    ax.grid(axis="x", color="0.92", lw=0.5)
    ax.set_axisbelow(True)
    ax.set_title(timeline.title, fontsize=11, loc="left")
    handles = [_handle(what, kind, style) for what, kind, style in legend]
    left = (0.3 + 0.075 * max(len(_tick(timeline, k)) for k in range(len(lanes)))) / width_in
    fig.subplots_adjust(left=left, right=0.98, top=1 - top_in / height, bottom=bottom_in / height)
    fig.legend(
        handles=handles, loc="lower left", bbox_to_anchor=(left, 0.0), ncol=ncol, fontsize=8,
        frameon=False, handletextpad=0.4, columnspacing=1.5, handlelength=1.8,
    )  # fmt: skip
    return fig


def _ink(style, largest: float = 99) -> dict:
    """A mark's colours: hollow where Plotly's symbol is (`-open`), a white rim on filled
    shapes so they stand out from the bar beneath."""
    ink = {"color": style.color, "ms": min(style.size, largest), "mew": 0.6}
    if style.plotly.endswith("-open") and style.symbol not in "|x":
        ink.update(mfc="white", mew=1.4)
    elif style.symbol not in "|x":
        ink["mec"] = "white"
    return ink


def _tick(timeline, lane: int) -> str:
    name = timeline.lanes[lane]
    alert = timeline.alerts.get(lane)
    return f"{name} · {alert}" if alert else name


def _handle(what: str, kind: str, style):
    if what == "point":
        return Line2D([], [], marker=style.symbol, ls="", label=style.label, **_ink(style, 9))
    if kind == "life":
        return Line2D([], [], color="0.3", lw=1.5, label=style.label)
    if kind == "held":
        return Patch(facecolor=style.color, alpha=0.55, label=style.label)
    return Patch(label=style.label, **_span_patch(kind, None))


def plot_run(result, path, record: tuple[int, int] | None = None) -> None:
    """Draw the run's timeline into `path` (PNG or SVG by its extension), `record` (partition,
    offset) followed through its life; the same run draws the same bytes."""
    save(draw_timeline(build_timeline(result, record, COLUMNS)), path)
