"""Sweep files: expansion to ordered tasks, and one-line errors naming file, field and allowed."""

import pytest

from sim.cli.main import main
from sim.scenario import ScenarioError
from sim.strategies import STRATEGY_NAMES, strategy_class
from sim.sweep.spec import load_sweep
from tests.sweep.conftest import SWEEP


def test_expansion_order(tiny):
    """Grid points in file order (last parameter fastest), then strategy, then seed."""
    tasks = tiny.tasks()
    assert len(tasks) == 2 * 2 * 2 * 2
    heads = [(t.point["strategy.auto_commit_interval_ms"], t.point["faults[0].rate_per_min"],
              t.strategy, t.seed) for t in tasks[:5]]  # fmt: skip
    assert heads == [(500, 10.0, "auto", 3), (500, 10.0, "auto", 4),
                     (500, 10.0, "sync-per-batch", 3), (500, 10.0, "sync-per-batch", 4),
                     (500, 20.0, "auto", 3)]  # fmt: skip
    assert len({t.key for t in tasks}) == len(tasks)


def test_points_are_applied_to_the_scenario(tiny):
    """Each grid point's values are in its scenario, the rest of the base unchanged."""
    task = tiny.tasks()[-1]
    assert task.scenario.strategy.auto_commit_interval_ms == 2_000
    assert task.scenario.faults[0].rate_per_min == 20.0
    assert task.scenario.faults[0].restart_after_ms == 1_000
    assert task.scenario.topic.partitions == 2


def test_expansion_is_deterministic(write_sweep):
    """Loading the same file twice gives the same keys in the same order."""
    path = write_sweep()
    assert [t.key for t in load_sweep(path).tasks()] == [t.key for t in load_sweep(path).tasks()]


def test_ranges_include_their_end(write_sweep):
    """{from, to, step} counts from `from` up to `to` included; integers stay integers."""
    sweep = load_sweep(
        write_sweep(SWEEP.replace("[500, 2_000]", "{ from = 10, to = 70, step = 30 }"))
    )
    values = [p["strategy.auto_commit_interval_ms"] for p in sweep.points]
    assert values == [10, 10, 40, 40, 70, 70]
    assert all(type(v) is int for v in values)


def test_defaults(write_sweep):
    """strategies defaults to all of them, seeds to 10 starting at 1."""
    sweep = load_sweep(write_sweep('name = "d"\nbase = "base.toml"\n'))
    assert sweep.strategies == tuple(STRATEGY_NAMES)
    assert sweep.seeds == tuple(range(1, 11))
    assert sweep.points == ({},)


def test_all_strategies(write_sweep):
    sweep = load_sweep(write_sweep(SWEEP.replace('["auto", "sync-per-batch"]', '"all"')))
    assert sweep.strategies == tuple(STRATEGY_NAMES)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("seeds = 2", "seeds = 0", "seeds: 0 is out of range; allowed: an integer in [1, "),
        ("seeds = 2", "colour = 2", "colour: unknown field; allowed: name, description, base"),
        ('"sync-per-batch"]', '"sync"]', 'strategies: \'sync\' is not a strategy; allowed: "all"'),
        ('"strategy.auto_commit_interval_ms"', '"run.seed"',
         'parameters."run.seed": is set by the sweep itself; allowed: use seeds and first_seed'),
        ("step = 10.0", "step = 0.0", 'parameters."faults[0].rate_per_min": range from 10.0 to'),
        ("[500, 2_000]", "[]", 'parameters."strategy.auto_commit_interval_ms": is empty'),
        ("[500, 2_000]", "[500, 500]", "repeats a value; allowed: an array of distinct values"),
        ("[500, 2_000]", "[500, -5]", "at strategy.auto_commit_interval_ms = -5, faults[0]."
         "rate_per_min = 10.0: strategy.auto_commit_interval_ms: -5 is out of range; allowed: "
         "an integer >= 10"),
        ('"strategy.auto_commit_interval_ms"', '"strategy.auto_commit_ms"',
         "strategy.auto_commit_ms: unknown field; allowed: name, auto_commit_interval_ms"),
        ('"strategy.auto_commit_interval_ms"', '"topic.partitions.count"',
         'parameters."topic.partitions.count": topic.partitions is not a table'),
        ('"faults[0].rate_per_min"', '"faults[1].rate_per_min"',
         'parameters."faults[1].rate_per_min": the base scenario has 1 faults; allowed: an index'),
        ('"strategy.auto_commit_interval_ms" = [500, 2_000]',
         '"group.session_timeout_ms" = [1_000]',
         "group.heartbeat_interval_ms: 2000 is not below group.session_timeout_ms (1000)"),
        ('base = "base.toml"', 'base = "nowhere.toml"', "nowhere.toml: no such scenario file"),
    ],
)  # fmt: skip
def test_errors_name_file_field_and_allowed(write_sweep, old, new, message):
    """A bad sweep is one line: the file (sweep or base), the field path, what is allowed."""
    path = write_sweep(SWEEP.replace(old, new))
    with pytest.raises(ScenarioError) as caught:
        load_sweep(path)
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith(str(path.parent)), text
    assert message in text, text


def test_missing_sweep_file(tmp_path):
    with pytest.raises(ScenarioError, match="no such sweep file"):
        load_sweep(tmp_path / "absent.toml")


def test_all_strategies_leave_out_at_each_point_those_its_scenario_cannot_run(write_sweep):
    """strategies = "all" (or omitted) over a grid where some points cannot run a strategy
    (transactional needs sync processing): those points leave it out, as `compare` does, and
    every task can run; a strategy named in the file that cannot run a point is refused, naming
    the point and why."""
    text = SWEEP.replace('["auto", "sync-per-batch"]', '"all"').replace(
        '"faults[0].rate_per_min" = { from = 10.0, to = 20.0, step = 10.0 }',
        '"consumer.processing" = ["sync", "async"]',
    )
    sweep = load_sweep(write_sweep(text))
    by_point = {}
    for task in sweep.tasks():
        by_point.setdefault(task.point["consumer.processing"], set()).add(task.strategy)
        assert not strategy_class(task.strategy).unsupported(task.scenario)
    assert "transactional" in by_point["sync"] and "transactional" not in by_point["async"]
    assert by_point["async"] < set(STRATEGY_NAMES)
    with pytest.raises(ScenarioError) as refused:
        load_sweep(write_sweep(text.replace('"all"', '["auto", "transactional"]')))
    assert 'strategies: "transactional" cannot run the point' in str(refused.value)
    assert 'consumer.processing = "async"' in str(refused.value)


def test_a_sweep_of_every_strategy_on_an_async_base_runs(write_sweep, tmp_path):
    """`offsim sweep` with strategies = "all" on a base the transactional strategy cannot run
    (processing async): exit 0, no task of it (it used to stop on the engine's refusal)."""
    text = SWEEP.replace('["auto", "sync-per-batch"]', '"all"').replace("seeds = 2", "seeds = 1")
    path = write_sweep(
        text.replace("[parameters]", '[parameters]\n"consumer.processing" = ["async"]')
    )
    out = tmp_path / "results.sqlite"
    assert main(["sweep", str(path), "--workers", "1", "--out", str(out)]) == 0
