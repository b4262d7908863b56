"""Checking a claim: search fault schedules for a counterexample, worded for what was shown.

The search is `hypothesis.find` with a fixed budget, `derandomize=True` and no example
database, so the same command gives the same verdicts and the same shrunk counterexamples in
any process. A run that raises, fails a cross-check or does not quiesce never counts as a
counterexample (its "loss" may be the simulator's, or not-yet-read records): it makes the
outcome "unknown" unless a real counterexample is found. Nothing here raises for a bad run.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from sim.claims.claim import Claim
from sim.claims.exhaustive import exhaust
from sim.claims.judge import Counterexample, UnreplayableError, counterexample, evaluate

__all__ = ["DEFAULT_EXAMPLES", "Outcome", "check_claim", "search"]

DEFAULT_EXAMPLES = 40


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
        """The verdict in words that claim no more than was shown, and cannot be read as the
        claim's own truth: a claim that something *can* happen is borne out by a counterexample."""
        if self.verdict == "refuted":
            return "counterexample found"
        if self.verdict == "unknown":
            return f"unknown ({self.message})"
        if self.verdict == "holds":
            return f"holds at all {self.runs} crash points"
        return f"no counterexample in {self.runs} examples"

    @property
    def expected_words(self) -> str:
        """What the claim expects, in the same words."""
        return "a counterexample" if self.claim.expected == "refuted" else "no counterexample"

    @property
    def evidence(self) -> str:
        if not self.exhaustive:
            return f"{self.runs} examples"
        more = f" + {self.examples} examples" if self.examples else ""
        return f"{self.runs} crash points{more}"

    @property
    def matches(self) -> bool:
        """Does the verdict agree with the claim's expectation?"""
        if self.claim.expected == "refuted":
            return self.verdict == "refuted"
        return self.verdict in ("holds", "not-refuted")

    def explain(self, out: str | Path | None = None) -> str:
        """The outcome in a few lines, led by what matters. For a counterexample the claim did
        not expect: the violation, its witness, and the replay file, written into the folder
        `out` when given (`<claim id>.toml`). For a pytest assertion:
        `assert outcome.matches, outcome.explain("counterexamples")`."""
        example = self.counterexample
        if self.matches or example is None:
            return self.described("")
        if out is None:
            return self.described("not written (give a folder to write it to)")
        try:
            path = example.write(Path(out) / f"{self.claim.id}.toml", self.claim.id)
        except UnreplayableError as error:
            return self.described(f"not written: {error}")
        return self.described(f"offsim run {path.as_posix()}")

    def described(self, replay: str) -> str:
        """`explain`'s lines, with `replay` saying where the replay file is (or why none)."""
        claim, example = self.claim, self.counterexample
        if self.matches:
            return f"{claim.id}: {self.found}, as expected"
        if example is None:
            return f"{claim.id}: {self.found}, and the claim expects {self.expected_words}"
        faults = "; ".join(_fault_words(f) for f in example.faults) or "no fault"
        return "\n".join(
            [
                f"{claim.id}: counterexample found: {example.violation} "
                f"({example.strategy}; {faults})",
                f"  witness: {example.story}",
                f"  replay: {replay}",
            ]
        )


def _fault_words(fault: dict) -> str:
    rest = ", ".join(f"{k} {v}" for k, v in fault.items() if k != "kind")
    return f"{fault['kind']} ({rest})" if rest else fault["kind"]


@contextlib.contextmanager
def _no_local_constants():
    """Hypothesis mixes into its draws constants it reads from the source of the "local"
    modules loaded in the process (not those under site-packages). Which modules those are (a
    checkout or an installed offsim, a report's charts, a user's own strategy module) would then
    change the examples drawn, and so the verdicts' evidence and the counterexamples; pin them to
    none so the same command searches the same schedules everywhere."""
    try:
        from hypothesis.internal.conjecture import providers

        get, none = providers._get_local_constants, providers.Constants()
    except (ImportError, AttributeError):  # pragma: no cover - a hypothesis without them
        yield
        return
    providers._get_local_constants = lambda: none
    providers.CONSTANTS_CACHE.cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = get
        providers.CONSTANTS_CACHE.cache.clear()


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
    space = claim.search_space()
    schedules = fault_schedules(
        space.kinds,
        consumers=space.consumers,
        max_faults=space.max_faults,
        window_ms=space.window_ms,
        max_records=space.max_records,
        loop_points=space.loop_points,
        partitions=space.partitions,
    )
    try:
        with _no_local_constants():
            faults = find(schedules, breaks, settings=budget)
    except NoSuchExample:
        return None, runs, unknowns
    found = evaluate(claim, strategy, faults)
    return counterexample(claim, strategy, faults, found), runs, unknowns


def check_claim(
    claim: Claim, examples: int = DEFAULT_EXAMPLES, exhaustive: bool = False, strategies=None
) -> Outcome:
    """Check one claim over each strategy it covers (or `strategies`: names, import paths
    `package.module:Class`, or `Strategy` classes of your own); refuted as soon as one strategy
    breaks it. With `exhaustive`, every crash point of `sim.claims.exhaustive` is tried first,
    then the search."""
    total, unknowns, points = 0, [], 0
    for strategy in strategies or claim.strategies:
        if exhaustive:
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
