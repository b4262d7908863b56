"""The driver with static members: a closed static member is a ghost until its session ends."""

from sim import load_scenario, run


def test_a_static_member_that_closed_expires_one_session_later():
    """A static member sends no LeaveGroup on close(), but its heartbeats stop with the process:
    the coordinator removes it one session later and the group rebalances. Without that, the
    group never noticed and its partitions were never consumed again (no quiescence)."""
    s = load_scenario("static-restart").with_faults(
        [{"kind": "leave", "consumer": 1, "at_ms": 20_000}]
    )
    result = run(s)
    assert result.ok and result.report.metrics.quiesced
    ((started_us, generation),) = result.ledger.rebalances
    session_us = s.group.session_timeout_ms * 1000
    assert generation == 1 and 20_000_000 + session_us - 3_000_000 < started_us
    assert started_us <= 20_000_000 + session_us + 100_000
