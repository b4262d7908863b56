"""An idle consumer's poll timeouts repolled by the driver (`Consumer.repoll_idle`, without a
round trip through the poll loop) give the same run, event for event, as the loop itself."""

from pathlib import Path

import pytest

from sim import run
from sim.model.consumer import Consumer
from sim.scenario import load_scenario, parse_scenario
from sim.strategies.base import CommitSync
from sim.strategies.sync_per_batch import SyncPerBatch

ROOT = Path(__file__).resolve().parents[2]


def small_claim_run():
    """The small-runs benchmark's scenario: the drain is mostly idle polls."""
    return load_scenario(ROOT / "tests" / "benchmarks" / "small-claim.toml")


def traces(scenario, seeds, strategy=None):
    """Each run's trace digest and ledger event count."""
    return [
        (r.ledger.trace_digest, r.ledger.events)
        for r in (run(scenario, seed=s, strategy=strategy) for s in seeds)
    ]


@pytest.fixture
def repolls(monkeypatch):
    """Counts the idle timeouts the driver repolled itself."""
    count = {"repolled": 0}
    repoll = Consumer.repoll_idle

    def counting(self):
        until = repoll(self)
        count["repolled"] += until is not None
        return until

    monkeypatch.setattr(Consumer, "repoll_idle", counting)
    return count


def loop_only(monkeypatch):
    """Every idle timeout resumes the poll loop, as before the driver repolled."""
    monkeypatch.setattr(Consumer, "repoll_idle", lambda self: None)


def test_repolled_idle_timeouts_give_the_loops_run(monkeypatch, repolls):
    scenario = small_claim_run()
    fast = traces(scenario, range(1, 21))
    assert repolls["repolled"] > 200  # most of the drain's polls
    loop_only(monkeypatch)
    assert traces(scenario, range(1, 21)) == fast


@pytest.mark.parametrize(
    "name, strategy",
    [
        ("async-processing-completed-commit", None),  # the worker's progress wakes nothing
        ("cooperative-window-redelivery", None),
        ("librdkafka-auto-crash", None),  # auto commit on a background timer
        ("coordinator-failover", None),  # the group becomes drained without a wake
        ("gc-pause", None),
        ("zombie-poll-timeout", "async-then-sync"),  # commits after every poll: never idle
        ("static-restart", "auto"),  # auto commit inside poll(): never idle
    ],
)
def test_repolled_idle_timeouts_give_the_loops_run_across_clients_and_faults(
    monkeypatch, name, strategy
):
    scenario = load_scenario(name)
    fast = traces(scenario, (1, 2), strategy)
    loop_only(monkeypatch)
    assert traces(scenario, (1, 2), strategy) == fast


class EverySecondWhenIdle(SyncPerBatch):
    """A strategy of a user's own that acts on the clock: while idle, a commitSync a second."""

    name = "every-second-when-idle"
    idle_repeatable = False  # what a strategy of one's own inherits from Strategy

    def __init__(self):
        self.last_us = 0

    def after_batch(self, consumer, batch):
        if batch.records or consumer.now - self.last_us < 1_000_000:
            return super().after_batch(consumer, batch)
        self.last_us = consumer.now
        return [CommitSync()]


def test_a_clock_driven_strategy_is_asked_at_every_idle_timeout():
    """A strategy that does not vouch for its idle answer is asked at each poll timeout: three
    consumers that finish their records early and idle for most of a 20 s window commit about
    once a second each. Had the driver repolled them (the strategy wrongly vouching), each would
    commit on its first idle poll only."""
    scenario = parse_scenario(
        {"name": "idle", "run": {"duration_ms": 20_000}, "topic": {"initial_records": 200}},
        "<idle>",
    )
    honest = run(scenario, seed=1, strategy=EverySecondWhenIdle).report.metrics.commits
    vouching = type("Vouching", (EverySecondWhenIdle,), {"idle_repeatable": True})
    wrong = run(scenario, seed=1, strategy=vouching).report.metrics.commits
    assert honest >= wrong + 30


def test_a_lone_idle_consumers_polls_are_repolled_in_bulk(monkeypatch, repolls):
    """Nothing can change before the next queued event, so the idle clock does every poll due
    before it when it fires: one consumer idle through a 20 s window at a 100 ms poll timeout
    repolls about 200 times on a few ticks of the clock, with the loop's own run."""
    from sim.engine.idle_polls import IdlePolls

    ticks = {"n": 0}
    tick = IdlePolls._idle_tick

    def counting(self, term):
        ticks["n"] += 1
        return tick(self, term)

    monkeypatch.setattr(IdlePolls, "_idle_tick", counting)
    scenario = parse_scenario(
        {
            "name": "lone",
            "run": {"duration_ms": 20_000},
            "topic": {"initial_records": 10},
            "group": {"consumers": 1},
        },
        "<lone>",
    )
    fast = traces(scenario, (1,))
    assert repolls["repolled"] > 150
    assert ticks["n"] < repolls["repolled"] / 10
    loop_only(monkeypatch)
    assert traces(scenario, (1,)) == fast
