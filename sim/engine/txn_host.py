"""The transaction coordinator's host, its marker channel, and the output topic's produce path
(the `transactional` strategy, docs/exactly-once.md).

It owns serving each transactional request at its arrival (`TransactionCoordinator`, hosted
beside the group coordinator; TxnOffsetCommit goes to the group coordinator), carrying out the
coordinator's `WriteMarkers` (one marker write per partition after a latency each on the marker
channel, `markers_written` once all landed; the group's offsets partition answers
NOT_LEADER_OR_FOLLOWER while no broker serves the group, and the write is retried), the
timed-out transactions' check every 10 s, the transaction coordinator's failover, and appending
a processed slice's results to the output topic. It never decides a transaction's outcome (the
coordinator and the producer models do).
"""

from __future__ import annotations

from sim.model.coordinator_outputs import ACTIVE, Reply
from sim.model.messages import CommitResponse, TxnOffsetCommit
from sim.model.transactions import ABORT_TIMED_OUT_INTERVAL_US, ONGOING, PREPARING, WriteMarkers
from sim.model.txn_messages import (
    OFFSETS_TOPIC,
    AddOffsetsToTxn,
    AddPartitionsToTxn,
    EndTxn,
    InitProducerId,
    TxnResponse,
)

from .clock import US
from .instance import Instance
from .network import Connection

TXN_REQUESTS = (InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn)
# The errors that say a fence refused a zombie's request (shown in the trace: `txn_refused`).
FENCING_ERRORS = frozenset(
    {
        "ILLEGAL_GENERATION",
        "UNKNOWN_MEMBER_ID",
        "FENCED_INSTANCE_ID",
        "PRODUCER_FENCED",
        "INVALID_PRODUCER_EPOCH",
    }
)
MARKER_CONNECTION = 1 << 31  # latency key of the marker channel (TransactionMarkerChannelManager)
MARKER_RETRY_US = 100_000  # a refused marker write is sent again after this long


class TxnHost:
    """The transactions' part of `Simulation` (its transaction coordinator, group coordinator,
    output topic in the sink, ledger and latency draws)."""

    def _start_transactions(self) -> None:
        self.marker_conn = Connection(self.latency_draws, MARKER_CONNECTION)
        self.markers_left: dict[str, set] = {}  # transactional.id -> partitions not yet written
        self.txn_offset_commits: dict[int, list[int]] = {}  # producer id -> pending request ids
        self.txn_failovers = 0
        self.env.process(self._abort_timed_out())

    def _at_txn_coordinator(self, inst: Instance, request, request_id: int) -> None:
        now = self.env.now
        tc = self.txn_coordinator
        kind = type(request)
        outputs = tc.refuse(request_id, request)
        if outputs is None and kind is not InitProducerId:
            outputs = self._commit_error(inst, kind.__name__, request_id)
        if outputs is None:
            if kind is InitProducerId:
                outputs = tc.init_producer_id(now, request_id, request)
            elif kind is AddPartitionsToTxn:
                outputs = tc.add_partitions(now, request_id, request)
            elif kind is AddOffsetsToTxn:
                outputs = tc.add_offsets(now, request_id, request)
            else:
                outputs = tc.end_txn(now, request_id, request)
        self._apply_txn(inst, kind.__name__, outputs)

    def _commit_error(self, inst: Instance, request: str, request_id: int) -> list | None:
        """A commit-error fault naming this transaction request answers it, unprocessed."""
        hit = self.faults.windows and self.faults.window_hit(
            "commit-error", inst.slot, self.env.now, request_id, self.seed, request
        )
        if not hit:
            return None
        error = hit[1].error
        self.ledger.fault(self.env.now, "commit-error", inst.number, f"{error} on {request}")
        return [Reply(request_id, TxnResponse(error))]

    def _txn_offset_commit(self, inst: Instance, request: TxnOffsetCommit, request_id: int):
        """The group coordinator's part of a transaction: KIP-447's check, pending offsets. A
        commit-error fault answers it too; one naming no request but for REBALANCE_IN_PROGRESS,
        which the coordinator never answers a TxnOffsetCommit with."""
        now = self.env.now
        hit = self.faults.windows and self.faults.window_hit(
            "commit-error", inst.slot, now, request_id, self.seed, "TxnOffsetCommit"
        )
        if hit and hit[1].error != "REBALANCE_IN_PROGRESS":
            self.ledger.fault(now, "commit-error", inst.number, hit[1].error)
            outputs = [Reply(request_id, CommitResponse(hit[1].error))]
            self._apply_txn(inst, "TxnOffsetCommit", outputs)
            return
        outputs = self.coordinator.txn_offset_commit(now, request_id, request)
        if outputs[0].response.error is None:  # pending until the transaction's marker
            self.txn_offset_commits.setdefault(request.producer_id, []).append(request_id)
        self._apply_txn(inst, "TxnOffsetCommit", outputs)

    def _apply_txn(self, inst: Instance | None, request: str, outputs) -> None:
        for out in outputs:
            if type(out) is Reply:
                error = out.response.error
                if inst is not None and error in FENCING_ERRORS:
                    self.ledger.txn_refused(self.env.now, inst.number, request, error)
                self._respond(out.request_id, out.response, lost=False)
            else:
                self._write_markers(out)

    # ---- markers -----------------------------------------------------------------------------
    def _write_markers(self, out: WriteMarkers) -> None:
        """TransactionMarkerChannelManager: one marker per partition of the transaction."""
        self.markers_left[out.transactional_id] = set(out.partitions)
        term = self.txn_failovers
        for partition in out.partitions:
            arrival = self.marker_conn.request_arrival(self.env.now)
            self._at(arrival, self._marker_arrives, out, partition, term)

    def _marker_arrives(self, out: WriteMarkers, partition, term: int) -> None:
        if term != self.txn_failovers:
            return  # sent by a coordinator that has since lost the log: the new one re-sends
        now = self.env.now
        topic, p = partition
        if topic == OFFSETS_TOPIC:
            pid, epoch = out.producer_id, out.epoch
            error, offsets = self.coordinator.txn_marker(now, pid, epoch, out.commit)
            if error == "NOT_LEADER_OR_FOLLOWER":
                self._at(now + MARKER_RETRY_US, self._marker_arrives, out, partition, term)
                return
            self.ledger.marker(now, -1, -1, out.producer_id, out.epoch, out.commit, offsets)
            if error is None:
                for request_id in self.txn_offset_commits.pop(out.producer_id, ()):
                    if out.commit:
                        self.ledger.commit_applied(now, request_id)
        else:
            error, offset = self.sink.topic[p].write_marker(out.producer_id, out.epoch, out.commit)
            if error is None:
                self.ledger.marker(now, p, offset, out.producer_id, out.epoch, out.commit)
        left = self.markers_left.get(out.transactional_id)
        if left is None:
            return
        left.discard(partition)
        if not left:
            del self.markers_left[out.transactional_id]
            tid = out.transactional_id
            self.txn_coordinator.markers_written(now, tid)
            self.ledger.txn_ended(now, tid, out.producer_id, out.epoch, out.commit)

    # ---- timers and failover -----------------------------------------------------------------
    def _abort_timed_out(self):
        """abortTimedOutTransactions, every transaction.abort.timed.out.transaction.cleanup.
        interval.ms (10 s)."""
        while True:
            yield self.env.timeout(ABORT_TIMED_OUT_INTERVAL_US)
            self._apply_txn(None, "", self.txn_coordinator.abort_timed_out(self.env.now))

    def _txn_failover(self, unavailable_us: int, loading_us: int) -> None:
        """The transaction log's partition moves: unavailable, loading, then the new coordinator
        re-sends the markers of the transactions it finds preparing."""
        if self.draining:
            return
        now = self.env.now
        detail = f"unavailable {unavailable_us // US} ms, loading {loading_us // US} ms"
        self.ledger.fault(now, "txn-coordinator-failover", -1, detail)
        self.txn_failovers += 1
        self.markers_left.clear()
        tc = self.txn_coordinator
        tc.failover(now)
        term = self.txn_failovers
        self._at(now + unavailable_us, self._txn_phase, tc.start_loading, term)
        self._at(now + unavailable_us + loading_us, self._txn_phase, tc.loaded, term)

    def _txn_phase(self, phase, term: int) -> None:
        if term == self.txn_failovers:
            self._apply_txn(None, "", phase(self.env.now))

    # ---- the output topic --------------------------------------------------------------------
    def _produce_results(self, inst: Instance, p: int, start: int, end: int) -> None:
        """Results of input records [start, end) of `p` appended to output partition `p` in the
        producer's transaction; an append from a fenced epoch is refused
        (INVALID_PRODUCER_EPOCH) and fails the transaction's commit."""
        producer = inst.consumer.txn_producer
        now = self.env.now
        log = self.sink.topic[p]
        error, first, last = log.append(
            producer.producer_id, producer.epoch, end - start, source=(p, start, end)
        )
        if error is not None:
            inst.consumer.txn_produce_error = error
            self.ledger.txn_refused(now, inst.number, "Produce", error)
            return
        pid, epoch = producer.producer_id, producer.epoch
        self.ledger.produced(now, inst.number, p, first, last, start, pid, epoch)

    def _transactions_busy(self) -> str | None:
        """Why the drain must wait for the transactions (None: none open or completing)."""
        if self.txn_coordinator.status != ACTIVE:
            return "no broker serves the transaction log (a failover)"
        for tid, txn in sorted(self.txn_coordinator.transactions.items()):
            if txn.state == ONGOING or txn.state in PREPARING:
                return f"the transaction of {tid} is {txn.state}"
        return None
