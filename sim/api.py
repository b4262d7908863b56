"""The public entry points: run one scenario, compare strategies over seeds."""

from __future__ import annotations

from dataclasses import dataclass, field

from sim import __version__
from sim.aggregate import aggregate, mark_identical
from sim.checker import check
from sim.engine.simulation import Simulation
from sim.strategies import STRATEGY_NAMES


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
    or a `sim.strategies.Strategy` subclass of your own. `trace`: a path or text file to write
    the JSONL event trace to (docs/trace.md)."""
    seed = scenario.run.seed if seed is None else seed
    strategy = scenario.strategy.name if strategy is None else strategy
    name = strategy if isinstance(strategy, str) else strategy.name
    if trace is None:
        ledger, sink = Simulation(scenario, seed, strategy).run()
    else:
        from sim.report.trace import header, trace_writer

        with trace_writer(trace, header(scenario, name, seed)) as writer:
            ledger, sink = Simulation(scenario, seed, strategy, listener=writer).run()
    return RunResult(scenario.name, name, seed, check(ledger, sink), ledger, scenario)


def compare(
    scenario, strategies=None, seeds: int = 10, first_seed: int | None = None
) -> list[dict]:
    """Every strategy on the same seeds (the same processing times and latencies: common random
    numbers), each numeric field summarised over them (`sim.aggregate`); a strategy whose runs
    repeat an earlier one's is marked `identical_to` it."""
    strategies = list(STRATEGY_NAMES if strategies is None else strategies)
    first = scenario.run.seed if first_seed is None else first_seed
    rows = []
    for name in strategies:
        summaries = [run(scenario, seed=first + i, strategy=name).summary() for i in range(seeds)]
        rows.append(aggregate(scenario.name, name, summaries))
    return mark_identical(rows, scenario)
