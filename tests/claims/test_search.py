"""The search and the exhaustive mode: deterministic, shrunk, never crashing, bug-finding."""

import contextlib
import importlib
import io
import json

from sim.claims import Claim, check_claim, claim_by_id, crash_points
from sim.cli import main
from sim.strategies import STRATEGIES
from sim.strategies.base import CommitSync, Strategy


class CommitsBeforeFinishing(Strategy):
    """A planted bug: sync-per-batch that commits the batch end before processing it."""

    name = "sync-per-batch"

    def before_process(self, consumer, batch):
        return [CommitSync(batch.next_offsets)]


class Explodes(Strategy):
    name = "sync-per-batch"

    def after_batch(self, consumer, batch):
        raise RuntimeError("boom")


def test_a_planted_bug_flips_a_claim_and_the_check_exits_1(monkeypatch, tmp_path):
    """Registered in place of sync-per-batch, the bug refutes a claim expected to hold."""
    monkeypatch.setitem(STRATEGIES, "sync-per-batch", CommitsBeforeFinishing)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(["check", "--claim", "sync-per-batch-at-least-once", "--json",
                     "--out", str(tmp_path)])  # fmt: skip
    (row,) = json.loads(out.getvalue())
    assert (code, row["verdict"], row["expected"]) == (1, "refuted", "holds")
    assert (tmp_path / "sync-per-batch-at-least-once.toml").exists()


def test_the_search_does_not_depend_on_the_modules_loaded(tmp_path, monkeypatch):
    """Hypothesis draws constants from the source of the local modules loaded in the process;
    the search pins them to none, so a module of one's own (or a report's charts, or an
    installed offsim against a checkout) leaves the examples and counterexamples as they were."""
    claim = claim_by_id("latest-reset-loses-preloaded")
    before = check_claim(claim)
    # Times inside the fault window; fewer than hypothesis's 1,024 a module, or it skips them.
    numbers = ", ".join(str(n) for n in range(3_001, 11_000, 97))
    (tmp_path / "lots_of_constants.py").write_text(f"TIMES = ({numbers})\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module("lots_of_constants")
    after = check_claim(claim)
    assert (after.runs, after.counterexample.faults) == (before.runs, before.counterexample.faults)


def test_a_counterexample_is_shrunk_to_one_fault():
    """A crash before processing is all commit-before-process needs to lose a batch."""
    outcome = check_claim(claim_by_id("commit-before-process-can-lose"))
    assert outcome.verdict == "refuted" and len(outcome.counterexample.faults) == 1


def test_a_run_that_raises_is_unknown_not_a_crash(monkeypatch):
    """An exception inside a run makes the outcome "unknown" with the message."""
    monkeypatch.setitem(STRATEGIES, "sync-per-batch", Explodes)
    outcome = check_claim(claim_by_id("sync-per-batch-at-least-once"), examples=3)
    assert outcome.verdict == "unknown" and "boom" in outcome.message
    assert not outcome.matches


def test_the_exhaustive_mode_enumerates_the_documented_crash_points():
    """84 single crashes and 100 pairs for 2 consumers; poison-only claims 18 + 4."""
    assert len(crash_points(claim_by_id("sync-per-batch-duplicates-bounded"))) == 184
    assert len(crash_points(claim_by_id("auto-loses-after-poison"))) == 22
    points = crash_points(claim_by_id("auto-can-duplicate"))
    assert len({repr(p) for p in points}) == len(points)


def test_exhaustive_holds_for_every_crash_point():
    """sync-per-batch re-processes at most one batch at every enumerated crash point."""
    outcome = check_claim(
        claim_by_id("sync-per-batch-duplicates-bounded"), examples=5, exhaustive=True
    )
    assert outcome.found == "holds at all 184 crash points"


def test_exhaustive_reports_the_first_counterexample_in_order():
    """The first crash point in the fixed order already loses under commit-before-process."""
    outcome = check_claim(claim_by_id("commit-before-process-can-lose"), exhaustive=True)
    assert outcome.verdict == "refuted" and outcome.runs == 1
    assert outcome.counterexample.faults[0]["at"] == "before-process"


def test_a_claim_of_your_own_is_checked_the_same_way():
    """The library: a new Claim over a shipped strategy."""
    claim = Claim("mine", "never regresses", ("async-per-batch",), "no-offset-regression",
                  "holds", "test")  # fmt: skip
    assert check_claim(claim, examples=5).found == "no counterexample in 5 examples"
