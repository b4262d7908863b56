"""Async processing under random fault schedules (hypothesis, bounded budget): committing the
worker's completed frontier never loses a record."""

from hypothesis import assume, given

from sim import run
from sim.scenario import parse_scenario

from .test_seed_claims import BUDGET, schedules


def scenario(strategy: str, faults: list):
    return parse_scenario(
        {
            "name": f"property-async-{strategy}",
            "run": {"duration_ms": 25_000},
            "topic": {"partitions": 4, "initial_records": 1_200},
            "group": {"consumers": 2, "session_timeout_ms": 6_000, "heartbeat_interval_ms": 2_000},
            "consumer": {
                "max_poll_records": 100,
                "processing": "async",
                "worker_queue_records": 250,
                "processing_ms": {"dist": "exponential", "mean": 5.0},
            },
            "strategy": {"name": strategy},
            "faults": faults,
        },
        "<property>",
    )


@BUDGET
@given(schedules("crash", "commit-error", "lost-response", "leave", "join"))
def test_committing_the_completed_frontier_never_loses(faults):
    """async-worker-commit-completed: no crash point, rebalance or commit failure makes it lose
    (a mid-batch crash is a point of sync processing, refused with async)."""
    assume(all(f.get("at") != "mid-batch" for f in faults))
    result = run(scenario("async-worker-commit-completed", faults))
    assert result.ok, result.summary()
    assert result.summary()["lost"] == 0
