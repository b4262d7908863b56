"""The catalogue's founding claims under random fault schedules (hypothesis, bounded budget).

Each example is a whole fault schedule drawn as data and run as one simulation; a failure
shrinks to the smallest schedule that breaks the claim.
"""

from hypothesis import HealthCheck, given, settings

from sim import run
from sim.claims.faults import fault_schedules
from sim.scenario import parse_scenario

BUDGET = settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


def schedules(*kinds):
    """Fault schedules over the given kinds, timed inside this file's 25 s window."""
    return fault_schedules(kinds, window_ms=(3_000, 20_000), max_records=120)


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


def took_effect(faults: list, result) -> None:
    """The schedule was not a no-op: every `join` fault starts a consumer, and the earliest
    clock-pinned crash or leave finds its consumer up unless a fault recorded before it (or a
    commit error) took it down; so a schedule holding one leaves a fault in the trace."""
    recorded = [f.kind for f in result.ledger.faults]
    assert recorded.count("join") == sum(f["kind"] == "join" for f in faults), recorded
    if any(f["kind"] in ("crash", "leave") and "at_ms" in f for f in faults):
        assert {"crash", "leave", "processing-error", "commit-error"} & set(recorded), recorded


def outcome(strategy: str, faults: list) -> dict:
    result = run(scenario(strategy, faults))
    assert result.ok, result.summary()
    took_effect(faults, result)
    return result.summary()


@BUDGET
@given(schedules("crash", "commit-error", "leave", "join", "processing-error"))
def test_sync_per_batch_never_loses(faults):
    """Seed claim 2: commitSync after processing is at-least-once."""
    assert outcome("sync-per-batch", faults)["lost"] == 0


@BUDGET
@given(schedules("crash", "commit-error", "leave", "join", "processing-error"))
def test_commit_before_process_never_duplicates(faults):
    """At-most-once: committing before processing never processes a record twice, under crashes
    and commit errors."""
    assert outcome("commit-before-process", faults)["duplicated_records"] == 0


@BUDGET
@given(schedules("crash", "commit-error", "leave", "join", "processing-error"))
def test_async_per_batch_never_loses(faults):
    """Seed claim 3: commitAsync after processing is at-least-once."""
    assert outcome("async-per-batch", faults)["lost"] == 0


@BUDGET
@given(schedules("crash", "commit-error", "leave", "join"))
def test_java_auto_commit_with_processing_in_the_loop_never_loses(faults):
    """docs/semantics.md §2: Java auto commit commits positions of records already processed when
    processing finishes inside the loop: at-least-once (a poison record is the exception: close()
    then commits the whole batch, see the next test)."""
    assert outcome("auto", faults)["lost"] == 0


def test_java_auto_commit_loses_the_batch_rest_after_a_poison_record():
    """docs/semantics.md §2: an exception mid-batch followed by close() commits the whole batch."""
    poison = {"kind": "processing-error", "consumer": 0, "at": "mid-batch", "batch": 2}
    result = run(scenario("auto", [{**poison, "after_records": 10}]))
    assert result.ok and [f.kind for f in result.ledger.faults] == ["processing-error"]
    assert result.summary()["lost"] == 90
