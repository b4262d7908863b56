"""The sweep chart's data and its drawing: rates per 1,000 records produced over the first two
parameters, each with its interval, readable names, no all-zero panel, named points on axes
that start at zero, titles inside the figure."""

import matplotlib.pyplot as plt
import pytest

from sim.report.sweep_charts import Heatmap, Note, Tradeoff, _grid, rate, sweep_chart, sweep_figure
from sim.scenario import ScenarioError
from sim.sweep.spec import load_sweep


def row(lost: float, duplicated: float, produced: float = 2_000, spread: float = 0.0) -> dict:
    def cell(v):
        return {"mean": v, "low": v - spread, "high": v + spread}

    return {
        "seeds": 3,
        "produced": cell(produced),
        "lost": cell(lost),
        "duplicated_records": cell(duplicated),
        "records_per_sim_s": cell(100.0),
        "commits": cell(10.0),
        "sim_time_ms": cell(1_000.0),
    }


ROWS = [
    ({"a": a, "b": b}, s, row(0, 10 * a + b + (s == "x") * 50, spread=4))
    for a in (1, 2)
    for b in (10, 20)
    for s in ("x", "y")
]
LABELS = {"a": "commit interval (ms)", "b": "crash rate (per min)"}


def panels(chart, kind) -> list:
    return [p for line in chart.rows for p in line if isinstance(p, kind)]


def test_rate_is_per_thousand_records_produced():
    assert rate(row(4, 10), "lost") == 2.0
    assert rate(row(4, 10), "duplicated_records") == 5.0
    assert rate(row(4, 10, produced=0), "lost") == 0.0


def test_grid_puts_the_first_parameter_down_and_averages_over_the_rest():
    rows = [
        ({"a": 1, "b": 10, "c": 0}, "s", row(2, 0)),
        ({"a": 1, "b": 10, "c": 1}, "s", row(6, 0)),
        ({"a": 1, "b": 20, "c": 0}, "s", row(0, 0)),
        ({"a": 1, "b": 20, "c": 1}, "s", row(0, 0)),
        ({"a": 2, "b": 10, "c": 0}, "s", row(8, 0)),
        ({"a": 2, "b": 10, "c": 1}, "s", row(8, 0)),
        ({"a": 2, "b": 20, "c": 0}, "s", row(0, 0)),
        ({"a": 2, "b": 20, "c": 1}, "s", row(0, 0)),
        ({"a": 1, "b": 10, "c": 0}, "other", row(1_000, 0)),
    ]
    ys, xs, values, halves = _grid(rows, ["a", "b", "c"], "s", "lost")
    assert (ys, xs) == ([1, 2], [10, 20])
    assert values == [[2.0, 0.0], [4.0, 0.0]]  # (1 + 3) / 2 and (4 + 4) / 2 per 1,000
    assert halves == [[0.0, 0.0], [0.0, 0.0]]


def test_axes_are_named_by_the_sweeps_labels():
    chart = sweep_chart("t", ["a", "b"], ROWS, LABELS)
    for heatmap in panels(chart, Heatmap):
        assert (heatmap.ylabel, heatmap.xlabel) == (LABELS["a"], LABELS["b"])
    assert "(commit interval (ms), crash rate (per min))" in chart.title


def test_a_sweep_names_its_parameters_by_field_and_unit_or_by_its_labels(tmp_path):
    """Without labels: the field's words and unit, a fault's field after its kind. A label
    for a path that is no parameter is refused in one line."""
    sweep = load_sweep("scenarios/sweeps/commit-interval.toml")
    assert [sweep.label(p) for p in sweep.points[0]] == [
        "auto commit interval (ms)", "crash rate (per min)",
    ]  # fmt: skip
    text = open("scenarios/sweeps/commit-interval.toml", encoding="utf-8").read()
    (tmp_path / "commit-interval-base.toml").write_text(
        open("scenarios/sweeps/commit-interval-base.toml", encoding="utf-8").read()
    )
    own = tmp_path / "own.toml"
    own.write_text(text + '\n[labels]\n"faults[0].rate_per_min" = "crashes a minute"\n')
    assert load_sweep(own).label("faults[0].rate_per_min") == "crashes a minute"
    bad = tmp_path / "bad.toml"
    bad.write_text(text + '\n[labels]\n"group.consumers" = "consumers"\n')
    with pytest.raises(ScenarioError, match='labels."group.consumers": is not a parameter'):
        load_sweep(bad)


def test_every_estimate_shows_its_interval():
    (heatmap,) = [h for h in panels(sweep_chart("t", ["a", "b"], ROWS), Heatmap) if "x:" in h.title]
    assert heatmap.halves[0][0] == pytest.approx(1000 * 4 / 2000)
    assert heatmap.text(0, 0) == "35.0\n±2.0"  # 10 + 10 + 50 per 2,000 produced
    for points in panels(sweep_chart("t", ["a", "b"], ROWS), Tradeoff)[0].series.values():
        assert all(p.x_low < p.x < p.x_high for p in points)


def test_a_metric_zero_everywhere_draws_a_sentence_not_empty_heatmaps():
    chart = sweep_chart("t", ["a", "b"], ROWS)
    assert not [h for h in panels(chart, Heatmap) if "lost" in h.title]
    assert [n.text for n in panels(chart, Note)] == ["no record lost anywhere in this grid"]


def test_a_strategy_without_the_metric_says_so_in_its_panel():
    rows = [(p, s, row(0, 0 if s == "y" else d["duplicated_records"]["mean"])) for p, s, d in ROWS]
    notes = [n.text for n in panels(sweep_chart("t", ["a", "b"], rows), Note)]
    assert "no record processed twice at any grid point" in notes


def test_points_are_named_and_coinciding_points_drawn_once():
    """A strategy that ignores a parameter draws one point for its values: named "any"."""
    rows = [(p, s, row(0, 5 if s == "y" else 10 * p["a"])) for p, s, _ in ROWS]
    throughput = panels(sweep_chart("t", ["a", "b"], rows), Tradeoff)[0]
    assert sorted(p.label for p in throughput.series["x"]) == ["1, any", "2, any"]
    assert [p.label for p in throughput.series["y"]] == ["any, any"]


def test_rates_start_at_zero_and_titles_fit_the_figure():
    fig = sweep_figure("a-sweep-with-a-rather-long-name", ["a", "b"], ROWS, LABELS)
    fig.canvas.draw()
    right = fig.bbox.x1
    for ax in fig.axes:
        if ax.get_title(loc="left"):
            assert ax.title.get_window_extent().x1 <= right + 1
            assert ax._left_title.get_window_extent().x1 <= right + 1
    trade = [ax for ax in fig.axes if "against duplicates" in ax.get_title(loc="left")]
    assert len(trade) == 2 and all(ax.get_ylim()[0] == 0 and ax.get_xlim()[0] == 0 for ax in trade)
    plt.close(fig)


def test_one_parameter_is_a_single_column_and_none_is_refused():
    rows = [({"a": 1}, "s", row(2, 4)), ({"a": 2}, "s", row(0, 2))]
    ys, xs, values, _ = _grid(rows, ["a"], "s", "duplicated_records")
    assert (ys, xs, values) == ([1, 2], [None], [[2.0], [1.0]])
    plt.close(sweep_figure("one", ["a"], rows))
    with pytest.raises(ValueError, match="at least one parameter"):
        sweep_figure("none", [], rows)
