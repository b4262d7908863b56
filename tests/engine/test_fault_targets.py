"""Faults aimed as a conformance scenario needs: the n-th OffsetCommit of a consumer, the
consumer that owns a partition, the coordinator broker down then up."""

from sim import run

from .test_simulation import scenario


def _commits_in_order(ledger):
    return sorted(ledger.commits.values(), key=lambda c: c.sent_seq)


def test_commit_error_nth_fails_exactly_that_request_and_the_next_times_minus_one():
    """nth = 3, times = 2: the group's third and fourth OffsetCommit requests (retries count)
    are answered with the error, every other one is applied."""
    fault = {"kind": "commit-error", "error": "REBALANCE_IN_PROGRESS", "nth": 3, "times": 2}
    ledger = run(scenario("sync-per-batch", [fault], group={"consumers": 1})).ledger
    outcomes = [c.outcome for c in _commits_in_order(ledger)]
    assert outcomes[:5] == ["ok", "ok", "REBALANCE_IN_PROGRESS", "REBALANCE_IN_PROGRESS", "ok"]
    assert outcomes.count("REBALANCE_IN_PROGRESS") == 2


def test_commit_error_nth_counts_only_the_named_consumers_requests():
    """With consumer = 1, consumer 0's commits do not advance the count: consumer 1's first
    request fails and no request of consumer 0 does."""
    fault = {"kind": "commit-error", "error": "REBALANCE_IN_PROGRESS", "nth": 1, "consumer": 1}
    ledger = run(scenario("sync-per-batch", [fault])).ledger
    failed = [c for c in ledger.commits.values() if c.outcome == "REBALANCE_IN_PROGRESS"]
    assert len(failed) == 1
    slot_of = {n: i.slot for n, i in ledger.instances.items()}
    first_of_1 = min(
        (c for c in ledger.commits.values() if slot_of[c.instance] == 1), key=lambda c: c.sent_seq
    )
    assert failed == [first_of_1]


def test_a_crash_aimed_at_a_partitions_owner_kills_the_consumer_holding_it():
    """owner_of = 1 at a loop point: of two consumers (range: consumer-0 gets partition 0,
    consumer-1 partition 1), the one holding partition 1 crashes, the other lives on."""
    fault = {"kind": "crash", "owner_of": 1, "at": "after-process", "batch": 2}
    ledger = run(scenario("sync-per-batch", [fault])).ledger
    owner = [i for i, t in ledger.generations[0][2].items() if 1 in t]
    crashes = [f for f in ledger.faults if f.kind == "crash"]
    assert len(crashes) == 1
    assert crashes[0].instance == owner[0]
    assert [n for n, s in ledger.stops.items() if s.how == "crash"] == owner


def test_a_timed_crash_aimed_at_an_owner_resolves_the_owner_when_it_fires():
    """owner_of with at_ms: after consumer 0 crashed and consumer 1 took every partition,
    a crash of partition 0's owner hits consumer 1."""
    faults = [
        {"kind": "crash", "consumer": 0, "at_ms": 3_000},
        {"kind": "crash", "owner_of": 0, "at_ms": 15_000},
    ]
    ledger = run(scenario("sync-per-batch", faults)).ledger
    crashed = [ledger.instances[f.instance].slot for f in ledger.faults if f.kind == "crash"]
    assert crashed == [0, 1]


def test_a_coordinator_outage_refuses_commits_until_the_broker_is_back():
    """From at_ms for duration_ms no commit is applied; commitSync retries through it and no
    record is lost."""
    fault = {"kind": "coordinator-outage", "at_ms": 6_000, "duration_ms": 3_000}
    result = run(scenario("sync-per-batch", [fault]))
    applied = [c.applied_us for c in result.ledger.commits.values() if c.applied_us]
    assert not any(6_010_000 < at < 9_000_000 for at in applied)
    assert any(at >= 9_000_000 for at in applied)
    assert result.ok and result.summary()["lost"] == 0
