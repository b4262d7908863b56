"""Stalls, pauses and network cuts through the simpy driver: what the heartbeat thread, the
poll timer and the coordinator make of them (docs/semantics.md §9)."""

import pytest

from sim import run
from sim.scenario import parse_scenario

S = 1_000_000
FAULT_AT = 8_000


def scenario(fault=None, duration_ms=0, **group):
    """Two consumers on four partitions with a backlog: full 500-record batches of about 1 s."""
    data = {
        "name": "liveness-test",
        "run": {"duration_ms": 40_000},
        "topic": {"partitions": 4, "initial_records": 20_000},
        "broker": {"request_timeout_ms": 5_000},
        "group": {
            "consumers": 2,
            "session_timeout_ms": 10_000,
            "heartbeat_interval_ms": 1_000,
            "max_poll_interval_ms": 10_000,
            **group,
        },
        "consumer": {"max_poll_records": 500},
        "strategy": {"name": "sync-per-batch"},
        "faults": [],
    }
    if fault is not None:
        data["faults"] = [
            {"kind": fault, "consumer": 0, "at_ms": FAULT_AT, "duration_ms": duration_ms}
        ]
    return parse_scenario(data, "<liveness-test>")


def kinds(ledger) -> list[str]:
    return [f.kind for f in ledger.faults]


def rebalances_after(ledger, at_us: int) -> list[int]:
    return [t for t, _ in ledger.rebalances if t > at_us]


def lost_tenures(ledger, instance: int = 0):
    return [t for t in ledger.tenures if t.instance == instance and t.ended_by == "lost"]


def test_a_short_stall_delays_the_record_in_progress_and_nothing_else():
    """A 2 s stall mid-batch: the record in progress and every later record of the batch
    finish 2 s later; the heartbeat thread keeps the member in the group."""
    base = run(scenario()).ledger
    result = run(scenario("stall", 2_000))
    stalled = result.ledger
    at = FAULT_AT * 1_000
    (hit,) = [s for s in base.segments if s.instance == 0 and s.first_us < at < s.last_us]
    (same,) = [
        s
        for s in stalled.segments
        if (s.instance, s.partition, s.start, s.end) == (0, hit.partition, hit.start, hit.end)
    ]
    assert same.first_us == hit.first_us and same.last_us == hit.last_us + 2 * S
    assert kinds(stalled) == ["stall"] and not rebalances_after(stalled, at)
    summary = result.summary()
    assert summary["lost"] == 0 and summary["duplicated_records"] == 0


def test_a_stall_longer_than_the_poll_interval_makes_a_zombie():
    """The poll timer runs out 10 s after the last poll: the heartbeat thread sends LeaveGroup,
    the group rebalances at once, the new owner re-processes the batch while the stalled
    member finishes it; its commit fails in the client and it loses its partitions. (At seed 2
    the new owner's fetch order, drawn with the topic name's hash, starts at the stalled batch's
    partition, so the two process it at once.)"""
    result = run(scenario("stall", 15_000), seed=2)
    ledger = result.ledger
    (timeout,) = [f for f in ledger.faults if f.kind == "poll-timeout"]
    assert FAULT_AT * 1_000 < timeout.at_us < (FAULT_AT + 10_000) * 1_000
    assert rebalances_after(ledger, timeout.at_us)[0] - timeout.at_us < 10_000  # a leave: at once
    (zombie_end,) = {t.end_us for t in lost_tenures(ledger)}
    assert zombie_end > (FAULT_AT + 15_000) * 1_000  # it held on until its next poll
    summary = result.summary()
    assert summary["concurrent_duplicates"] > 0 and summary["lost"] == 0
    assert not [c for c in ledger.commits.values() if c.instance == 0 and c.generation == -1]


@pytest.mark.parametrize("client", ["java", "librdkafka"])
def test_a_static_zombie_is_expired_one_session_after_its_heartbeats_stop(client):
    """A static member sends no LeaveGroup at its poll timeout, but its heartbeats stop (Java's
    thread disables itself once UNJOINED; librdkafka skips them while MAX_POLL_EXCEEDED): the
    coordinator removes it one session after its last heartbeat (not at once, not never), the
    group rebalances, and the new owner re-processes while the stalled member still holds its
    batch: concurrent duplicates, nothing lost. A 30 s stall outlasts poll interval plus
    session, so the member is gone before it polls again, and rejoins as a new member."""
    s = scenario("stall", 30_000, static_membership=True).replace(consumer={"client": client})
    result = run(s)
    ledger = result.ledger
    (timeout,) = [f for f in ledger.faults if f.kind == "poll-timeout"]
    after = rebalances_after(ledger, timeout.at_us)
    assert len(after) == 2  # its expiry, then its rejoin
    first, second = after
    session_us = 10 * S
    assert session_us - S <= first - timeout.at_us <= session_us + S  # its last tick + session
    assert second > (FAULT_AT + 30_000) * 1_000  # its rejoin after the stall
    summary = result.summary()
    assert summary["concurrent_duplicates"] > 0 and summary["lost"] == 0


def test_a_static_zombie_that_polls_within_the_session_takes_its_place_back():
    """A stall just past the poll interval: the member polls again before its session ends and
    rejoins with its instance id, taking its old place with no rebalance (KIP-345)."""
    result = run(scenario("stall", 12_000, static_membership=True))
    ledger = result.ledger
    assert [f.kind for f in ledger.faults] == ["stall", "poll-timeout"]
    assert not rebalances_after(ledger, FAULT_AT * 1_000)
    assert result.summary()["concurrent_duplicates"] == 0


def test_the_zombie_witness_tells_the_stall_and_the_poll_timeout():
    """A concurrent duplicate's witness names why the old owner was a zombie: its loop
    stalled, then its poll interval ran out and its heartbeat thread left the group."""
    report = run(scenario("stall", 15_000), seed=2).report  # concurrent at seed 2 (above)
    group = report.anomalies["concurrent-duplicate"].groups[0]
    story = [w for w in group.witness if w.event == "liveness"]
    assert [w.words for w in story] == [
        "consumer-0-0's poll loop stalled for 15000 ms",
        "consumer-0-0's max.poll.interval.ms ran out: its heartbeat thread left the group",
    ]
    assert group.witness[-1].event == "zombie"


def test_a_short_pause_is_invisible():
    """A 2 s stop-the-world pause under a 10 s session: no rebalance, no duplicate."""
    result = run(scenario("pause", 2_000))
    assert not rebalances_after(result.ledger, FAULT_AT * 1_000)
    summary = result.summary()
    assert summary["lost"] == 0 and summary["duplicated_records"] == 0


def test_a_pause_longer_than_the_session_is_told_by_its_first_heartbeat():
    """The heartbeat thread froze with the process: the coordinator removes the member one
    session after its last heartbeat. On resume (poll interval not run out) it goes on with its
    batch until its first heartbeat comes back UNKNOWN_MEMBER_ID. (At seed 2 the new owner
    fetches the paused batch's partition first: the duplicates are concurrent.)"""
    result = run(scenario("pause", 15_000, max_poll_interval_ms=30_000), seed=2)
    ledger = result.ledger
    assert "poll-timeout" not in kinds(ledger)
    first = rebalances_after(ledger, FAULT_AT * 1_000)[0]
    assert (FAULT_AT + 9_000) * 1_000 <= first <= (FAULT_AT + 10_000) * 1_000  # session expiry
    resume = (FAULT_AT + 15_000) * 1_000
    (end,) = {t.end_us for t in lost_tenures(ledger)}
    assert end >= resume
    summary = result.summary()
    assert summary["concurrent_duplicates"] > 0 and summary["lost"] == 0


def test_a_pause_longer_than_the_poll_interval_leaves_on_resume():
    """On resume the heartbeat thread finds the poll timer expired and leaves at once."""
    ledger = run(scenario("pause", 15_000, session_timeout_ms=20_000)).ledger
    (timeout,) = [f for f in ledger.faults if f.kind == "poll-timeout"]
    assert timeout.at_us == (FAULT_AT + 15_000) * 1_000


def test_a_short_network_cut_only_delays_the_requests():
    """A 3 s cut, under request.timeout.ms (5 s): TCP delivers the commit once the link is
    back; nothing fails and nothing is visible."""
    result = run(scenario("network-cut", 3_000))
    ledger = result.ledger
    heal = (FAULT_AT + 3_000) * 1_000
    delayed = [c for c in ledger.commits.values() if c.sent_us < heal <= (c.applied_us or 0)]
    assert delayed and all(c.outcome == "ok" for c in ledger.commits.values())
    summary = result.summary()
    assert summary["lost"] == 0 and summary["duplicated_records"] == 0


def test_a_cut_past_the_request_timeout_leaves_the_commit_unknown_and_retries_it():
    """An 8 s cut: the commit sent into it outlives request.timeout.ms (5 s); the connection
    fails, the outcome is UNKNOWN (it was never applied), and commitSync retries it after the
    heal. The session (10 s) survives: no rebalance, no duplicate."""
    result = run(scenario("network-cut", 8_000))
    ledger = result.ledger
    unknown = [c for c in ledger.commits.values() if c.outcome == "UNKNOWN"]
    assert unknown and all(c.applied_us is None for c in unknown)
    assert all(c.completed_us - c.sent_us == 5 * S for c in unknown)
    assert not rebalances_after(ledger, FAULT_AT * 1_000)
    summary = result.summary()
    assert summary["lost"] == 0 and summary["duplicated_records"] == 0


def test_a_network_cut_longer_than_the_session_moves_the_partitions():
    """A 20 s cut: no commit of the cut member arrives; its session expires; after the heal its
    first heartbeat says UNKNOWN_MEMBER_ID and it loses its partitions."""
    result = run(scenario("network-cut", 20_000, max_poll_interval_ms=30_000))
    ledger = result.ledger
    start, heal = FAULT_AT * 1_000, (FAULT_AT + 20_000) * 1_000
    assert not [
        c for c in ledger.commits.values() if c.instance == 0 and start < (c.applied_us or 0) < heal
    ]
    assert rebalances_after(ledger, start)[0] < heal
    (end,) = {t.end_us for t in lost_tenures(ledger)}
    assert end >= heal
    summary = result.summary()
    assert summary["duplicated_records"] > 0 and summary["lost"] == 0


def test_liveness_faults_replay_to_the_same_digest():
    s = scenario("pause", 12_000)
    assert run(s).summary()["trace_digest"] == run(s).summary()["trace_digest"]


def test_an_illegal_generation_stops_the_heartbeat_thread_until_the_rejoin():
    """An async commit answered ILLEGAL_GENERATION resets the generation but keeps the member id;
    the Java heartbeat thread then disables itself (HeartbeatThread.run: the member is UNJOINED)
    until the next JoinGroup succeeds. A stall in the batch being processed keeps the
    application from polling for longer than the session (but not the poll interval): the
    coordinator hears no heartbeat, expires the member and rebalances during the stall."""
    base = scenario("stall", 20_000, max_poll_interval_ms=60_000).with_strategy("async-per-batch")
    before = [c for c in run(base).ledger.commits.values() if c.instance == 0]
    nth = sum(c.sent_us < FAULT_AT * 1_000 for c in before)  # the last commit before the stall
    error = {"kind": "commit-error", "error": "ILLEGAL_GENERATION", "consumer": 0, "nth": nth}
    ledger = run(base.with_faults([*base.model_dump(exclude_none=True)["faults"], error])).ledger
    stall_end = (FAULT_AT + 20_000) * 1_000
    during = [t for t in rebalances_after(ledger, FAULT_AT * 1_000) if t < stall_end]
    assert during, "the member's session should expire while it stalls"
    assert during[0] < (FAULT_AT + 10_000 + 1_000) * 1_000  # a session after its last heartbeat
