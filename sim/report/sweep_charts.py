"""The sweep picture (`offsim sweep SWEEP.toml --plot FILE`): rates over the grid, and the price
of each strategy's safety.

An engineer sweeping a workload asks two things. Where in the grid does each strategy lose or
repeat records? One row of heatmaps per strategy answers it: loss and duplicates per 1,000
records produced, over the first two parameters (the first down, the second across), on one
colour scale per metric so rows compare, each cell its mean and ± half its 95% interval (a
difference smaller than the intervals is no effect). A metric that is zero everywhere draws no
heatmaps, only a panel that says so; a strategy with none of it says so in its panel. What
does the safety cost? The last row plots every grid point's duplicate rate against its
throughput and its commit load, with both intervals, each point named by its grid values, on
axes that start at zero. Everything is built as data first (`sweep_chart`), so the PNG and the
HTML page draw the same panels and tests read them; nothing is re-run. Like the comparison
chart, the bytes carry no date, so the same results draw the same file.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from sim.report.charts import DPI, DUPLICATE, LOSS, commits_per_sim_s, plt, save, short
from sim.scenario.toml_writer import toml_value

CELL_IN, ROW_IN = 0.85, 2.3
PER = 1_000  # rates are per this many records produced
METRICS = (("lost", "lost", "Reds", LOSS), ("duplicated_records", "processed twice", "Oranges",
           DUPLICATE))  # fmt: skip


def rate(row: dict, field: str, which: str = "mean") -> float:
    """A count per PER records produced, from a row's means (or an interval's end)."""
    produced = row["produced"]["mean"]
    return PER * max(row[field][which], 0.0) / produced if produced else 0.0


@dataclass
class Heatmap:
    title: str
    ylabel: str
    xlabel: str
    ys: list[str]
    xs: list[str]
    values: list[list[float]]  # mean rate per cell
    halves: list[list[float]]  # half its 95% interval
    vmax: float
    cmap: str
    color: str

    def text(self, i: int, j: int) -> str:
        value, half = self.values[i][j], self.halves[i][j]
        return short(value) + (f"\n±{short(half)}" if half > 0 else "")


@dataclass
class Note:
    title: str
    text: str


@dataclass
class Point:
    label: str  # the grid point's values
    x: float
    x_low: float
    x_high: float
    y: float
    y_low: float
    y_high: float


@dataclass
class Tradeoff:
    title: str
    xlabel: str
    ylabel: str
    series: dict[str, list[Point]] = field(default_factory=dict)  # strategy -> points


@dataclass
class SweepChart:
    title: str
    rows: list[list]  # panels, two a row: heatmaps (or notes), then the trade-offs


def _mean(cells: list[float]) -> float:
    return sum(cells) / len(cells)


def _grid(rows: list[tuple[dict, str, dict]], parameters: list[str], strategy: str, field: str):
    """(ys, xs, means, half-widths) of the strategy's rate over the first two parameters,
    averaged over any others (means and half-widths alike: conservative for an average)."""
    ys = list(dict.fromkeys(point[parameters[0]] for point, _, _ in rows))
    two = len(parameters) > 1
    xs = list(dict.fromkeys(point[parameters[1]] for point, _, _ in rows)) if two else [None]
    cells: dict[tuple, list[tuple[float, float]]] = {}
    for point, name, row in rows:
        if name == strategy:
            x = point[parameters[1]] if two else None
            half = (rate(row, field, "high") - rate(row, field, "low")) / 2
            cells.setdefault((point[parameters[0]], x), []).append((rate(row, field), half))
    means = [[_mean([m for m, _ in cells[y, x]]) for x in xs] for y in ys]
    halves = [[_mean([h for _, h in cells[y, x]]) for x in xs] for y in ys]
    return ys, xs, means, halves


def _point_label(points: list[dict], parameters: list[str], every: dict) -> str:
    """The grid values of points that drew the same: each parameter's values joined by "/",
    or "any" when they are all of its values."""
    words = []
    for p in parameters[:2]:
        values = list(dict.fromkeys(toml_value(point[p]) for point in points))
        words.append(
            "any" if len(values) > 1 and len(values) == len(every[p]) else "/".join(values)
        )
    return ", ".join(words)


def _tradeoff(rows, strategies, parameters, cell, title: str, unit: str) -> Tradeoff:
    """Each strategy's grid points, those that coincide exactly drawn once under one label
    (a setting the strategy ignores, like the auto commit interval for sync-per-batch)."""
    chart = Tradeoff(title, f"records processed twice per {PER:,} produced", unit)
    every = {p: {toml_value(point[p]) for point, _, _ in rows} for p in parameters[:2]}
    for strategy in strategies:
        same: dict[tuple, list[dict]] = {}
        for point, name, row in rows:
            if name == strategy:
                c, d = cell(row), "duplicated_records"
                key = (rate(row, d), rate(row, d, "low"), rate(row, d, "high"), c["mean"],
                       max(c["low"], 0.0), c["high"])  # fmt: skip
                same.setdefault(key, []).append(point)
        chart.series[strategy] = [
            Point(_point_label(points, parameters, every), *key) for key, points in same.items()
        ]
    return chart


def sweep_chart(name: str, parameters: list[str], rows, labels: dict | None = None) -> SweepChart:
    """The panels for `rows`: (grid point, strategy, `sim.api.aggregate` row) for every point
    and strategy; `labels` names each parameter on the axes (default: its path)."""
    if not parameters:
        raise ValueError("a sweep plot needs at least one parameter")
    labels = labels or {}
    names = [labels.get(p, p) for p in parameters]
    strategies = list(dict.fromkeys(strategy for _, strategy, _ in rows))
    grids = {(s, f): _grid(rows, parameters, s, f) for s in strategies for f, *_ in METRICS}
    vmax = {f: max(max(map(max, grids[s, f][2])) for s in strategies) for f, *_ in METRICS}
    shown = [m for m in METRICS if vmax[m[0]] > 0]
    panels: list = [
        Note(f"{what} per {PER:,}", f"no record {what} anywhere in this grid")
        for f, what, *_ in METRICS
        if not vmax[f]
    ]
    for strategy in strategies:
        for f, what, cmap, color in shown:
            ys, xs, values, halves = grids[strategy, f]
            title = f"{strategy}: {what} per {PER:,}"
            if not any(map(any, values)):
                panels.append(Note(title, f"no record {what} at any grid point"))
                continue
            panels.append(Heatmap(
                title, names[0], names[1] if len(names) > 1 else "",
                [toml_value(y) for y in ys], [toml_value(x) for x in xs if x is not None],
                values, halves, vmax[f], cmap, color,
            ))  # fmt: skip
    chart_rows = [panels[k : k + 2] for k in range(0, len(panels), 2)]
    chart_rows.append([
        _tradeoff(rows, strategies, parameters, lambda r: r["records_per_sim_s"],
                  "throughput against duplicates", "records / simulated s"),
        _tradeoff(rows, strategies, parameters, commits_per_sim_s,
                  "commit load against duplicates", "commits / simulated s"),
    ])  # fmt: skip
    seeds = rows[0][2]["seeds"]
    rest = names[2:]
    averaged = f"; averaged over {', '.join(rest)}" if rest else ""
    title = f"{name}: mean ± half the 95% interval over {seeds} seeds{averaged}"
    if len(parameters) > 1:
        title += f"; points named ({names[0]}, {names[1]})"
    else:
        title += f"; points named by {names[0]}"
    return SweepChart(title, chart_rows)


# ---- drawing ------------------------------------------------------------------------------
def _wrap(text: str, width_in: float) -> str:
    """A title that fits its panel: about 14 characters an inch at 8 points."""
    return "\n".join(textwrap.wrap(text, max(12, int(width_in * 14))))


def _draw_heatmap(ax, panel: Heatmap, width_in: float) -> None:
    ax.imshow(panel.values, cmap=panel.cmap, vmin=0, vmax=panel.vmax, aspect="auto")
    for i, line in enumerate(panel.values):
        for j, value in enumerate(line):
            dark = value > 0.6 * panel.vmax
            ax.text(j, i, panel.text(i, j), ha="center", va="center", fontsize=7,
                    color="white" if dark else "0.15", linespacing=1.1)  # fmt: skip
    ax.set_yticks(range(len(panel.ys)), panel.ys, fontsize=7)
    ax.set_ylabel(panel.ylabel, fontsize=7)
    if panel.xs:
        ax.set_xticks(range(len(panel.xs)), panel.xs, fontsize=7)
        ax.set_xlabel(panel.xlabel, fontsize=7)
    else:
        ax.set_xticks([])
    ax.set_title(_wrap(panel.title, width_in), fontsize=8, loc="left", color=panel.color)


def _draw_note(ax, panel: Note, width_in: float) -> None:
    ax.axis("off")
    ax.set_title(_wrap(panel.title, width_in), fontsize=8, loc="left")
    ax.text(0.5, 0.5, panel.text, ha="center", va="center", fontsize=9, color="0.35",
            transform=ax.transAxes, wrap=True)  # fmt: skip


def _draw_tradeoff(ax, panel: Tradeoff, width_in: float) -> None:
    for k, (strategy, points) in enumerate(panel.series.items()):
        color = f"C{k}"
        for p in points:
            ax.errorbar(
                p.x, p.y, xerr=[[p.x - p.x_low], [p.x_high - p.x]],
                yerr=[[p.y - p.y_low], [p.y_high - p.y]], fmt="o", ms=4, color=color,
                elinewidth=0.7, capsize=1.5, zorder=2,
                label=strategy if p is points[0] else None,
            )  # fmt: skip
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    _place_labels(ax, [(p, f"C{k}") for k, pts in enumerate(panel.series.values()) for p in pts])
    ax.set_xlabel(panel.xlabel, fontsize=7)
    ax.set_ylabel(panel.ylabel, fontsize=7)
    ax.set_title(_wrap(panel.title, width_in), fontsize=8, loc="left")
    ax.tick_params(labelsize=7)
    ax.grid(color="0.9", lw=0.5, zorder=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _place_labels(ax, items, fontsize: float = 6) -> None:
    """Name every point beside it, in the first of eight places around it whose box overlaps
    no label placed before (estimated from the text's length), else the first place."""
    ax.figure.canvas.draw()  # settles the limits, so data-to-pixel positions are final
    to_px = ax.transData.transform
    placed: list[tuple[float, float, float, float]] = []
    char_px, high_px = fontsize * 0.62, fontsize * 1.3
    offsets = [(4, 3), (4, -3 - high_px), (-4, 3), (-4, -3 - high_px), (4, -high_px / 2),
               (-4, -high_px / 2)]  # fmt: skip
    offsets += [(dx, dy * k * high_px) for k in (1.5, 2.5, 3.5) for dy in (1, -1) for dx in (4, -4)]
    for point, color in items:
        x, y = to_px((point.x, point.y))
        width = char_px * len(point.label)
        for dx, dy in offsets + [offsets[0]]:
            left = x + dx if dx >= 0 else x + dx - width
            box = (left, y + dy, left + width, y + dy + high_px)
            if not any(b[0] < box[2] and box[0] < b[2] and b[1] < box[3] and box[1] < b[3]
                       for b in placed):  # fmt: skip
                break
        placed.append(box)
        far = abs(box[1] - y) > 2 * high_px
        ax.annotate(
            point.label,
            (point.x, point.y),
            xytext=(box[0] - x, box[1] - y),
            textcoords="offset pixels",
            fontsize=fontsize,
            color=color,
            arrowprops={"arrowstyle": "-", "color": color, "lw": 0.4} if far else None,
        )


DRAW = {Heatmap: _draw_heatmap, Note: _draw_note, Tradeoff: _draw_tradeoff}


def sweep_figure(name: str, parameters: list[str], rows, labels: dict | None = None):
    """The matplotlib figure of `sweep_chart(...)`."""
    chart = sweep_chart(name, parameters, rows, labels)
    first = next((p for line in chart.rows for p in line if isinstance(p, Heatmap)), None)
    columns = max(len(first.xs) if first else 0, 3)
    panel_in = 1.9 + CELL_IN * columns
    heights = [1.0] * (len(chart.rows) - 1) + [1.8]  # the trade-offs need room for names
    size = (2 * panel_in, ROW_IN * sum(heights) + 0.5)
    fig, axes = plt.subplots(
        len(chart.rows), 2, figsize=size, dpi=DPI, layout="constrained", squeeze=False,
        gridspec_kw={"height_ratios": heights},
    )  # fmt: skip
    for ax_row, panels in zip(axes, chart.rows, strict=True):
        for ax, panel in zip(ax_row, panels, strict=False):
            DRAW[type(panel)](ax, panel, panel_in)
        for ax in ax_row[len(panels) :]:
            ax.axis("off")
    axes[-1][1].legend(fontsize=7, frameon=False)
    fig.suptitle(_wrap(chart.title, 2 * panel_in * 1.2), fontsize=9, x=0.01, ha="left")
    return fig


def plot_sweep(name: str, parameters: list[str], rows, path, labels: dict | None = None) -> None:
    """Draw the sweep into `path` (PNG or SVG by its extension), the same bytes for the same
    results."""
    save(sweep_figure(name, parameters, rows, labels), path)
