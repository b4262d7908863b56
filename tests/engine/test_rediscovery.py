"""Coordinator rediscovery, driven by the engine (docs/model.md, "Coordinator rediscovery"):
NOT_COORDINATOR marks the coordinator unknown and it is looked up again (FindCoordinator),
heartbeats stop meanwhile, and the coordinator's session for the member runs on."""

import io
import json

from sim import run
from sim.scenario import parse_scenario

# Three NOT_COORDINATOR answers to one sync commit; a 2 s session (a broker minimum of 1 s lets
# the member ask for it).
BLOCKED = {
    "name": "rediscovery",
    "run": {"duration_ms": 20_000},
    "topic": {"partitions": 1, "initial_records": 400},
    "broker": {"min_session_timeout_ms": 1_000, "initial_rebalance_delay_ms": 0},
    "group": {"consumers": 1, "session_timeout_ms": 2_000, "heartbeat_interval_ms": 500},
    "consumer": {"max_poll_records": 100, "processing_ms": {"dist": "constant", "mean": 10.0}},
    "strategy": {"name": "sync-per-batch"},
    "faults": [
        {"kind": "commit-error", "error": "NOT_COORDINATOR", "from_ms": 2_900, "to_ms": 4_100}
    ],
}
# No broker serves the group for 3 s: every lookup fails, no heartbeat goes.
OUTAGE = {
    **BLOCKED,
    "faults": [
        {"kind": "coordinator-failover", "at_ms": 2_950, "unavailable_ms": 3_000, "loading_ms": 0}
    ],
}


def traced(data, client):
    s = parse_scenario({**data, "consumer": {**data["consumer"], "client": client}})
    out = io.StringIO()
    result = run(s, trace=out)
    events = [json.loads(line) for line in out.getvalue().splitlines()[1:]]
    return result, events


def the_blocked_commit(events):
    """When the first commit met NOT_COORDINATOR, and the completion that ended it."""
    completed = [e for e in events if e["event"] == "commit_completed"]
    start = next(e["at_us"] for e in completed if e["outcome"] == "NOT_COORDINATOR")
    final = next(e for e in completed if e["at_us"] > start and e["outcome"] != "NOT_COORDINATOR")
    return start, final


def test_librdkafka_rediscovery_churn_can_outlast_a_short_session():
    """librdkafka: each NOT_COORDINATOR marks the coordinator dead (rd_kafka_cgrp_coord_dead)
    and the FindCoordinator waits behind the held Fetch (a drawn share of fetch.wait.max.ms). A
    retry that came due meanwhile is failed by the connection the found coordinator's address
    closes, and the coordinator is dead again (rd_kafka_broker_set_nodename, rd_kafka_broker_
    fail); no heartbeat goes. Over seeds, with a 2 s session: the commit mostly goes through
    after the rediscoveries, but sometimes the churn outlasts the session, the member is
    expelled, the commit fails UNKNOWN_MEMBER_ID and the batch is read again (seen on the real
    client: docs/conformance.md)."""
    outcomes = set()
    for seed in range(12):
        result, events = traced({**BLOCKED, "run": {**BLOCKED["run"], "seed": seed}}, "librdkafka")
        start, final = the_blocked_commit(events)
        assert final["at_us"] - start > 300_000  # three lookups, not two backoffs
        reread = result.summary()["duplicated_records"] > 0
        assert reread == (final["outcome"] == "UNKNOWN_MEMBER_ID"), seed
        outcomes.add(final["outcome"])
    assert outcomes == {"ok", "UNKNOWN_MEMBER_ID"}


def test_java_commit_sync_retries_once_the_lookup_found_the_coordinator():
    """Java: markCoordinatorUnknown, then each retry waits for ensureCoordinatorReady (the
    heartbeat thread's lookup every retry.backoff.ms and a FindCoordinator round trip)."""
    result, events = traced(BLOCKED, "java")
    start, final = the_blocked_commit(events)
    assert final["outcome"] == "ok"
    assert final["at_us"] > 4_100_000  # until the window ends: retried after each lookup


def test_librdkafka_loses_its_assignment_when_rediscovery_outlasts_the_session():
    """No coordinator found for longer than session.timeout.ms: the commit made meanwhile is
    deferred before any request is sent (rd_kafka_cgrp_offsets_commit), no heartbeat goes, and
    librdkafka's own session check (rd_kafka_cgrp_session_timeout_check) resets the member id;
    the deferred commit goes when the coordinator is back, with the member's state then, and
    fails UNKNOWN_MEMBER_ID; the partition is lost and its records re-read from the last
    commit."""
    result, events = traced(OUTAGE, "librdkafka")
    sent = [e for e in events if e["event"] == "commit_sent" and e["at_us"] > 2_950_000]
    assert sent[0]["at_us"] >= 5_950_000 and sent[0]["generation"] == -1  # none in the outage
    final = next(
        e
        for e in events
        if e.get("request_id") == sent[0]["request_id"] and e["event"] == "commit_completed"
    )
    assert final["outcome"] == "UNKNOWN_MEMBER_ID"
    lost = [e for e in events if e["event"] == "revoked" and e["lost"]]
    assert lost and lost[0]["at_us"] >= final["at_us"]
    summary = result.summary()
    assert summary["duplicated_records"] > 0 and summary["lost"] == 0


def test_a_short_rediscovery_keeps_the_member():
    """One NOT_COORDINATOR: found again within a session, the member heartbeats again and the
    retried commit succeeds; nothing is processed twice."""
    data = {**BLOCKED, "faults": [{**BLOCKED["faults"][0], "to_ms": 3_100}]}
    for client in ("librdkafka", "java"):
        result, events = traced(data, client)
        start, final = the_blocked_commit(events)
        assert final["outcome"] == "ok", client
        assert result.summary()["duplicated_records"] == 0, client
