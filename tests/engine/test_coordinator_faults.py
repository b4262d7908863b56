"""The driver delivering coordinator failovers, rolling restarts and offsets retention."""

from sim import run

from .test_simulation import scenario

FAILOVER = {"kind": "coordinator-failover", "at_ms": 8_000, "unavailable_ms": 2_000,
            "loading_ms": 3_000}  # fmt: skip


def test_requests_in_the_failover_windows_get_the_coordinator_errors():
    """NOT_COORDINATOR while no broker serves the group (a heartbeat's answer marks the
    coordinator unknown, and commits wait for the lookup, which fails until a broker loads the
    group), then COORDINATOR_LOAD_IN_PROGRESS; commitSync retries through both and nothing is
    lost."""
    result = run(scenario("sync-per-batch", [FAILOVER]))
    commits = result.ledger.commits.values()
    by_error = {}
    for c in commits:
        by_error.setdefault(c.outcome, []).append(c)
    assert all(c.sent_us < 10_010_000 for c in by_error.get("NOT_COORDINATOR", ()))
    loading = by_error["COORDINATOR_LOAD_IN_PROGRESS"]
    assert loading and all(9_990_000 <= c.sent_us < 13_010_000 for c in loading)
    assert not any(8_010_000 < c.applied_us < 13_000_000 for c in commits if c.applied_us)
    assert result.summary()["lost"] == 0


def test_a_failover_removes_nobody_and_starts_no_rebalance():
    """Heartbeats fail during the windows, but the new coordinator resets every deadline: the
    stable group stays as it was."""
    result = run(scenario("sync-per-batch", [FAILOVER]))
    assert len(result.ledger.generations) == 1
    assert result.summary()["rebalances"] == 0


def test_a_join_lost_in_a_failover_is_retried_and_completes():
    """The joiner's parked JoinGroup gets NOT_COORDINATOR; it retries after the backoff and the
    group ends with three members."""
    faults = [{"kind": "join", "at_ms": 7_900}, FAILOVER]
    ledger = run(scenario(faults=faults, topic={"partitions": 3})).ledger
    at_us, _, assignment = ledger.generations[-1]
    assert at_us > 13_000_000 and sorted(assignment.values()) == [(0,), (1,), (2,)]
    assert not [s for s in ledger.stops.values() if s.how != "close"]


def test_a_failover_during_a_failover_moves_the_group_again():
    """The second failover voids the first one's remaining phases: the group is served only
    once the second one has loaded, and a join parked meanwhile still completes."""
    first = {**FAILOVER, "at_ms": 6_000, "unavailable_ms": 4_000, "loading_ms": 6_000}
    second = {**FAILOVER, "at_ms": 7_000, "unavailable_ms": 500, "loading_ms": 9_000}
    faults = [first, {"kind": "join", "at_ms": 6_500}, second]
    result = run(scenario("sync-per-batch", faults, topic={"partitions": 3}))
    applied = [c.applied_us for c in result.ledger.commits.values() if c.applied_us]
    assert not any(6_000_000 < at < 16_500_000 for at in applied)
    assert result.ok and result.summary()["lost"] == 0


def test_a_rolling_restart_closes_and_restarts_each_consumer_in_turn():
    """Each consumer is closed cleanly interval_ms after the previous one and restarted down_ms
    later: one new incarnation per consumer, and sync-per-batch loses nothing."""
    fault = {"kind": "rolling-restart", "at_ms": 6_000, "interval_ms": 4_000, "down_ms": 1_000}
    result = run(scenario("sync-per-batch", [fault]))
    ledger = result.ledger
    leaves = [(f.at_us, f.instance) for f in ledger.faults if f.kind == "leave"]
    assert leaves == [(6_000_000, 0), (10_000_000, 1)]
    for _, instance in leaves:  # closed after the batch in hand, started again down_ms later
        stop = ledger.stops[instance]
        assert stop.how == "close"
        (again,) = [
            i for i in ledger.instances.values()
            if i.slot == ledger.instances[instance].slot and i.incarnation == 1
        ]  # fmt: skip
        assert again.at_us == stop.at_us + 1_000_000
    assert result.summary()["lost"] == 0 and result.summary()["duplicated_records"] == 0


def test_an_empty_groups_offsets_expire_and_the_reset_policy_applies_again():
    """Both consumers leave; the retention passes; on restart earliest re-reads the log."""
    faults = [
        {"kind": "leave", "consumer": c, "at_ms": 9_000, "restart_after_ms": 9_000} for c in (0, 1)
    ]
    broker = {"offsets_retention_ms": 5_000, "offsets_retention_check_interval_ms": 1_000}
    result = run(scenario("sync-per-batch", faults, broker=broker))
    (expired,) = [f for f in result.ledger.faults if f.kind == "offsets-expired"]
    assert 14_000_000 <= expired.at_us <= 15_000_000
    assert result.summary()["duplicated_records"] > 0  # earliest: the log is read again
    kept = run(scenario("sync-per-batch", faults))
    assert not [f for f in kept.ledger.faults if f.kind == "offsets-expired"]
    assert kept.summary()["duplicated_records"] == 0


def test_latest_resets_a_never_committed_partition_again_after_a_restart():
    """auto.offset.reset=latest and a crash before the first commit: the restarted consumer
    resets to the log end again, so what was produced while it was down is never read."""
    fault = {"kind": "crash", "consumer": 0, "at": "before-commit", "restart_after_ms": 2_000}
    s = scenario(
        "sync-per-batch",
        [fault],
        group={"consumers": 1, "auto_offset_reset": "latest", "session_timeout_ms": 6_000},
        topic={"partitions": 1, "initial_records": 0, "produce_rate_per_s": 100},
    )
    ledger = run(s).ledger
    resets = [x for x in ledger.positions if x.source == "reset"]
    assert len(resets) == 2 and resets[1].offset > resets[0].offset
    (stop,) = ledger.stops.values()
    down_s = (resets[1].at_us - stop.at_us) / 1_000_000
    unread = int((ledger.effects_per_offset(0)[: resets[1].offset] == 0).sum())
    assert down_s > 2 and unread >= 100 * down_s - 10  # 100 records/s, in 50 ms ticks


def test_a_failover_during_a_failover_voids_the_first_ones_later_phases():
    """A second failover starts while the first is still unavailable: the group is served once
    the second one has loaded, and the first one's late load does not wipe the group again
    (it used to drop parked JoinGroups unanswered, and the group never drained)."""
    first = {"kind": "coordinator-failover", "at_ms": 3_000, "unavailable_ms": 10_000,
             "loading_ms": 88}  # fmt: skip
    second = {"kind": "coordinator-failover", "at_ms": 4_864, "unavailable_ms": 404,
              "loading_ms": 3_098}  # fmt: skip
    result = run(scenario("sync-per-batch", [first, second]))
    assert result.ok and result.report.metrics.quiesced
    served_us = 4_864_000 + 404_000 + 3_098_000
    errors = ("NOT_COORDINATOR", "COORDINATOR_LOAD_IN_PROGRESS")
    late = [c for c in result.ledger.commits.values() if c.sent_us > served_us + 10_000]
    assert late and not [c for c in late if c.outcome in errors]
