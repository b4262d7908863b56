"""Cooperative rebalancing and static membership over many seeds (issue 3, items 3 and 4)."""

from sim import load_scenario, run

SEEDS = range(1, 21)


def scenario(name):
    return load_scenario(name)


def summaries(s, strategy=None, seeds=SEEDS):
    results = [run(s, seed=seed, strategy=strategy) for seed in seeds]
    assert all(r.ok and r.summary()["quiesced"] for r in results)
    return [r.summary() for r in results]


def test_a_cooperative_rebalance_redelivers_the_window_unless_revoke_commits():
    """Records polled between the join-start auto commit and the revocation (commits refused
    meanwhile) are processed again by the new owner; committing the processed offsets in
    onPartitionsRevoked closes the window. Never a loss either way."""
    s = scenario("cooperative-window-redelivery")
    auto = summaries(s, "auto")
    assert sum(r["duplicated_records"] > 0 for r in auto) >= len(SEEDS) // 2
    assert all(r["lost"] == 0 for r in auto)
    fixed = summaries(s, "async-then-sync-processed", SEEDS[:10])
    assert all(r["duplicated_records"] == 0 and r["lost"] == 0 for r in fixed)


def test_a_cooperative_rebalance_revokes_only_the_moved_partitions():
    """Two of six partitions move to the newcomer: only their tenures end by revocation (the
    survivors keep the rest, positions and all), where eager revokes all six."""
    s = scenario("cooperative-window-redelivery")
    eager = s.replace(group={"protocol": "eager", "assignor": "range"})
    for seed in SEEDS[:5]:
        cooperative = run(s, seed=seed, strategy="sync-per-batch").ledger.tenures
        stop_the_world = run(eager, seed=seed, strategy="sync-per-batch").ledger.tenures
        assert sum(t.ended_by == "revoked" for t in cooperative) == 2
        assert sum(t.ended_by == "revoked" for t in stop_the_world) == 6


def test_a_static_restart_within_the_session_causes_no_new_generation():
    """The crash time varies with the seed; the restart 5 s later (inside the 10 s session)
    rejoins with the same instance id and gets its partitions back in the same generation: no
    rebalance at all. The same crash with dynamic membership rebalances."""
    s = scenario("static-restart").replace(
        run={"duration_ms": 30_000},
        topic={"produce_rate_per_s": 100},
        group={"session_timeout_ms": 10_000},
    )
    for seed in SEEDS:
        crash = {"kind": "crash", "consumer": seed % 3, "at_ms": 8_000 + 800 * seed}
        faulted = s.with_faults([{**crash, "restart_after_ms": 5_000}])
        static = run(faulted, seed=seed)
        assert static.ok and static.summary()["quiesced"]
        assert static.summary()["rebalances"] == 0
        assert [g for _, g, _ in static.ledger.generations] == [1]
        if seed <= 5:
            dynamic = run(faulted.replace(group={"static_membership": False}), seed=seed)
            assert dynamic.summary()["rebalances"] > 0


def test_static_membership_turns_the_ghost_stall_into_a_restart_wait():
    """The ghost-member-stall crash with static membership: only the crashed consumer's two
    partitions wait, for the 5 s restart; nothing rebalances. A restart later than the session
    costs two rebalances (expiry, then the rejoin)."""
    static = run(scenario("static-restart")).summary()
    assert static["rebalances"] == 0
    assert 2 * 4_000 < static["rebalance_downtime_ms"] < 2 * 6_000
    late = run(scenario("static-restart-after-session")).summary()
    assert late["rebalances"] == 2 and late["lost"] == 0
