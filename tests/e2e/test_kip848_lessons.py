"""The KIP-848 lessons (sim/scenarios/kip848-*.toml): what the consumer group protocol keeps,
removes and changes, each checked on its shipped scenario against the classic protocols."""

import pytest

from sim import load_scenario, run

CLASSIC = {"eager": "range", "cooperative": "cooperative-sticky"}


def under(name: str, protocol: str):
    s = load_scenario(name)
    if protocol == "consumer":
        return s
    return s.replace(group={"protocol": protocol, "assignor": CLASSIC[protocol]})


def summary(name: str, protocol: str = "consumer", strategy=None) -> dict:
    return run(under(name, protocol), strategy=strategy).summary()


def test_a_join_does_not_stop_the_world_while_a_member_is_slow():
    """Removed: the eager barrier. The joiner takes a partition from a healthy member; the
    stalled member keeps its partitions and nobody waits for it."""
    result = run(load_scenario("kip848-slow-member-join"))
    eager = summary("kip848-slow-member-join", "eager")
    ledger = result.ledger
    revoked_after_join = [
        t for t in ledger.tenures if t.end_us is not None and 21_000_000 <= t.end_us < 40_000_000
    ]
    assert [t.instance for t in revoked_after_join] not in ([], [0])
    assert all(t.instance != 0 and t.ended_by == "revoked" for t in revoked_after_join)
    assert result.summary()["rebalance_downtime_ms"] * 3 < eager["rebalance_downtime_ms"]
    assert result.ok and result.summary()["lost"] == 0


def test_a_crashed_member_no_longer_stalls_the_group_but_its_partitions_wait_for_the_session():
    """Removed: the ghost's group-wide stall (eager: 38 s). Kept: its partitions wait for its
    session, the broker's 45 s from its last heartbeat."""
    result = run(load_scenario("kip848-crash"))
    out = result.summary()
    assert (
        out["group_stall_ms"] == 0 and summary("kip848-crash", "eager")["group_stall_ms"] > 30_000
    )
    crashed = {t.partition for t in result.ledger.tenures if t.ended_by == "crash"}
    later = [
        t.start_us
        for t in result.ledger.tenures
        if t.partition in crashed and t.start_us > 20_000_000
    ]
    assert crashed and min(later) >= 20_000_000 + 40_000_000
    assert out["lost"] == 0


def test_the_java_reconciliation_commits_before_revoking_closing_the_cooperative_window():
    """Removed for auto-commit users: the cooperative window's re-delivery (KAFKA-18641)."""
    assert summary("kip848-auto-commit-on-revoke", "cooperative")["duplicated_records"] > 0
    out = summary("kip848-auto-commit-on-revoke")
    assert out["duplicated_records"] == 0 and out["lost"] == 0


@pytest.mark.parametrize("protocol", ["consumer", "eager", "cooperative"])
def test_commit_placement_decides_loss_under_every_protocol(protocol):
    """Kept: the broker checks no ownership; the next owner starts from the last commit."""
    assert summary("kip848-commit-before-process-crash", protocol)["lost"] == 200
    out = summary("kip848-commit-before-process-crash", protocol, "sync-per-batch")
    assert out["lost"] == 0 and out["duplicated_records"] == 300


def test_a_poll_timeout_zombie_is_fenced_out_but_still_processes_twice():
    """Changed for zombies: the member leaves at once; its later commit carries no member id
    and gets UNKNOWN_MEMBER_ID; the concurrent duplicates stay."""
    result = run(load_scenario("kip848-zombie-poll-timeout"))
    failed = [(c.instance, c.outcome) for c in result.ledger.commits.values() if c.outcome != "ok"]
    assert failed == [(0, "UNKNOWN_MEMBER_ID")]
    assert result.summary()["concurrent_duplicates"] > 0 and result.summary()["lost"] == 0


def test_a_librdkafka_poll_timeout_zombie_keeps_its_partitions_until_its_session_ends():
    """Changed for zombies, differently per client: librdkafka stops heartbeating without a
    leave, so a stall shorter than the interval plus the session moves nothing: its commit is
    accepted, its poll loses and gets back the same partitions, nothing is processed twice,
    where the Java client's leave gives the same stall 500 concurrent duplicates."""
    s = load_scenario("kip848-librdkafka-zombie")
    result = run(s)
    tenures = result.ledger.tenures
    assert {t.instance for t in tenures if t.start_us > 5_000_000} == {0}  # nobody else took them
    lost = [t for t in tenures if t.ended_by == "lost"]
    assert lost and all(23_000_000 <= t.end_us < 24_000_000 for t in lost)
    assert all(c.outcome == "ok" for c in result.ledger.commits.values())
    assert result.summary()["duplicated_records"] == 0
    java = run(s.replace(consumer={"client": "java"})).summary()
    assert java["concurrent_duplicates"] == 500


def test_a_crashed_static_member_restarting_inside_its_session_is_refused():
    """Changed for static members: UNRELEASED_INSTANCE_ID, fatal; the partitions wait for the
    old member's session, where the classic protocol handed them back at once."""
    result = run(load_scenario("kip848-static-crash-restart"))
    restarted = [
        i for i, info in result.ledger.instances.items() if info.slot == 1 and info.incarnation == 1
    ]
    (number,) = restarted
    assert result.ledger.stops[number].how == "error"
    assert not any(t.instance == number for t in result.ledger.tenures)
    crashed = {0, 1}
    back = min(
        t.start_us for t in result.ledger.tenures if t.partition in crashed and t.start_us > 20e6
    )
    assert back >= 60_000_000
    classic = summary("kip848-static-crash-restart", "eager")
    assert classic["rebalance_downtime_ms"] * 5 < result.summary()["rebalance_downtime_ms"]


def test_another_members_join_fences_only_a_commit_that_races_its_heartbeat():
    """Changed: STALE_MEMBER_EPOCH fails a commit of each healthy member whose commit races its
    heartbeat after a join (two at the join, one while the group forms); the members stay in the
    group and their next commits cover them."""
    result = run(load_scenario("kip848-stale-epoch-commit"))
    failed = [c for c in result.ledger.commits.values() if c.outcome != "ok"]
    assert {c.outcome for c in failed} == {"STALE_MEMBER_EPOCH"}
    at_join = [c for c in failed if c.sent_us >= 15_000_000]
    assert sorted(c.instance for c in at_join) == [0, 1]  # not the joiner (3)
    assert not any(t.ended_by == "lost" for t in result.ledger.tenures)
    out = result.summary()
    assert out["lost"] == 0 and out["duplicated_records"] == 0
