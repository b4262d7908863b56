"""The sweep picture (`offsim sweep SWEEP.toml --plot FILE`): rates over the grid, and the price
of each strategy's safety.

An engineer sweeping a workload asks two things. Where in the grid does each strategy lose or
repeat records? One row of heatmaps per strategy answers it: loss and duplicates per 1,000
records produced, over the first two parameters (the first down, the second across), on one
colour scale per metric so rows compare. What does the safety cost? The last row plots every
grid point's duplicate rate against its throughput and its commit load, one colour per strategy.
Everything is drawn from the stored summaries; nothing is re-run. Like the comparison chart, the
bytes carry no date, so the same results draw the same file.
"""

from __future__ import annotations

from sim._toml import toml_value
from sim.report.charts import DPI, DUPLICATE, LOSS, commits_per_sim_s, plt, save, short

CELL_IN, ROW_IN = 0.75, 2.1
PER = 1_000  # rates are per this many records produced


def rate(row: dict, field: str) -> float:
    """A count per PER records produced, from a row's means."""
    produced = row["produced"]["mean"]
    return PER * row[field]["mean"] / produced if produced else 0.0


def _grid(rows: list[tuple[dict, str, dict]], parameters: list[str], strategy: str, field: str):
    """The strategy's rate over (first parameter, second parameter), averaged over any others."""
    ys = list(dict.fromkeys(point[parameters[0]] for point, _, _ in rows))
    xs = (
        list(dict.fromkeys(point[parameters[1]] for point, _, _ in rows))
        if len(parameters) > 1
        else [None]
    )
    cells: dict[tuple, list[float]] = {}
    for point, name, row in rows:
        if name == strategy:
            x = point[parameters[1]] if len(parameters) > 1 else None
            cells.setdefault((point[parameters[0]], x), []).append(rate(row, field))
    values = [[sum(cells[y, x]) / len(cells[y, x]) for x in xs] for y in ys]
    return ys, xs, values


def _heatmap(ax, ys, xs, values, vmax: float, cmap: str, title: str, parameters) -> None:
    ax.imshow(values, cmap=cmap, vmin=0, vmax=vmax or 1.0, aspect="auto")
    for i, line in enumerate(values):
        for j, value in enumerate(line):
            dark = vmax and value > 0.6 * vmax
            ax.text(j, i, short(value), ha="center", va="center", fontsize=7,
                    color="white" if dark else "0.15")  # fmt: skip
    ax.set_yticks(range(len(ys)), [toml_value(y) for y in ys], fontsize=7)
    ax.set_ylabel(parameters[0], fontsize=7)
    if len(parameters) > 1:
        ax.set_xticks(range(len(xs)), [toml_value(x) for x in xs], fontsize=7)
        ax.set_xlabel(parameters[1], fontsize=7)
    else:
        ax.set_xticks([])
    ax.set_title(title, fontsize=8, loc="left")


def _tradeoff(ax, rows, strategies, cell, unit: str) -> None:
    for k, strategy in enumerate(strategies):
        points = [(rate(row, "duplicated_records"), cell(row)["mean"])
                  for _, name, row in rows if name == strategy]  # fmt: skip
        ax.scatter(*zip(*points, strict=True), s=14, color=f"C{k}", label=strategy, zorder=2)
    ax.set_xlabel(f"records processed twice per {PER:,} produced", fontsize=7)
    ax.set_ylabel(unit, fontsize=7)
    ax.tick_params(labelsize=7)
    ax.grid(color="0.9", lw=0.5, zorder=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def sweep_figure(name: str, parameters: list[str], rows: list[tuple[dict, str, dict]]):
    """`rows`: (grid point, strategy, `sim.api.aggregate` row) for every point and strategy."""
    if not parameters:
        raise ValueError("a sweep plot needs at least one parameter")
    strategies = list(dict.fromkeys(strategy for _, strategy, _ in rows))
    grids = {
        (s, field): _grid(rows, parameters, s, field)
        for s in strategies
        for field in ("lost", "duplicated_records")
    }
    vmax = {
        field: max(max(map(max, grids[s, field][2])) for s in strategies)
        for field in ("lost", "duplicated_records")
    }
    columns = max(len(grids[strategies[0], "lost"][1]), 2)
    size = (2 * (1.6 + CELL_IN * columns), ROW_IN * (len(strategies) + 1))
    fig, axes = plt.subplots(
        len(strategies) + 1, 2, figsize=size, dpi=DPI, layout="constrained", squeeze=False
    )
    for i, strategy in enumerate(strategies):
        for j, (field, cmap, colour) in enumerate(
            (("lost", "Reds", LOSS), ("duplicated_records", "Oranges", DUPLICATE))
        ):
            what = "lost" if field == "lost" else "processed twice"
            ys, xs, values = grids[strategy, field]
            _heatmap(axes[i][j], ys, xs, values, vmax[field], cmap,
                     f"{strategy}: {what} per {PER:,}", parameters)  # fmt: skip
            axes[i][j].title.set_color(colour)
    _tradeoff(axes[-1][0], rows, strategies, lambda r: r["records_per_sim_s"],
              "records / simulated s")  # fmt: skip
    _tradeoff(axes[-1][1], rows, strategies, commits_per_sim_s, "commits / simulated s")
    axes[-1][1].legend(fontsize=7, frameon=False)
    seeds = rows[0][2]["seeds"]
    rest = parameters[2:]
    averaged = f"; averaged over {', '.join(rest)}" if rest else ""
    fig.suptitle(f"{name}: mean over {seeds} seeds{averaged}", fontsize=10, x=0.01, ha="left")
    return fig


def plot_sweep(name: str, parameters: list[str], rows, path) -> None:
    """Draw the sweep into `path` (PNG or SVG by its extension), the same bytes for the same
    results."""
    save(sweep_figure(name, parameters, rows), path)
