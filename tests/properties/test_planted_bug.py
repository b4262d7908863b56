"""A strategy with a planted bug must be caught: the checker is worth only what it finds."""

from hypothesis import find, settings

from sim import run
from sim.claims.faults import fault_schedules
from sim.strategies.base import CommitSync, Strategy

from .test_seed_claims import scenario


class CommitsTooFar(Strategy):
    """sync-per-batch with a bug: it commits ten records past what it processed."""

    name = "commits-too-far"

    def after_batch(self, consumer, batch):
        if not batch.records:
            return []
        return [CommitSync(tuple((p, end + 10) for p, end in batch.next_offsets))]


class CommitsBeforeFinishing(Strategy):
    """A subtler bug: it commits the batch end *before* processing, like commit-before-process,
    while claiming to be at-least-once."""

    name = "commits-before-finishing"

    def before_process(self, consumer, batch):
        return [CommitSync(batch.next_offsets)]


def test_committing_too_far_loses_records_the_checker_names():
    """Committing past the processed records skips them on the next owner: lost, with a
    witness naming the commit that covered them."""
    faults = [{"kind": "crash", "consumer": 0, "at": "after-commit", "batch": 2}]
    result = run(scenario("sync-per-batch", faults), strategy=CommitsTooFar)
    summary = result.summary()
    assert summary["lost"] > 0
    assert summary["over_commits"] > 0


def test_search_finds_and_shrinks_a_loss_under_the_subtle_bug():
    """Hypothesis searches crash schedules for a loss under the subtle bug, finds one, and
    shrinks it to a single crash."""

    def loses(faults):
        strategy = CommitsBeforeFinishing
        return run(scenario("sync-per-batch", faults), strategy=strategy).summary()["lost"] > 0

    budget = settings(max_examples=40, deadline=None, derandomize=True, database=None)
    schedule = find(fault_schedules(window_ms=(3_000, 20_000)), loses, settings=budget)
    assert len(schedule) == 1
