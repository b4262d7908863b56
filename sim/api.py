"""The public entry points: run one scenario, compare strategies over seeds."""

from __future__ import annotations

from dataclasses import dataclass, field

from sim import __version__
from sim.aggregate import aggregate, mark_identical
from sim.checker import check
from sim.engine.simulation import Simulation
from sim.strategies import STRATEGY_NAMES, strategy_label


@dataclass
class RunResult:
    scenario: str
    strategy: str
    seed: int
    report: object  # sim.checker.CheckReport: anomalies with witnesses, metrics, cross-checks
    ledger: object
    spec: object = field(default=None, repr=False)  # the Scenario run (its faults' plan)

    def summary(self) -> dict:
        """The fields of `offsim run --json` (docs/metrics.md)."""
        out = {"scenario": self.scenario, "strategy": self.strategy, "seed": self.seed}
        out.update(self.report.summary())
        out["offsim_version"] = __version__
        return out

    @property
    def ok(self) -> bool:
        """Every cross-check held and the drain finished."""
        return self.report.ok and self.report.metrics.quiesced


def run(scenario, *, seed: int | None = None, strategy=None, trace=None) -> RunResult:
    """Simulate one scenario and check its ledger. `strategy` overrides the scenario's: a name,
    an import path `package.module:Class`, or a `sim.strategies.Strategy` subclass of your own.
    `trace`: a path or text file to write the JSONL event trace to (docs/trace.md)."""
    seed = scenario.run.seed if seed is None else seed
    strategy = scenario.strategy.name if strategy is None else strategy
    name = strategy_label(strategy)
    if trace is None:
        ledger, sink = Simulation(scenario, seed, strategy).run()
    else:
        from sim.report.trace import header, trace_writer

        with trace_writer(trace, header(scenario, name, seed)) as writer:
            ledger, sink = Simulation(scenario, seed, strategy, listener=writer).run()
    return RunResult(scenario.name, name, seed, check(ledger, sink), ledger, scenario)


def compare(
    scenario, strategies=None, seeds: int = 10, first_seed: int | None = None, workers: int = 1
) -> list[dict]:
    """Every strategy on the same seeds (the same processing times and latencies: common random
    numbers), each numeric field summarised over them (`sim.aggregate`); a strategy whose runs
    repeat an earlier one's is marked `identical_to` it. See `compare_runs`."""
    return summarise(scenario, compare_runs(scenario, strategies, seeds, first_seed, workers))


def summarise(scenario, runs: list[tuple[str, list[dict]]]) -> list[dict]:
    """One row per strategy from `compare_runs`' output, each numeric field summarised over the
    seeds (`sim.aggregate`); a strategy whose runs repeat an earlier one's is marked."""
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
    from sim.sweep.executors import execute
    from sim.sweep.spec import Task

    strategies = list(STRATEGY_NAMES if strategies is None else strategies)
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
