"""The transactional strategy driven by the engine (docs/exactly-once.md, Transactions): what the
trace shows of crashes, zombies, timeouts and failovers, and planted bugs the checker and the
claims must catch."""

import pytest

from sim import load_scenario, run
from sim.claims.catalogue import claim_by_id
from sim.claims.search import search
from sim.model.classic_coordinator.offsets import CommittedOffsets
from sim.model.coordinator_outputs import Reply
from sim.model.messages import CommitResponse
from sim.model.output_log import PartitionLog

CRASHES = load_scenario("transactional-crash-in-commit")
ZOMBIE = load_scenario("transactional-zombie-fenced")


def ended(ledger, tid):
    return [(t.epoch, t.commit) for t in ledger.txns_ended if t.transactional_id == tid]


def test_a_crash_in_commit_commits_and_a_crash_before_it_aborts():
    """EndTxn sent before the crash (in-commit): the coordinator commits the transaction and the
    restarted instance goes on after it. Results produced, nothing committed (before-commit):
    the restarted instance's InitProducerId bumps app-0's epoch and aborts it."""
    result = run(CRASHES)
    ledger = result.ledger
    assert result.ok
    assert ended(ledger, "app-1")[:2] == [(0, True), (0, True)]  # batch 2 committed in the crash
    assert (1, False) in ended(ledger, "app-0")  # aborted at the bumped epoch
    summary = result.summary()
    assert summary["duplicated_records"] == 500  # app-0's second batch, read again
    assert summary["duplicate_effects"] == summary["lost_effects"] == 0


def test_a_zombies_offsets_are_refused_by_its_group_metadata_and_its_transaction_aborts():
    """KIP-447: the stalled member's TxnOffsetCommit is refused (it left the group), it aborts,
    and its results sit behind an ABORT marker (trace: txn_refused, then txn_ended abort)."""
    result = run(ZOMBIE)
    ledger = result.ledger
    refused = [(r.instance, r.request, r.error) for r in ledger.txn_refusals]
    assert refused == [(0, "TxnOffsetCommit", "UNKNOWN_MEMBER_ID")]
    assert (0, False) in ended(ledger, "app-0")
    summary = result.summary()
    assert summary["duplicated_records"] == 500
    assert summary["duplicate_effects"] == summary["lost_effects"] == 0


def test_a_dead_producers_transaction_is_aborted_after_its_timeout():
    """transaction.timeout.ms: the crashed instance (down until the drain) leaves its
    transaction open; the coordinator's check (every 10 s) aborts it at a bumped epoch, before
    anyone re-initialises app-0."""
    s = CRASHES.replace(
        transactions={"transaction_timeout_ms": 3_000},
        faults=[{"kind": "crash", "consumer": 0, "at": "before-commit", "batch": 2}],
    )
    result = run(s)
    crash_us = next(f.at_us for f in result.ledger.faults if f.kind == "crash")
    abort = next(t for t in result.ledger.txns_ended if not t.commit)
    assert (abort.transactional_id, abort.epoch) == ("app-0", 1)
    assert crash_us + 3_000_000 < abort.at_us <= crash_us + 13_100_000
    assert result.ok and result.summary()["duplicate_effects"] == 0


def test_a_transaction_coordinator_failover_delays_but_never_splits_a_transaction():
    """txn-coordinator-failover: requests get NOT_COORDINATOR, then LOAD_IN_PROGRESS, and are
    retried; every record still has exactly one effect."""
    fault = {"kind": "txn-coordinator-failover", "at_ms": 7_000, "unavailable_ms": 3_000}
    for seed in (1, 2, 3):
        summary = run(CRASHES.with_faults([fault]), seed=seed).summary()
        assert summary["cross_checks_ok"] and summary["quiesced"]
        assert summary["duplicate_effects"] == summary["lost_effects"] == 0


def test_planted_bug_a_reader_that_counts_aborted_records_is_caught(monkeypatch):
    """Plant: read_committed does not skip aborted batches. The reader's view no longer matches
    the ledger's markers: the sink-matches-ledger cross-check fails."""
    monkeypatch.setattr(PartitionLog, "is_aborted", lambda self, batch: False)
    result = run(CRASHES)
    failed = [c for c in result.report.cross_checks if not c.passed]
    assert [c.name for c in failed] == ["sink-matches-ledger"]
    assert not result.ok


def _without_kip_447(self, now, request_id, req):
    return [Reply(request_id, CommitResponse(self.txn_offsets.add(req.producer_id, req.epoch,
                                                                  req.offsets)))]  # fmt: skip


def test_planted_bug_a_coordinator_without_the_kip_447_check_lets_a_zombie_commit(monkeypatch):
    """Plant: TxnOffsetCommit not checked against the member and generation. The zombie's
    transaction commits, a second effect for its records; the claim that a zombie is fenced is
    refuted by the search."""
    monkeypatch.setattr(CommittedOffsets, "txn_offset_commit", _without_kip_447)
    assert run(ZOMBIE).summary()["duplicate_effects"] > 0
    found, _, _ = search(claim_by_id("transactional-zombie-fenced"), "transactional", 40)
    assert found is not None


@pytest.mark.parametrize("point", ["before-commit", "in-commit", "after-commit", "mid-batch"])
def test_exactly_once_effects_with_a_crash_at_every_loop_point(point):
    """read_committed: a crash at any point of the loop leaves every record one effect."""
    fault = {"kind": "crash", "consumer": 1, "at": point, "batch": 2, "restart_after_ms": 500}
    for seed in (1, 2):
        summary = run(CRASHES.with_faults([fault]), seed=seed).summary()
        assert summary["cross_checks_ok"] and summary["quiesced"]
        assert summary["duplicate_effects"] == summary["lost_effects"] == 0


def _end_txn_times_out(client):
    """Consumer 0's first EndTxn answered REQUEST_TIMED_OUT (a commit-error naming EndTxn)."""
    fault = {"kind": "commit-error", "request": "EndTxn", "error": "REQUEST_TIMED_OUT"}
    fault.update(consumer=0, nth=1)
    scenario = CRASHES.replace(consumer={"client": client}, faults=[fault])
    return run(scenario)


@pytest.mark.parametrize("client", ["java", "librdkafka"])
def test_a_commit_error_on_end_txn_is_retried_by_java_and_aborted_by_librdkafka(client):
    """REQUEST_TIMED_OUT on EndTxn(commit): Java's EndTxnHandler re-enqueues it and app-0's
    first transaction commits; librdkafka's rd_kafka_txn_handle_EndTxn has no case for it
    (permanent, abortable): app-0 aborts it, rewinds and commits the batch in its next one.
    Either way every record has one effect; the fault is in the trace, naming the request."""
    result = _end_txn_times_out(client)
    assert result.ok
    faults = [f.detail for f in result.ledger.faults if f.kind == "commit-error"]
    assert faults == ["REQUEST_TIMED_OUT on EndTxn"]
    first = ended(result.ledger, "app-0")[0]
    assert first == ((0, True) if client == "java" else (0, False))
    summary = result.summary()
    assert summary["duplicate_effects"] == summary["lost_effects"] == 0
    assert (summary["duplicated_records"] > 0) == (client == "librdkafka")


def test_a_commit_error_on_add_partitions_fails_the_transaction_before_any_result():
    """AddPartitionsToTxn answered INVALID_TXN_STATE: fatal for both clients (Java's
    AddPartitionsToTxnHandler, librdkafka's rd_kafka_txn_handle_AddPartitionsToTxn): the
    process exits before it produced a result, the others take its partitions over, and every
    record has one effect."""
    fault = {"kind": "commit-error", "request": "AddPartitionsToTxn", "error": "INVALID_TXN_STATE"}
    fault.update(consumer=0, nth=1)
    result = run(CRASHES.replace(faults=[fault]))
    assert result.ok
    assert result.ledger.stops[0].how == "error"
    assert not [p for p in result.ledger.produced_batches if p.instance == 0]
    summary = result.summary()
    assert summary["duplicate_effects"] == summary["lost_effects"] == 0
