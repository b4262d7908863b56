"""The seed page's claims under random crash schedules (hypothesis, bounded budget).

Each example is a whole fault schedule drawn as data and run as one simulation; a failure
shrinks to the smallest schedule that breaks the claim.
"""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import run
from sim.scenario import parse_scenario

BUDGET = settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
POINTS = ("before-process", "mid-batch", "after-process", "before-commit", "after-commit")
COMMIT_ERRORS = ("REBALANCE_IN_PROGRESS", "ILLEGAL_GENERATION", "COORDINATOR_NOT_AVAILABLE")


@st.composite
def crashes(draw, consumers=2, commit_errors=False, scaling=False, poison=False):
    """A fault schedule: crashes, each at a time or at a point of the poll loop, restarted or
    not; optionally commit errors, a clean leave and a join, and a poison record."""
    faults = []
    for _ in range(draw(st.integers(1, 3))):
        fault = {"kind": "crash", "consumer": draw(st.integers(0, consumers - 1))}
        if draw(st.booleans()):
            fault["at_ms"] = draw(st.integers(3_000, 20_000))
        else:
            fault["at"] = draw(st.sampled_from(POINTS))
            fault["batch"] = draw(st.integers(1, 6))
            if fault["at"] == "mid-batch":
                fault["after_records"] = draw(st.integers(0, 120))
        if draw(st.booleans()):
            fault["restart_after_ms"] = draw(st.integers(0, 8_000))
        faults.append(fault)
    if commit_errors and draw(st.booleans()):
        start = draw(st.integers(3_000, 20_000))
        error = draw(st.sampled_from(COMMIT_ERRORS))
        faults.append(
            {
                "kind": "commit-error",
                "error": error,
                "from_ms": start,
                "to_ms": start + draw(st.integers(0, 3_000)),
                "probability": draw(st.sampled_from([0.3, 1.0])),
            }
        )
    if scaling and draw(st.booleans()):
        leave = {"kind": "leave", "consumer": draw(st.integers(0, consumers - 1))}
        leave["at_ms"] = draw(st.integers(3_000, 20_000))
        if draw(st.booleans()):
            leave["restart_after_ms"] = draw(st.integers(0, 5_000))
        faults.append(leave)
    if scaling and draw(st.booleans()):
        faults.append({"kind": "join", "at_ms": draw(st.integers(3_000, 20_000))})
    if poison and draw(st.booleans()):
        faults.append(
            {
                "kind": "processing-error",
                "consumer": draw(st.integers(0, consumers - 1)),
                "at": "mid-batch",
                "batch": draw(st.integers(1, 6)),
                "after_records": draw(st.integers(0, 99)),
                "restart_after_ms": draw(st.integers(0, 5_000)),
            }
        )
    return faults


def scenario(strategy: str, faults: list, seed: int = 1):
    return parse_scenario(
        {
            "name": f"property-{strategy}",
            "run": {"duration_ms": 25_000, "seed": seed},
            "topic": {"partitions": 4, "initial_records": 1_200},
            "group": {"consumers": 2, "session_timeout_ms": 6_000, "heartbeat_interval_ms": 2_000},
            "consumer": {
                "max_poll_records": 100,
                "processing_ms": {"dist": "exponential", "mean": 5.0},
            },
            "strategy": {"name": strategy},
            "faults": faults,
        },
        "<property>",
    )


def outcome(strategy: str, faults: list) -> dict:
    result = run(scenario(strategy, faults))
    assert result.ok, result.summary()
    return result.summary()


@BUDGET
@given(crashes(commit_errors=True, scaling=True, poison=True))
def test_sync_per_batch_never_loses(faults):
    """Seed claim 2: commitSync after processing is at-least-once."""
    assert outcome("sync-per-batch", faults)["lost"] == 0


@BUDGET
@given(crashes(commit_errors=True, scaling=True, poison=True))
def test_commit_before_process_never_duplicates(faults):
    """At-most-once: committing before processing never processes a record twice, under crashes
    and commit errors."""
    assert outcome("commit-before-process", faults)["duplicated_records"] == 0


@BUDGET
@given(crashes(commit_errors=True, scaling=True, poison=True))
def test_async_per_batch_never_loses(faults):
    """Seed claim 3: commitAsync after processing is at-least-once."""
    assert outcome("async-per-batch", faults)["lost"] == 0


@BUDGET
@given(crashes(commit_errors=True, scaling=True))
def test_java_auto_commit_with_processing_in_the_loop_never_loses(faults):
    """SEMANTICS.md §2: Java auto commit commits positions of records already processed when
    processing finishes inside the loop: at-least-once (a poison record is the exception: close()
    then commits the whole batch, see the next test)."""
    assert outcome("auto", faults)["lost"] == 0


def test_java_auto_commit_loses_the_batch_rest_after_a_poison_record():
    """SEMANTICS.md §2: an exception mid-batch followed by close() commits the whole batch."""
    poison = {"kind": "processing-error", "consumer": 0, "at": "mid-batch", "batch": 2}
    assert outcome("auto", [{**poison, "after_records": 10}])["lost"] == 90
