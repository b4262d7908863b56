"""One run judged against a claim, and the counterexample a violating run makes.

Both the search (`sim.claims.search`) and the crash-point enumeration (`sim.claims.exhaustive`)
judge runs here, so neither imports the other's internals. A run that raises, fails a
cross-check or does not quiesce is never a violation: it is an error (an "unknown" for the
caller), since its "loss" may be the simulator's, or records not yet read. Nothing here raises
for a bad run, and nothing here chooses which runs to make.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sim.claims.claim import Claim, violated_anomaly, violation
from sim.scenario import Scenario, dump_scenario
from sim.strategies import strategy_label, strategy_reference

__all__ = ["Counterexample", "Evaluation", "UnreplayableError", "counterexample", "evaluate"]


class UnreplayableError(ValueError):
    """A counterexample whose strategy no scenario file can name: refused, not written wrong."""


@dataclass(frozen=True)
class Counterexample:
    """A fault schedule that breaks the claim. `scenario` replays it exactly (`sim.run`, or
    `offsim run` on `toml()`): it names the strategy by its shipped name or its import path. It
    is None when the strategy is a class no import path reaches (defined in `__main__`, a
    notebook or a function); `replay()` still runs it, and `toml()` refuses."""

    strategy: str
    scenario: Scenario | None
    faults: tuple[dict, ...]
    violation: str
    witness: tuple[str, ...]  # the run's anomaly lines, with the events that caused them
    story: str  # the first record group that breaks the claim and its events, on one line
    run_as: tuple = field(repr=False, compare=False, default=())  # (scenario, strategy)

    def toml(self) -> str:
        """The scenario file that replays this counterexample."""
        if self.scenario is None:
            raise UnreplayableError(
                f"strategy {self.strategy!r} is a class no import path reaches (defined in "
                "__main__, a notebook or a function), so no scenario file can name it; define "
                "it in a module and name it package.module:Class"
            )
        return dump_scenario(self.scenario)

    def replay(self):
        """Run the counterexample again: a `sim.api.RunResult` showing the same violation."""
        from sim.api import run

        scenario, strategy = self.run_as
        return run(scenario, strategy=strategy)

    def write(self, path: str | Path, claim_id: str) -> Path:
        """Write the replay file (a scenario file with a comment saying what it shows)."""
        from sim.files import write_text

        path = Path(path)
        text = self.toml()
        path.parent.mkdir(parents=True, exist_ok=True)
        header = (
            f"# Counterexample to the claim {claim_id!r} (offsim check): {self.violation}.\n"
            f"# Replay it with `offsim run {path.as_posix()}`.\n"
        )
        write_text(path, header + text)
        return path


@dataclass
class Evaluation:
    """One run judged against a claim: a violation, an unknown (`error`), or neither."""

    violation: str | None = None
    error: str | None = None
    result: object = None


def evaluate(claim: Claim, strategy, faults) -> Evaluation:
    """Run the claim's scenario with these faults; never raises."""
    from sim.api import run

    try:
        scenario = claim.scenario(faults, strategy=strategy_reference(strategy))
        result = run(scenario, strategy=strategy)
    except Exception as error:  # a claim check reports a broken run, it does not crash
        return Evaluation(error=f"{type(error).__name__}: {error}")
    summary = result.summary()
    if not result.report.ok:
        return Evaluation(error="cross-check failed: " + "; ".join(result.report.failures))
    if not summary["quiesced"]:
        return Evaluation(error=f"a run did not quiesce: {summary['not_quiesced_reason']}")
    return Evaluation(violation(claim, summary), result=result)


def counterexample(claim: Claim, strategy, faults, found: Evaluation) -> Counterexample:
    from sim.report.tables import anomaly_lines

    reference = strategy_reference(strategy)
    run_scenario = claim.scenario(faults, strategy=reference)
    report = found.result.report
    witness = tuple(line for line in anomaly_lines(report) if line)
    anomaly = report.anomalies[violated_anomaly(claim, found.result.summary())]
    story = _story(anomaly) if anomaly.count else found.violation  # an effect with no record
    return Counterexample(
        strategy_label(strategy),
        run_scenario if reference is not None else None,
        tuple(f.model_dump(exclude_none=True) for f in run_scenario.faults),
        found.violation,
        witness,
        story,
        (run_scenario, strategy),
    )


def _story(anomaly) -> str:
    """The anomaly's first group and the events that show its cause, on one line."""
    if not anomaly.groups:
        return f"{anomaly.kind}: {anomaly.count:,}"
    group = anomaly.groups[0]
    head = str(group).splitlines()[0]
    events = "; ".join(f"{w.at_us / 1000:.1f} ms {w.words}" for w in group.witness)
    return f"{head}: {events}" if events else head
