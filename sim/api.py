"""The public entry points: run one scenario, compare strategies over seeds."""

from __future__ import annotations

from dataclasses import dataclass

from sim import __version__
from sim.checker import check
from sim.engine.simulation import Simulation
from sim.stats import mean_interval
from sim.strategies import STRATEGY_NAMES, strategy_label


@dataclass
class RunResult:
    scenario: str
    strategy: str
    seed: int
    report: object  # sim.checker.CheckReport: anomalies with witnesses, metrics, cross-checks
    ledger: object

    def summary(self) -> dict:
        """The fields of `offsim run --json` (docs/trace.md names each)."""
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
    return RunResult(scenario.name, name, seed, check(ledger, sink), ledger)


def compare(
    scenario, strategies=None, seeds: int = 10, first_seed: int | None = None, workers: int = 1
) -> list[dict]:
    """Every strategy on the same seeds (the same processing times and latencies: common random
    numbers), each numeric field as a mean with a 95% interval; see `compare_runs`."""
    runs = compare_runs(scenario, strategies, seeds, first_seed, workers)
    return [aggregate(scenario.name, label, summaries) for label, summaries in runs]


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


def aggregate(scenario: str, strategy: str, summaries: list[dict]) -> dict:
    row: dict = {"scenario": scenario, "strategy": strategy, "seeds": len(summaries)}
    for key, value in summaries[0].items():
        if isinstance(value, bool) or not isinstance(value, int | float) or key == "seed":
            continue
        mean, low, high = mean_interval([s[key] for s in summaries])
        row[key] = {"mean": mean, "low": low, "high": high}
    row["cross_checks_ok"] = all(s.get("cross_checks_ok", True) for s in summaries)
    row["quiesced"] = all(s.get("quiesced", True) for s in summaries)
    return row
