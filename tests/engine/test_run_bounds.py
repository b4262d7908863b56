"""Every run ends: the drain waits for what is owed and no longer, and a run that cannot make
progress stops at a bound with its reason (docs/scenarios.md, [run]). Each test is a reproducer
found by fuzzing (issue 12)."""

import pytest

from sim import run
from sim.engine import simulation
from sim.engine.drain import DRAIN_RESTARTS
from sim.engine.simulation import Simulation
from sim.scenario import parse_scenario


def scenario(**tables):
    data = {"name": "bounds"}
    for table, values in tables.items():
        data[table] = values
    return parse_scenario(data, "<bounds>")


def test_the_drain_waits_for_the_last_produce_tick_and_a_restarted_member():
    """Cooperative, a poison record on consumer 0: the drain restarts it at the window's end, the
    instant of the last produce tick. The drain is not over while records are still produced or
    a live consumer has not joined the group yet: nothing is lost."""
    s = scenario(
        group={"consumers": 2, "protocol": "cooperative", "assignor": "cooperative-sticky"},
        topic={"produce_rate_per_s": 300},
        faults=[{"kind": "processing-error", "consumer": 0, "at_ms": 5_000}],
    )
    summary = run(s).summary()
    assert summary["quiesced"] and summary["lost"] == 0
    assert summary["sim_time_ms"] > 60_000  # the restarted member joined and took its share


def test_the_group_emptying_during_the_initial_delay_runs_to_the_end():
    """One cooperative consumer leaves during the initial rebalance delay: no crash, no loss
    (its restart in the drain consumes everything)."""
    s = scenario(
        group={"consumers": 1, "protocol": "cooperative", "assignor": "cooperative-sticky"},
        faults=[{"kind": "leave", "consumer": 0, "at_ms": 1_000}],
    )
    summary = run(s).summary()
    assert summary["quiesced"] and summary["lost"] == 0


def test_a_member_that_cannot_start_ends_the_run_unknown_not_a_restart_storm():
    """auto_offset_reset = "none" with nothing committed: poll() throws at once, each restart
    too. The drain stops restarting after DRAIN_RESTARTS and says why."""
    for static in (False, True):
        s = scenario(group={"auto_offset_reset": "none", "static_membership": static})
        sim = Simulation(s, 1, "sync-per-batch")
        ledger, _ = sim.run()
        assert not ledger.quiesced
        assert 'auto_offset_reset = "none"' in ledger.not_quiesced_reason
        assert len(sim.instances) <= 3 + 3 * DRAIN_RESTARTS


def test_a_commit_of_nothing_new_in_flight_does_not_hold_the_drain():
    """async-then-sync with a 2 ms poll timeout sends a commitAsync per empty poll, so one is
    always in flight; it names offsets already committed, so the group drains."""
    s = scenario(
        run={"duration_ms": 10_000},
        consumer={"poll_timeout_ms": 2},
        strategy={"name": "async-then-sync"},
    )
    summary = run(s).summary()
    assert summary["quiesced"] and summary["lost"] == 0
    assert summary["sim_time_ms"] < 11_000


@pytest.mark.parametrize(
    "consumer,strategy,fault",
    [
        (
            {"retry_backoff_ms": 0},
            "sync-per-batch",
            {"kind": "commit-error", "error": "COORDINATOR_LOAD_IN_PROGRESS"},
        ),
        ({}, "async-retry-naive", {"kind": "coordinator-failover", "at_ms": 10_000}),
    ],
)
def test_a_retry_loop_with_no_time_passing_stops_unknown(monkeypatch, consumer, strategy, fault):
    """Zero network latency, and either no retry backoff with a retriable commit error all run
    long, or a blind async retry across a coordinator failover: requests are retried forever at
    one instant. The run stops after STALLED_STEPS events there."""
    monkeypatch.setattr(simulation, "STALLED_STEPS", 50_000)  # the test's budget, not the rule
    s = scenario(
        consumer=consumer,
        strategy={"name": strategy},
        topic={"produce_rate_per_s": 100},
        network={"latency_ms": {"dist": "constant", "mean": 0.0}},
        faults=[fault],
    )
    summary = run(s).summary()
    assert not summary["quiesced"]
    assert summary["not_quiesced_reason"].startswith("simulated time stopped at")


def test_max_steps_bounds_every_run_drain_or_not():
    """A run past run.max_steps events stops there, unknown, with the bound in the reason."""
    for drain in (True, False):
        s = scenario(run={"max_steps": 3_000, "drain": drain})
        sim = Simulation(s, 1, "sync-per-record")
        ledger, _ = sim.run()
        assert sim.steps <= 3_000
        assert not ledger.quiesced
        assert "run.max_steps (3,000 events)" in ledger.not_quiesced_reason


def test_a_run_within_its_bounds_is_unchanged_by_them():
    """The bounds only look between chunks of events: a run that ends by itself gives the same
    digest whatever the budget, as long as the budget is not reached."""
    s = scenario()
    small = run(s.replace(run={"max_steps": 200_000})).summary()
    assert small["quiesced"] and small["not_quiesced_reason"] is None
    assert small["trace_digest"] == run(s).summary()["trace_digest"]
