"""Run one scenario and check it: the engine's ledger through the checker, as one `RunResult`.

The front door of the pipeline (scenario -> engine -> ledger -> checks) for everything above it:
sweeps, claims, reports and the command line. It never compares, aggregates or prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim import __version__
from sim.engine.simulation import Simulation
from sim.ledger.checker import check
from sim.strategies import strategy_label


@dataclass
class RunResult:
    scenario: str
    strategy: str
    seed: int
    report: (
        object  # sim.ledger.checker.CheckReport: anomalies with witnesses, metrics, cross-checks
    )
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
        from sim.ledger.trace import header, trace_writer

        with trace_writer(trace, header(scenario, name, seed)) as writer:
            ledger, sink = Simulation(scenario, seed, strategy, listener=writer).run()
    return RunResult(scenario.name, name, seed, check(ledger, sink), ledger, scenario)
