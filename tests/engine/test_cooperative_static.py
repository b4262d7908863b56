"""The driver under cooperative rebalancing and static membership."""

from sim import load_scenario, run


def test_a_member_syncing_after_the_follow_up_started_still_rejoins():
    """The follow-up rebalance starts within milliseconds of the join completing, while another
    member's SyncGroup response is still on its way: that member hears of it at its first
    stable heartbeat. Without that, the group waited for the 300 s rebalance timeout (seeds 1
    and 4 of this idle, fast group did)."""
    s = load_scenario("cooperative-window-redelivery").replace(
        topic={"initial_records": 3_000, "produce_rate_per_s": 2_000},
        consumer={"max_poll_records": 500, "processing_ms": {"dist": "constant", "mean": 0.5}},
    )
    for seed in (1, 4):
        out = run(s, seed=seed, strategy="async-per-batch").summary()
        assert out["quiesced"] and out["sim_time_ms"] < 45_000
        assert out["rebalance_downtime_ms"] < 2 * 10_000


def test_static_members_answer_to_their_instance_id_across_restarts():
    """Every incarnation of slot k joins as instance-k; a restart inside the session takes over
    its predecessor's partitions in the same generation."""
    s = load_scenario("static-restart")
    result = run(s)
    tenures = [t for t in result.ledger.tenures if t.partition == 2]
    assert [(t.instance, t.generation) for t in tenures] == [(1, 1), (3, 1)]
    assert tenures[0].ended_by == "crash"
