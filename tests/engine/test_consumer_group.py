"""The engine driving a consumer group (group.protocol = "consumer"): every strategy runs with
the ledger's cross-checks clean, heartbeats carry the assignment, and the coordinator's session
and rebalance timeouts act on the members the engine runs."""

import pytest

from sim import load_scenario, run
from sim.strategies import STRATEGY_NAMES

CLIENTS = ("java", "librdkafka")  # the clients the engine drives in a consumer group
# transactions commit offsets with TxnOffsetCommit, modelled at the classic coordinator only
GROUP_STRATEGIES = [name for name in STRATEGY_NAMES if name != "transactional"]

SCALE_OUT = {
    "name": "scale-out",
    "run": {"duration_ms": 20_000},
    "topic": {"partitions": 6, "initial_records": 600, "produce_rate_per_s": 200},
    "group": {"consumers": 2, "protocol": "consumer"},
    "faults": [{"kind": "join", "at_ms": 8_000}],
}


def crash(client: str):
    return load_scenario("crash-mid-batch").replace(
        group={"protocol": "consumer"}, consumer={"client": client}
    )


def scale_out(client: str):
    return load_scenario("crash-mid-batch").replace(**SCALE_OUT, consumer={"client": client})


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("strategy", GROUP_STRATEGIES)
@pytest.mark.parametrize("make", [crash, scale_out], ids=["crash", "scale-out"])
def test_every_strategy_runs_in_a_consumer_group_with_clean_cross_checks(make, strategy, client):
    """Each strategy x client under the new protocol, on a crash and a scale-out: the ledger's
    cross-checks hold and the drain ends."""
    result = run(make(client), strategy=strategy)
    assert result.ok, result.report.failures
    assert result.report.metrics.quiesced


def test_the_transactional_strategy_runs_in_a_consumer_group_with_java_only():
    """A TxnOffsetCommit to a consumer group is modelled for the Java client
    (ConsumerGroup.validateOffsetCommit with isTransactional): a crash leaves every record one
    effect for a read_committed reader; librdkafka's consumer group member is refused instead
    of running a model that does not exist."""
    committed = crash("java").replace(
        strategy={"name": "transactional"}, transactions={"isolation": "read_committed"}
    )
    result = run(committed)
    assert result.ok, result.report.failures
    summary = result.summary()
    assert summary["lost_effects"] == summary["duplicate_effects"] == 0
    with pytest.raises(ValueError, match="with the Java client only"):
        run(crash("librdkafka"), strategy="transactional")


def test_a_joining_member_gets_its_partitions_at_its_next_heartbeat_after_their_release():
    """The first member gets every partition in its first response; a member joining after it
    waits in UNRELEASED_PARTITIONS until the owner revokes, and learns of the release at its next
    heartbeat, one interval (5 s) after its join."""
    result = run(scale_out("java"))
    tenures = result.ledger.tenures
    first = [t for t in tenures if t.start_us < 1_000_000]
    assert len({t.instance for t in first}) == 1 and len(first) == 6
    second = [t for t in tenures if t.instance != first[0].instance and t.start_us < 8_000_000]
    assert second and all(5_000_000 <= t.start_us < 6_000_000 for t in second)
    moved = {t.partition for t in second}
    released = [t.end_us for t in first if t.partition in moved]
    assert all(end <= min(t.start_us for t in second) for end in released)


def test_no_partition_is_owned_twice_and_kept_partitions_keep_their_tenure_on_a_join():
    """Partitions move one at a time, revoked before they are assigned; the partitions a member
    keeps are never revoked (no stop-the-world)."""
    result = run(scale_out("java"))
    joined = [t for t in result.ledger.tenures if t.start_us >= 8_000_000]
    revoked = [t for t in result.ledger.tenures if 8_000_000 <= (t.end_us or 0) < 20_000_000]
    assert joined and len(revoked) == len(joined)
    assert all(t.ended_by == "revoked" for t in revoked)
    assert result.summary()["concurrent_duplicates"] == 0
    assert result.summary()["group_stall_ms"] == 0


def test_a_crashed_members_partitions_move_one_broker_session_after_its_last_heartbeat():
    """The session is the broker's group.consumer.session.timeout.ms: a shorter one (set within
    its bounds) moves the crashed member's partitions sooner."""
    s = crash("java").replace(
        broker={
            "group_consumer_min_session_timeout_ms": 10_000,
            "group_consumer_session_timeout_ms": 10_000,
        },
        faults=[{"kind": "crash", "consumer": 0, "at_ms": 20_000}],
    )
    ledger = run(s).ledger
    crashed = {t.partition for t in ledger.tenures if t.ended_by == "crash"}
    later = [t.start_us for t in ledger.tenures if t.partition in crashed and t.start_us > 20e6]
    assert crashed and 25_000_000 <= min(later) <= 31_000_000


def test_the_classic_protocols_are_untouched_by_the_consumer_group_fields():
    """The broker's group_consumer_* settings do not apply to a classic group."""
    s = load_scenario("crash-mid-batch")
    other = s.replace(broker={"group_consumer_session_timeout_ms": 60_000})
    assert run(s).summary()["trace_digest"] == run(other).summary()["trace_digest"]


def test_downtime_runs_from_a_partitions_release_or_its_owners_crash_to_its_next_assignment(
    tmp_path,
):
    """rebalance_downtime_ms in a consumer group, recomputed from the trace's own events: per
    partition, from each `revoked` (or its owner's `instance_stopped`) to the next `assigned`
    that names it, summed."""
    import json

    path = tmp_path / "run.jsonl"
    result = run(load_scenario("kip848-crash"), trace=path)
    events = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    owner: dict[int, int] = {}  # partition -> instance holding it
    released: dict[int, int] = {}  # partition -> when it lost its owner
    down = 0
    for e in events:
        kind, at = e["event"], e.get("at_us")
        if kind == "assigned":
            for p in e["partitions"]:
                if owner.get(p) != e["instance"]:
                    down += at - released.pop(p, at)
                    owner[p] = e["instance"]
        elif kind == "revoked":
            for p in e["partitions"]:
                if owner.get(p) == e["instance"]:
                    released.setdefault(p, at)
                    del owner[p]
        elif kind == "instance_stopped":
            for p, i in list(owner.items()):
                if i == e["instance"]:
                    released.setdefault(p, at)
                    del owner[p]
        elif kind == "finish":
            down += sum(at - t for t in released.values())
    assert down > 60 * 1_000_000  # the crashed member's two partitions waited ~45 s each
    assert result.summary()["rebalance_downtime_ms"] == pytest.approx(down / 1000, abs=1)


def test_a_librdkafka_member_given_no_partition_is_settled_in_its_join_state():
    """An empty target is no different from librdkafka's empty current assignment: the member
    stays INIT (rd_kafka_cgrp_consumer_is_new_assignment_different), in the group, and the drain
    ends."""
    s = load_scenario("crash-mid-batch").replace(
        topic={"partitions": 1, "initial_records": 100},
        group={"protocol": "consumer", "consumers": 2},
        consumer={"client": "librdkafka"},
        faults=[],
    )
    result = run(s)
    assert result.ok and result.report.metrics.quiesced
    assert sum(t.end_us is None for t in result.ledger.tenures) == 1  # one owner at the end


def test_a_stalled_librdkafka_member_is_removed_by_its_session_not_by_a_leave():
    """librdkafka with a rebalance callback, past max.poll.interval.ms: it stops heartbeating
    and sends no leave until its application polls again, so the other member gets the
    partition one broker session (2 s) after the stalled one's last heartbeat, at its next
    heartbeat; the stalled one's batch is then processed twice."""
    s = load_scenario("sim/scenarios/conformance/kip848-poll-timeout.toml")
    result = run(s, seed=s.run.seed + 2)
    tenures = result.ledger.tenures
    first = tenures[0]
    assert (first.instance, first.ended_by) == (0, "lost")
    takeover = [t for t in tenures if t.instance == 1]
    timed_out = 3_000_000  # max.poll.interval.ms after the last poll
    assert takeover and timed_out + 2_000_000 < takeover[0].start_us < timed_out + 3_000_000
    assert result.summary()["duplicated_records"] == 10
