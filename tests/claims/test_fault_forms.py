"""The search draws the scenario format's newer fault forms: a commit error on the n-th
OffsetCommit (`nth`, `times`), a crash or poison record aimed at a partition's owner
(`owner_of`), a coordinator outage; bounded, shrunk to their plainest, and able to find a bug
only they reach."""

import pytest
from hypothesis import HealthCheck, find, settings
from hypothesis.errors import NoSuchExample

from sim import run
from sim.claims import Claim, check_claim
from sim.claims.faults import MAX_NTH, MAX_TIMES, fault_schedules
from sim.scenario.commit_errors import COMMIT_ERROR_REQUESTS
from sim.scenario.faults import LOOP_POINTS, TXN_LOOP_POINTS
from sim.strategies.async_per_batch import AsyncPerBatch
from sim.strategies.base import Seek

BUDGET = settings(
    max_examples=100, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
KINDS = ("crash", "processing-error", "commit-error", "coordinator-outage")


def first(condition, partitions: int | None = 4) -> list[dict]:
    """The plainest schedule holding a fault that meets `condition`."""
    schedules = fault_schedules(KINDS, window_ms=(3_000, 11_000), partitions=partitions)
    return find(schedules, lambda faults: any(map(condition, faults)), settings=BUDGET)


def test_a_commit_error_by_count_shrinks_to_the_first_commit_once():
    """nth and times are drawn, within bounds, and shrink to the group's first commit."""
    assert first(lambda f: "nth" in f) == [
        {"kind": "commit-error", "error": "REBALANCE_IN_PROGRESS", "nth": 1, "times": 1}
    ]
    assert first(lambda f: f.get("nth", 0) >= 10)[0]["nth"] == 10  # shrunk to the edge
    with pytest.raises(NoSuchExample):
        first(lambda f: f.get("nth", 0) > MAX_NTH or f.get("times", 0) > MAX_TIMES)


def test_a_crash_aims_at_a_partitions_owner_only_when_the_partitions_are_known():
    """owner_of is drawn among the scenario's partitions; without them, never."""
    assert first(lambda f: "owner_of" in f)[0]["owner_of"] == 0
    assert first(lambda f: f.get("owner_of") == 3)[0]["owner_of"] == 3
    assert first(lambda f: "owner_of" in f or "nth" in f, partitions=None)[0].get("nth") == 1


def test_a_coordinator_outage_is_drawn_inside_the_window():
    outage = first(lambda f: f["kind"] == "coordinator-outage")
    assert outage == [{"kind": "coordinator-outage", "at_ms": 3_000, "duration_ms": 1}]


class SkipsAheadWhenItsFirstCommitFails(AsyncPerBatch):
    """A planted bug only a commit error by count reaches in the claim below: when a
    consumer's first commit fails, its callback seeks each partition three poll batches past
    the failed offsets ("those records are suspect, skip ahead"), so records are never read."""

    name = "skips-ahead-when-its-first-commit-fails"

    def on_commit_result(self, consumer, result):
        if result.error is not None and result.sequence == 1:
            return [Seek(p, offset + 150) for p, offset in result.offsets]
        return []


# Commit errors only, timed from 7 s: every consumer's first commit (at about 6.4 s here, once
# the group formed and a first batch was processed) is out of any window's reach, not of a
# count's.
LATE_ERRORS = Claim(
    "first-commit-failure",
    "loses nothing whatever commits fail",
    ("async-per-batch",),
    "no-loss",
    "holds",
    faults=("commit-error",),
    window_ms=(7_000, 11_000),
)


def test_windows_of_commit_errors_do_not_reach_the_planted_bug():
    """The bug is real only through the first commit: failing every commit in the claim's
    window loses nothing."""
    window = {"kind": "commit-error", "error": "NOT_COORDINATOR", "from_ms": 7_000}
    scenario = LATE_ERRORS.scenario([{**window, "to_ms": 11_000}])
    assert run(scenario, strategy=SkipsAheadWhenItsFirstCommitFails).summary()["lost"] == 0
    by_count = LATE_ERRORS.scenario(
        [{"kind": "commit-error", "error": "NOT_COORDINATOR", "nth": 1}]
    )
    assert run(by_count, strategy=SkipsAheadWhenItsFirstCommitFails).summary()["lost"] > 0


def test_the_search_finds_a_loss_only_the_nth_commit_error_reaches():
    """The claims search draws commit errors by count, finds the planted loss, and shrinks it
    to one failed first commit."""
    outcome = check_claim(LATE_ERRORS, strategies=[SkipsAheadWhenItsFirstCommitFails])
    assert outcome.verdict == "refuted", outcome.found
    (fault,) = outcome.counterexample.faults
    assert (fault["kind"], fault["nth"], fault["times"]) == ("commit-error", 1, 1)
    assert "lost" in outcome.counterexample.violation


def test_a_transactional_search_names_transaction_requests_with_their_own_errors():
    """Only with the transactional loop points (`in-commit`) does a commit error name a
    transaction request, and then with an error its coordinator answers that request with."""

    def named(points):
        schedules = fault_schedules(("commit-error",), loop_points=points)
        return find(schedules, lambda faults: any("request" in f for f in faults), settings=BUDGET)

    (found,) = named(LOOP_POINTS + TXN_LOOP_POINTS)
    assert found["error"] in COMMIT_ERROR_REQUESTS[found["request"]]
    end_txn = find(
        fault_schedules(("commit-error",), loop_points=LOOP_POINTS + TXN_LOOP_POINTS),
        lambda faults: any(f.get("request") == "EndTxn" for f in faults),
        settings=BUDGET,
    )
    assert end_txn[0]["error"] == "NOT_COORDINATOR"  # shrunk to the first of EndTxn's errors
    with pytest.raises(NoSuchExample):
        named(LOOP_POINTS)
