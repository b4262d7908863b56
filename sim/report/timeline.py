"""The timeline picture of one run (`--plot FILE`, PNG or SVG by the file's extension).

One lane per consumer instance (what it processed, its commits, how it ended) and one per
partition (who processed it, and where records were lost or processed twice), over grey bands
where the group was rebalancing. Everything is read from the ledger and the checker's report.
The rule it keeps: one pixel is the finest detail drawn. Spans closer than a pixel merge and
markers within a pixel of each other draw once, so an hour-long run stays a readable picture
and a small file, not a million rectangles.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only, never a window: set before pyplot is imported

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from sim.files import replacing  # noqa: E402

WIDTH_IN, DPI, LANE_IN = 12.0, 110, 0.32
COLORS = plt.get_cmap("tab10").colors
COMMIT_MARKERS = {  # outcome -> (marker, color, size, legend label)
    "ok": ("|", "#2a7d2a", 7, "commit ok"),
    "failed": ("x", "#d62728", 7, "commit failed"),
    "unknown": ("D", "#ff7f0e", 5, "commit outcome unknown"),
}
STOP_MARKERS = {"crash": ("X", "black", 11), "error": ("*", "#9467bd", 12)}


def merge_spans(spans, pixel_us: float) -> list[tuple[float, float]]:
    """Spans (start, end) sorted and merged where the gap is under a pixel; each at least a
    pixel wide, so a short span stays visible."""
    out: list[list[float]] = []
    for start, end in sorted(spans):
        end = max(end, start + pixel_us)
        if out and start - out[-1][1] < pixel_us:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e - s) for s, e in out]


def thin(times, pixel_us: float) -> list[float]:
    """One time per pixel column: a thousand commits in a second draw as one marker."""
    seen, out = set(), []
    for t in sorted(times):
        column = int(t // pixel_us)
        if column not in seen:
            seen.add(column)
            out.append(t)
    return out


def _outcome(commit) -> str | None:
    if commit.outcome is None:
        return None
    if commit.outcome == "ok":
        return "ok"
    return "unknown" if commit.outcome == "UNKNOWN" else "failed"


def _rebalancing(ledger, end_us: int) -> list[tuple[int, int]]:
    """(start, end) of each period from a rebalance starting to the next stable generation."""
    stable = [at for at, _, _ in ledger.generations]
    out = []
    for at, _ in ledger.rebalances:
        later = [s for s in stable if s >= at]
        out.append((at, later[0] if later else end_us))
    return out


def _anomaly_marks(report):
    """Per partition: (time span in µs, kind, records) of each lost and duplicated group."""
    history = report.history
    marks: dict[int, list] = {}
    for kind in ("lost", "duplicate"):
        for g in report.anomalies[kind].groups:
            if kind == "lost":
                times = [w.at_us for w in g.witness if w.event == "commit-applied"]
                times = times or [g.witness[-1].at_us]
                span = (times[0], times[0])
            else:
                first = history.processings(g.partition, g.start)
                last = history.processings(g.partition, g.end - 1)
                span = (first[1][0], last[-1][0]) if len(first) > 1 else (first[0][0],) * 2
            marks.setdefault(g.partition, []).append((span, kind, g.records))
    return marks


def plot_run(result, path, width_in: float = WIDTH_IN) -> None:
    """Draw the run's timeline into `path` (the format follows its extension)."""
    ledger, report = result.ledger, result.report
    end_us = report.history.end_us or 1
    pixel_us = end_us / (width_in * DPI * 0.85)
    instances = sorted(ledger.instances)
    lanes = [report.history.name(i) for i in instances] + [
        f"p{p}" for p in range(ledger.partitions)
    ]
    row = {i: k for k, i in enumerate(instances)}
    prow = {p: len(instances) + p for p in range(ledger.partitions)}
    height = max(3.0, 1.4 + LANE_IN * len(lanes))
    fig, ax = plt.subplots(figsize=(width_in, height), dpi=DPI)
    s = 1e-6  # µs -> s on the x axis

    for start, stop in _rebalancing(ledger, end_us):
        ax.axvspan(start * s, stop * s, color="0.85", zorder=0, lw=0)
    labelled = -end_us
    for at, generation, _ in ledger.generations:
        if at - labelled < 25 * pixel_us:
            continue  # generations closer than a label's width: the first one speaks for them
        labelled = at
        ax.annotate(
            f"g{generation}", (at * s, 1.0), xycoords=("data", "axes fraction"),
            xytext=(2, 2), textcoords="offset points", fontsize=7, color="0.35",
        )  # fmt: skip

    by_instance: dict[int, list] = {}
    by_partition: dict[tuple[int, int], list] = {}
    for seg in ledger.segments:
        span = (seg.first_us, seg.last_us)
        by_instance.setdefault(seg.instance, []).append(span)
        by_partition.setdefault((seg.partition, seg.instance), []).append(span)
    for i in instances:
        info, stop = ledger.instances[i], ledger.stops.get(i)
        last = stop.at_us if stop is not None else end_us
        y, color = row[i], COLORS[info.slot % len(COLORS)]
        ax.hlines(y, info.at_us * s, last * s, color="0.6", lw=0.8, zorder=1)
        bars = [(a * s, w * s) for a, w in merge_spans(by_instance.get(i, []), pixel_us)]
        ax.broken_barh(bars, (y - 0.3, 0.6), color=color, lw=0, zorder=2)
        if stop is not None and stop.how in STOP_MARKERS:
            marker, mcolor, size = STOP_MARKERS[stop.how]
            ax.plot(stop.at_us * s, y, marker, color=mcolor, ms=size, zorder=5)
    for (p, i), spans in sorted(by_partition.items()):
        color = COLORS[ledger.instances[i].slot % len(COLORS)]
        bars = [(a * s, w * s) for a, w in merge_spans(spans, pixel_us)]
        ax.broken_barh(bars, (prow[p] - 0.3, 0.6), color=color, lw=0, alpha=0.75, zorder=2)

    commits: dict[tuple[int, str], list] = {}
    for c in ledger.commits.values():
        outcome = _outcome(c)
        if outcome is not None:
            commits.setdefault((c.instance, outcome), []).append(c.completed_us)
    for (i, outcome), times in sorted(commits.items()):
        marker, color, size, _ = COMMIT_MARKERS[outcome]
        xs = [t * s for t in thin(times, pixel_us * (8 if outcome == "ok" else 2))]
        ax.plot(xs, [row[i] - 0.42] * len(xs), marker, color=color, ms=size, zorder=4, ls="")

    for p, marks in sorted(_anomaly_marks(report).items()):
        y = prow[p]
        for (a, b), kind, _ in marks:
            color = "#d62728" if kind == "lost" else "#ff7f0e"
            if kind == "lost":
                ax.plot(a * s, y - 0.3, "v", color=color, ms=8, zorder=6)
            else:
                width = max(b - a, pixel_us * 2)
                ax.broken_barh(
                    [(a * s, width * s)], (y - 0.42, 0.84), facecolor="none",
                    edgecolor=color, hatch="////", lw=1.0, zorder=6,
                )  # fmt: skip
        total = {k: sum(r for _, kk, r in marks if kk == k) for k in ("lost", "duplicate")}
        words = [f"{n:,} lost" if k == "lost" else f"{n:,} twice" for k, n in total.items() if n]
        last_at = max(max(a, b, a + 2 * pixel_us) for (a, b), _, _ in marks)
        ax.annotate(
            ", ".join(words), (last_at * s, y), xytext=(5, 0), textcoords="offset points",
            fontsize=7, color="#b01c1c", va="center",
            bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8},
        )  # fmt: skip

    ax.set_yticks(range(len(lanes)), lanes, fontsize=8)
    ax.set_ylim(len(lanes) - 0.4, -0.7)
    ax.set_xlim(0, end_us * s)
    ax.set_xlabel("simulated time (s)")
    if instances:
        ax.axhline(len(instances) - 0.5, color="0.3", lw=0.6)
    ax.grid(axis="x", color="0.9", lw=0.5)
    ax.set_axisbelow(True)
    summary = result.summary()
    ax.set_title(
        f"{result.scenario} · {result.strategy} · seed {result.seed}: "
        f"{summary['lost']:,} lost, {summary['duplicated_records']:,} processed twice",
        fontsize=10, loc="left",
    )  # fmt: skip
    handles = [
        Patch(color="0.85", label="rebalancing"),
        *(
            Line2D([], [], marker=m, color=c, ls="", ms=sz, label=label)
            for m, c, sz, label in COMMIT_MARKERS.values()
        ),
        Line2D([], [], marker="X", color="black", ls="", ms=8, label="crash"),
        Line2D([], [], marker="*", color="#9467bd", ls="", ms=9, label="processing error"),
        Line2D([], [], marker="v", color="#d62728", ls="", ms=7, label="lost (commit past it)"),
        Patch(facecolor="none", edgecolor="#ff7f0e", hatch="////", label="processed again"),
    ]
    ax.legend(
        handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.55 / (height - 1.0)),
        ncol=len(handles), fontsize=7, frameon=False, handletextpad=0.3, columnspacing=1.2,
    )  # fmt: skip
    with replacing(path) as partial:
        fig.savefig(partial, dpi=DPI, bbox_inches="tight", pad_inches=0.1)
    plt.close(fig)
