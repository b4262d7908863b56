"""The transaction coordinator: a pure state machine.

It owns, per `transactional.id`, the producer id and epoch, the transaction's state and partitions,
and its timeout (Kafka's TransactionCoordinator, TransactionMetadata, TransactionStateManager in
core/src/main/scala/kafka/coordinator/transaction/). It never reads a clock, sleeps or draws a
number: every input carries the current time, and the markers to write are outputs the driver
carries to the partitions (`WriteMarkers`), reporting back when all are written
(`markers_written`).

The rules it keeps:
- InitProducerId gives a new transactional.id a producer id at epoch 0, and bumps the epoch of a
  known one, fencing every older producer of that id: their requests get PRODUCER_FENCED. If the
  old producer's transaction is still open it is aborted first, at a bumped epoch, and the new
  producer is told CONCURRENT_TRANSACTIONS (it retries; the retry bumps the epoch again).
- AddPartitionsToTxn and AddOffsetsToTxn open the transaction (ONGOING) and add partitions; the
  transaction's clock starts at the first one.
- EndTxn moves an open transaction to PREPARE_COMMIT or PREPARE_ABORT, answers at once, and asks
  for a COMMIT or ABORT marker in every partition of the transaction; once all are written the
  transaction is COMPLETE. Until then the next AddPartitions gets CONCURRENT_TRANSACTIONS.
- A transaction open longer than its `transaction.timeout.ms` is aborted by the coordinator at its
  next check (every `ABORT_TIMED_OUT_INTERVAL_US`), at a bumped epoch: its producer, if still alive,
  is fenced.
- Failover: every state change is in the transaction log before it counts, so a new coordinator
  has every transaction; it re-sends the markers of those in PREPARE_* (onElection ->
  loadTransactionsForTxnTopicPartition). Meanwhile requests get NOT_COORDINATOR, then
  COORDINATOR_LOAD_IN_PROGRESS.

The model is transaction version 1 (the epoch is bumped by InitProducerId and by fencing, not by
every EndTxn as with KIP-890's version 2); appends to the transaction log take no time, so the
only pending transition is a transaction waiting for its markers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .coordinator_outputs import ACTIVE, LOADING, NOT_SERVING_ERRORS, UNAVAILABLE, Reply
from .txn_messages import (
    NO_PRODUCER_EPOCH,
    NO_PRODUCER_ID,
    OFFSETS_TOPIC,
    AddOffsetsToTxn,
    AddPartitionsToTxn,
    EndTxn,
    InitProducerId,
    InitProducerIdResponse,
    TopicPartition,
    TxnResponse,
)

EMPTY = "Empty"
ONGOING = "Ongoing"
PREPARE_COMMIT = "PrepareCommit"
PREPARE_ABORT = "PrepareAbort"
COMPLETE_COMMIT = "CompleteCommit"
COMPLETE_ABORT = "CompleteAbort"
PREPARE_EPOCH_FENCE = "PrepareEpochFence"

# The state table: each state and the states it may be entered from (TransactionState's
# validPreviousStates in TransactionMetadata.scala).
VALID_PREVIOUS = {
    EMPTY: frozenset({EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT}),
    ONGOING: frozenset({ONGOING, EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT}),
    PREPARE_COMMIT: frozenset({ONGOING}),
    PREPARE_ABORT: frozenset({ONGOING, PREPARE_EPOCH_FENCE}),
    COMPLETE_COMMIT: frozenset({PREPARE_COMMIT}),
    COMPLETE_ABORT: frozenset({PREPARE_ABORT}),
    PREPARE_EPOCH_FENCE: frozenset({ONGOING}),
}
PREPARING = (PREPARE_COMMIT, PREPARE_ABORT)

MAX_TIMEOUT_US = 15 * 60 * 1_000_000  # transaction.max.timeout.ms
ABORT_TIMED_OUT_INTERVAL_US = 10_000_000  # transaction.abort.timed.out.transaction.cleanup...
EPOCH_EXHAUSTED = 32_767 - 1  # TransactionMetadata.isEpochExhausted: Short.MaxValue - 1
FIRST_PRODUCER_ID = 1_000


@dataclass(frozen=True, slots=True)
class WriteMarkers:
    """Write a COMMIT (`commit`) or ABORT control record, stamped with this producer id and epoch,
    into each partition (TransactionMarkerChannelManager); then call `markers_written`."""

    transactional_id: str
    producer_id: int
    epoch: int
    commit: bool
    partitions: tuple[TopicPartition, ...]


@dataclass
class TransactionMetadata:
    """One transactional.id's entry in the transaction log."""

    producer_id: int
    epoch: int = NO_PRODUCER_EPOCH
    last_epoch: int = NO_PRODUCER_EPOCH  # the epoch before the last bump (retries, KIP-360)
    timeout_us: int = 60_000_000
    state: str = EMPTY
    partitions: set = field(default_factory=set)
    start_us: int = -1  # when the open transaction added its first partition

    def transition(self, to: str) -> None:
        if self.state not in VALID_PREVIOUS[to]:
            raise AssertionError(f"transaction cannot go from {self.state} to {to}")
        self.state = to


@dataclass
class TransactionCoordinator:
    transactions: dict[str, TransactionMetadata] = field(default_factory=dict)
    next_producer_id: int = FIRST_PRODUCER_ID
    status: str = ACTIVE

    # ---- requests ----------------------------------------------------------------------------
    def init_producer_id(self, now: int, request_id: int, req: InitProducerId) -> list:
        """handleInitProducerId and prepareInitProducerIdTransit."""
        if not 0 < req.transaction_timeout_us <= MAX_TIMEOUT_US:
            return [Reply(request_id, InitProducerIdResponse("INVALID_TRANSACTION_TIMEOUT"))]
        txn = self.transactions.get(req.transactional_id)
        if txn is None:
            txn = self.transactions[req.transactional_id] = TransactionMetadata(self._new_id())
        if req.producer_id != NO_PRODUCER_ID and not (
            txn.epoch == NO_PRODUCER_EPOCH or req.producer_id == txn.producer_id
        ):
            return [Reply(request_id, InitProducerIdResponse("PRODUCER_FENCED"))]
        if txn.state in PREPARING:  # markers still being written: back off and retry
            return [Reply(request_id, InitProducerIdResponse("CONCURRENT_TRANSACTIONS"))]
        if txn.state == ONGOING:
            # Fence the producer of the open transaction and abort it at the bumped epoch; the
            # new producer retries, and its retry bumps the epoch once more.
            out = self._fence_and_abort(req.transactional_id, txn)
            out.append(Reply(request_id, InitProducerIdResponse("CONCURRENT_TRANSACTIONS")))
            return out
        if txn.epoch >= EPOCH_EXHAUSTED and req.epoch in (NO_PRODUCER_EPOCH, txn.epoch):
            # prepareProducerIdRotation: no epoch left for this producer id
            txn.last_epoch = txn.epoch if req.producer_id != NO_PRODUCER_ID else NO_PRODUCER_EPOCH
            txn.producer_id, txn.epoch = self._new_id(), 0
        elif req.epoch == NO_PRODUCER_EPOCH or txn.epoch in (NO_PRODUCER_EPOCH, req.epoch):
            # prepareIncrementProducerEpoch: a new producer (no expected epoch) bumps and forgets
            # the last epoch; one continuing after an error remembers it, for its retry.
            txn.last_epoch = txn.epoch if req.epoch != NO_PRODUCER_EPOCH else NO_PRODUCER_EPOCH
            txn.epoch += 1
        elif req.epoch != txn.last_epoch:  # not a retry of the bump just made: an older producer
            return [Reply(request_id, InitProducerIdResponse("PRODUCER_FENCED"))]
        txn.timeout_us = req.transaction_timeout_us
        txn.transition(EMPTY)
        txn.partitions = set()
        txn.start_us = -1
        return [Reply(request_id, InitProducerIdResponse(None, txn.producer_id, txn.epoch))]

    def add_partitions(self, now: int, request_id: int, req: AddPartitionsToTxn) -> list:
        """handleAddPartitionsToTransaction and prepareAddPartitions."""
        return self._add(now, request_id, req, req.partitions)

    def add_offsets(self, now: int, request_id: int, req: AddOffsetsToTxn) -> list:
        """KafkaApis.handleAddOffsetsToTxnRequest: the group's __consumer_offsets partition joins
        the transaction like any other partition."""
        return self._add(now, request_id, req, ((OFFSETS_TOPIC, req.group_id),))

    def end_txn(self, now: int, request_id: int, req: EndTxn) -> list:
        """handleEndTransaction (transaction version 1): from ONGOING, prepare, answer at once and
        write the markers; a retry of a finished end gets no error; the other end of a finished
        or preparing transaction is INVALID_TXN_STATE."""
        txn = self.transactions.get(req.transactional_id)
        error = self._producer_error(txn, req.producer_id, req.epoch)
        if error is None:
            if txn.state == ONGOING:
                return self._prepare_end(req.transactional_id, txn, req.commit, request_id)
            finished = COMPLETE_COMMIT if req.commit else COMPLETE_ABORT
            preparing = PREPARE_COMMIT if req.commit else PREPARE_ABORT
            if txn.state == preparing:
                error = "CONCURRENT_TRANSACTIONS"
            elif txn.state != finished:
                error = "INVALID_TXN_STATE"
        return [Reply(request_id, TxnResponse(error))]

    def refuse(self, request_id: int, request) -> list | None:
        """The answer to any request while no broker serves the transaction log, else None."""
        error = NOT_SERVING_ERRORS.get(self.status)
        if error is None:
            return None
        if type(request) is InitProducerId:
            return [Reply(request_id, InitProducerIdResponse(error))]
        return [Reply(request_id, TxnResponse(error))]

    # ---- the driver --------------------------------------------------------------------------
    def markers_written(self, now: int, transactional_id: str) -> list:
        """Every marker of the transaction is written: COMPLETE (prepareComplete). A report from a
        coordinator that no longer serves the log is void; the new one re-sends the markers."""
        txn = self.transactions[transactional_id]
        if self.status != ACTIVE or txn.state not in PREPARING:
            return []
        txn.transition(COMPLETE_COMMIT if txn.state == PREPARE_COMMIT else COMPLETE_ABORT)
        txn.partitions = set()
        return []

    def abort_timed_out(self, now: int) -> list:
        """abortTimedOutTransactions, run every ABORT_TIMED_OUT_INTERVAL_US: every transaction
        open for longer than its timeout is fenced and aborted (timedOutTransactions: strictly
        longer)."""
        if self.status != ACTIVE:
            return []
        out: list = []
        for tid in sorted(self.transactions):
            txn = self.transactions[tid]
            if txn.state == ONGOING and txn.start_us + txn.timeout_us < now:
                out += self._fence_and_abort(tid, txn)
        return out

    def failover(self, now: int) -> list:
        """The transaction log partition moves to another broker (onResignation): markers still
        being written are dropped with the old coordinator."""
        self.status = UNAVAILABLE
        return []

    def start_loading(self, now: int) -> list:
        self.status = LOADING
        return []

    def loaded(self, now: int) -> list:
        """The new coordinator replays the log: every transaction as it was written, and the
        markers of those in PREPARE_* are sent again."""
        self.status = ACTIVE
        return [
            self._markers(tid, txn)
            for tid, txn in sorted(self.transactions.items())
            if txn.state in PREPARING
        ]

    # ---- internals ---------------------------------------------------------------------------
    def _new_id(self) -> int:
        producer_id = self.next_producer_id
        self.next_producer_id += 1
        return producer_id

    def _producer_error(self, txn, producer_id: int, epoch: int) -> str | None:
        """The checks every request of a producer meets, in the coordinator's order."""
        if txn is None or txn.producer_id != producer_id:
            return "INVALID_PRODUCER_ID_MAPPING"
        if txn.epoch != epoch:
            return "PRODUCER_FENCED"
        return None

    def _add(self, now: int, request_id: int, req, partitions) -> list:
        txn = self.transactions.get(req.transactional_id)
        error = self._producer_error(txn, req.producer_id, req.epoch)
        if error is None and txn.state in PREPARING:
            error = "CONCURRENT_TRANSACTIONS"
        if error is None:
            if txn.state != ONGOING:
                txn.start_us = now
            txn.transition(ONGOING)
            txn.partitions.update(partitions)
        return [Reply(request_id, TxnResponse(error))]

    def _prepare_end(self, tid: str, txn: TransactionMetadata, commit: bool, request_id) -> list:
        txn.transition(PREPARE_COMMIT if commit else PREPARE_ABORT)
        out: list = [] if request_id is None else [Reply(request_id, TxnResponse(None))]
        out.append(self._markers(tid, txn))
        return out

    def _fence_and_abort(self, tid: str, txn: TransactionMetadata) -> list:
        """prepareFenceProducerEpoch, then endTransaction(ABORT, isFromClient = false)."""
        txn.transition(PREPARE_EPOCH_FENCE)
        txn.epoch += 1
        txn.last_epoch = NO_PRODUCER_EPOCH
        return self._prepare_end(tid, txn, False, None)

    def _markers(self, tid: str, txn: TransactionMetadata) -> WriteMarkers:
        return WriteMarkers(
            tid,
            txn.producer_id,
            txn.epoch,
            txn.state == PREPARE_COMMIT,
            tuple(sorted(txn.partitions, key=str)),
        )
