"""The sweep chart's numbers: rates per 1,000 records produced, over the first two parameters."""

import matplotlib.pyplot as plt
import pytest

from sim.report.sweep_charts import _grid, rate, sweep_figure


def row(lost: float, duplicated: float, produced: float = 2_000) -> dict:
    cell = lambda v: {"mean": v, "low": v, "high": v}  # noqa: E731
    return {
        "seeds": 3,
        "produced": cell(produced),
        "lost": cell(lost),
        "duplicated_records": cell(duplicated),
        "records_per_sim_s": cell(100.0),
        "commits": cell(10.0),
        "sim_time_ms": cell(1_000.0),
    }


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
    ys, xs, values = _grid(rows, ["a", "b", "c"], "s", "lost")
    assert (ys, xs) == ([1, 2], [10, 20])
    assert values == [[2.0, 0.0], [4.0, 0.0]]  # (1 + 3) / 2 and (4 + 4) / 2 per 1,000


def test_one_parameter_is_a_single_column_and_none_is_refused():
    rows = [({"a": 1}, "s", row(2, 4)), ({"a": 2}, "s", row(0, 2))]
    assert _grid(rows, ["a"], "s", "duplicated_records") == ([1, 2], [None], [[2.0], [1.0]])
    plt.close(sweep_figure("one", ["a"], rows))
    with pytest.raises(ValueError, match="at least one parameter"):
        sweep_figure("none", [], rows)
