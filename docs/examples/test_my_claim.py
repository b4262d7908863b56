"""Your own claims as pytest tests over your own scenario (docs/claims.md).

The suite runs this file (tests/claims/test_library.py), so the example never rots.
"""

from types import MappingProxyType

from hypothesis import given, settings

from sim import Claim, check_claim, fault_schedules, run

# Our workload: 6 partitions, 3 consumers; we commit with sync-per-batch.
OURS = MappingProxyType(
    {
        "topic": {"partitions": 6, "initial_records": 900},
        "group": {"consumers": 3, "session_timeout_ms": 6_000, "heartbeat_interval_ms": 2_000},
    }
)

NEVER_LOSES = Claim(
    id="our-consumer-never-loses",
    statement="Our consumer loses no record under crashes, rebalances and commit errors",
    strategies=("sync-per-batch",),
    property="no-loss",
    expected="holds",
    source="our design review",
    faults=("crash", "leave", "join", "commit-error"),
    overrides=OURS,
)


def test_our_consumer_never_loses():
    """The search finds no counterexample in 30 fault schedules."""
    outcome = check_claim(NEVER_LOSES, examples=30)
    # On failure: the violation, its witness, and a replay file written to counterexamples/.
    assert outcome.matches, outcome.explain("counterexamples")


def test_committing_before_processing_would_lose():
    """The same claim over the at-most-once pattern is refuted, with a replayable scenario."""
    outcome = check_claim(NEVER_LOSES, examples=30, strategies=["commit-before-process"])
    assert outcome.verdict == "refuted"
    replay = run(outcome.counterexample.scenario)
    assert replay.summary()["lost"] > 0


@settings(max_examples=15, deadline=None, derandomize=True, database=None)
@given(fault_schedules(kinds=("crash", "commit-error"), consumers=3))
def test_a_property_of_your_own(faults):
    """Or draw the fault schedules directly and assert anything about a run's summary."""
    summary = run(NEVER_LOSES.scenario(faults)).summary()
    assert summary["lost"] == 0 and summary["offset_regressions"] == 0
