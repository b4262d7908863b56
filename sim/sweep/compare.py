"""Compare strategies on one scenario over the same seeds: every strategy's runs, in seed order,
and one summary row per strategy (`sim.sweep.aggregate`). The runs go through the sweep's
executors, so a comparison is a small sweep over (strategy, seed)."""

from __future__ import annotations

from sim.strategies import STRATEGY_NAMES, strategy_class, strategy_label
from sim.sweep.aggregate import aggregate, mark_identical
from sim.sweep.executors import execute
from sim.sweep.spec import Task


def compare(
    scenario, strategies=None, seeds: int = 10, first_seed: int | None = None, workers: int = 1
) -> list[dict]:
    """Every strategy on the same seeds (the same processing times and latencies: common random
    numbers), each numeric field summarised over them (`sim.sweep.aggregate`); a strategy whose runs
    repeat an earlier one's is marked `identical_to` it. See `compare_runs`."""
    return summarise(scenario, compare_runs(scenario, strategies, seeds, first_seed, workers))


def summarise(scenario, runs: list[tuple[str, list[dict]]]) -> list[dict]:
    """One row per strategy from `compare_runs`' output, each numeric field summarised over the
    seeds (`sim.sweep.aggregate`); a strategy whose runs repeat an earlier one's is marked."""
    return mark_identical([aggregate(scenario.name, label, s) for label, s in runs], scenario)


def compare_runs(
    scenario,
    strategies=None,
    seeds: int = 10,
    first_seed: int | None = None,
    workers: int = 1,
    progress=None,
) -> list[tuple[str, list[dict]]]:
    """(strategy label, its run summaries in seed order) for each strategy: names, import paths
    or classes of your own (default: every shipped one). The runs go through the sweep's
    executors (`workers` local processes); each depends only on (scenario, strategy, seed), so
    the result is that of a serial loop. `progress(pairs, total)` may wrap the results as they
    arrive (the CLI's progress bar)."""
    if strategies is None:  # every shipped strategy that can run this scenario
        strategies = [s for s in STRATEGY_NAMES if not strategy_class(s).unsupported(scenario)]
    strategies = list(strategies)
    first = scenario.run.seed if first_seed is None else first_seed
    digest = scenario.digest()
    tasks = [Task({}, scenario, digest, s, first + i) for s in strategies for i in range(seeds)]
    results = execute(tasks, workers)
    if progress is not None:
        results = progress(results, len(tasks))
    summaries = {task.key: summary for task, summary in results}
    return [
        (strategy_label(s), [summaries[(digest, s, first + i)] for i in range(seeds)])
        for s in strategies
    ]
