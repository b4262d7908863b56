"""Checking a claim: search fault schedules for a counterexample, worded for what was shown.

The search is `hypothesis.find` with a fixed budget, `derandomize=True` and no example
database, so the same command gives the same verdicts and the same shrunk counterexamples in
any process. A run that raises, fails a cross-check or does not quiesce never counts as a
counterexample (its "loss" may be the simulator's, or not-yet-read records): it makes the
outcome "unknown" unless a real counterexample is found. Nothing here raises for a bad run.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.claims.catalogue import FAULT_WINDOW_MS, MAX_POLL_RECORDS, Claim, violation
from sim.scenario import Scenario, dump_scenario

__all__ = ["Counterexample", "Outcome", "check_claim", "evaluate"]

DEFAULT_EXAMPLES = 40


@dataclass(frozen=True)
class Counterexample:
    """A fault schedule that breaks the claim, as a scenario `offsim run` replays exactly."""

    strategy: str
    scenario: Scenario
    violation: str
    witness: tuple[str, ...]  # the run's anomaly lines, with the events that caused them

    @property
    def faults(self) -> list[dict]:
        return [f.model_dump(exclude_none=True) for f in self.scenario.faults]

    def toml(self) -> str:
        return dump_scenario(self.scenario)


@dataclass(frozen=True)
class Outcome:
    """What checking one claim showed. `verdict`: refuted | not-refuted | holds | unknown."""

    claim: Claim
    verdict: str
    runs: int  # examples tried, or crash points enumerated
    counterexample: Counterexample | None = None
    message: str = ""
    exhaustive: bool = False
    examples: int = 0  # with `exhaustive`: the search's examples after the crash points

    @property
    def found(self) -> str:
        """The verdict in words that claim no more than was shown (DESIGN.md, The checker)."""
        if self.verdict == "refuted":
            return "refuted"
        if self.verdict == "unknown":
            return f"unknown ({self.message})"
        if self.verdict == "holds":
            return f"holds for all {self.runs} crash points"
        return f"not refuted in {self.runs} examples"

    @property
    def evidence(self) -> str:
        if not self.exhaustive:
            return f"{self.runs} examples"
        more = f" + {self.examples} examples" if self.examples else ""
        return f"{self.runs} crash points{more}"

    @property
    def matches(self) -> bool:
        """Does the verdict agree with the catalogue's expectation?"""
        if self.claim.expected == "refuted":
            return self.verdict == "refuted"
        return self.verdict in ("holds", "not-refuted")


@dataclass
class Evaluation:
    """One run judged against a claim: a violation, an unknown (`error`), or neither."""

    violation: str | None = None
    error: str | None = None
    result: object = None


def evaluate(claim: Claim, strategy, faults) -> Evaluation:
    """Run the claim's scenario with these faults; never raises."""
    from sim.api import run

    name = strategy if isinstance(strategy, str) else None
    try:
        scenario = claim.scenario(faults, strategy=name)
        result = run(scenario, strategy=strategy)
    except Exception as error:  # a claim check reports a broken run, it does not crash
        return Evaluation(error=f"{type(error).__name__}: {error}")
    summary = result.summary()
    if not result.report.ok:
        return Evaluation(error="cross-check failed: " + "; ".join(result.report.failures))
    if not summary["quiesced"]:
        return Evaluation(error="a run did not quiesce")
    return Evaluation(violation(claim, summary), result=result)


def counterexample(claim: Claim, strategy, faults, found: Evaluation) -> Counterexample:
    from sim.report.tables import anomaly_lines

    named = isinstance(strategy, str)
    scenario = claim.scenario(faults, strategy=strategy if named else None)
    witness = tuple(line for line in anomaly_lines(found.result.report) if line)
    name = strategy if named else strategy.name
    return Counterexample(name, scenario, found.violation, witness)


def search(claim: Claim, strategy, examples: int):
    """One strategy: (a shrunk counterexample or None, runs made, unknowns met)."""
    from hypothesis import HealthCheck, find, settings
    from hypothesis.errors import NoSuchExample

    from sim.claims.faults import fault_schedules

    runs, unknowns = 0, []

    def breaks(faults) -> bool:
        nonlocal runs
        runs += 1
        judged = evaluate(claim, strategy, faults)
        if judged.error:
            unknowns.append(judged.error)
        return judged.violation is not None

    budget = settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    schedules = fault_schedules(
        claim.faults,
        window_ms=FAULT_WINDOW_MS,
        max_records=MAX_POLL_RECORDS,
        loop_points=claim.loop_points,
    )
    try:
        faults = find(schedules, breaks, settings=budget)
    except NoSuchExample:
        return None, runs, unknowns
    found = evaluate(claim, strategy, faults)
    return counterexample(claim, strategy, faults, found), runs, unknowns


def check_claim(
    claim: Claim, examples: int = DEFAULT_EXAMPLES, exhaustive: bool = False, strategies=None
) -> Outcome:
    """Check one claim over each strategy it covers (or `strategies`: names or your own
    `Strategy` classes); refuted as soon as one strategy breaks it. With `exhaustive`, every
    crash point of `sim.claims.exhaustive` is tried first, then the search."""
    total, unknowns, points = 0, [], 0
    for strategy in strategies or claim.strategies:
        if exhaustive:
            from sim.claims.exhaustive import exhaust

            refuted, tried, met = exhaust(claim, strategy)
            points += tried
            unknowns += met
            if refuted is not None:
                return Outcome(claim, "refuted", points, refuted, exhaustive=True)
        refuted, tried, met = search(claim, strategy, examples)
        total += tried
        unknowns += met
        if refuted is not None:
            return Outcome(claim, "refuted", total, refuted)
    if unknowns:
        return Outcome(claim, "unknown", total + points, message=unknowns[0])
    if exhaustive:
        return Outcome(claim, "holds", points, exhaustive=True, examples=total)
    return Outcome(claim, "not-refuted", total)
