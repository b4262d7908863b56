"""The transactional producer as its client sees it: a pure state machine.

What Kafka's TransactionManager (clients/.../producer/internals/TransactionManager.java) keeps:
the client's transaction state and its table of valid transitions (`State.isTransitionValid`),
the producer id and epoch, the partitions already in the transaction, and what each response's
error does, per client (`sim.model.txn_errors`): retry, find the coordinator again and retry, an
abortable error (the application must abort the transaction; it may go on afterwards), or a
fatal one (the producer is useless: PRODUCER_FENCED, another instance of its transactional.id
took over). librdkafka's transaction manager (rdkafka_txnmgr.c) has more states (the
BEGIN_*/*_NOT_ACKED steps of its resumable calls) but the same transitions as the application
sees them: init, begin, send offsets, commit or abort, an abortable or a fatal error.

The methods are the application's calls (initTransactions, beginTransaction, send,
sendOffsetsToTransaction, commitTransaction, abortTransaction); each returns the requests the
client sends, in order. `on_response` takes each answer back. It owns the client's transaction
state; it never reads a clock, draws a number or touches the network.
"""

from __future__ import annotations

from .messages import Offsets, TxnOffsetCommit
from .txn_errors import ABORTABLE, FATAL, bumps_epoch, classify
from .txn_messages import (
    NO_PRODUCER_EPOCH,
    NO_PRODUCER_ID,
    AddOffsetsToTxn,
    AddPartitionsToTxn,
    EndTxn,
    InitProducerId,
    TopicPartition,
)

UNINITIALIZED = "UNINITIALIZED"
INITIALIZING = "INITIALIZING"
READY = "READY"
IN_TRANSACTION = "IN_TRANSACTION"
COMMITTING_TRANSACTION = "COMMITTING_TRANSACTION"
ABORTING_TRANSACTION = "ABORTING_TRANSACTION"
ABORTABLE_ERROR = "ABORTABLE_ERROR"
FATAL_ERROR = "FATAL_ERROR"

# Each state and the states it may be entered from (State.isTransitionValid); FATAL_ERROR may be
# entered from anywhere.
VALID_SOURCES = {
    UNINITIALIZED: frozenset({READY, ABORTABLE_ERROR}),
    INITIALIZING: frozenset({UNINITIALIZED, ABORTING_TRANSACTION}),
    READY: frozenset({INITIALIZING, COMMITTING_TRANSACTION, ABORTING_TRANSACTION}),
    IN_TRANSACTION: frozenset({READY}),
    COMMITTING_TRANSACTION: frozenset({IN_TRANSACTION}),
    ABORTING_TRANSACTION: frozenset({IN_TRANSACTION, ABORTABLE_ERROR}),
    ABORTABLE_ERROR: frozenset(
        {IN_TRANSACTION, COMMITTING_TRANSACTION, ABORTABLE_ERROR, INITIALIZING}
    ),
}


class ProducerStateError(Exception):
    """The application called what the producer's state refuses (IllegalStateException, or the
    KafkaException of maybeFailWithError after an error)."""


class TransactionalProducer:
    def __init__(self, transactional_id: str, timeout_us: int = 60_000_000, client="java"):
        self.transactional_id = transactional_id
        self.client = client  # whose error handling (sim.model.txn_errors)
        self.timeout_us = timeout_us  # transaction.timeout.ms
        self.state = UNINITIALIZED
        self.producer_id = NO_PRODUCER_ID
        self.epoch = NO_PRODUCER_EPOCH
        self.partitions: set[TopicPartition] = set()  # in the current transaction
        self.epoch_bump_required = False  # KIP-360: abort, then InitProducerId with our id
        self.last_error: str | None = None

    # ---- the application's calls -------------------------------------------------------------
    def init_transactions(self) -> list:
        self._transition(INITIALIZING)
        return [InitProducerId(self.transactional_id, self.timeout_us)]

    def begin_transaction(self) -> None:
        self._fail_with_error()
        self._transition(IN_TRANSACTION)

    def send(self, partitions) -> list:
        """send() to these partitions: the ones not yet in the transaction are added first."""
        self._fail_with_error()
        if self.state != IN_TRANSACTION:
            raise ProducerStateError(f"cannot send in state {self.state}")
        new = tuple(sorted(set(partitions) - self.partitions, key=str))
        self.partitions.update(new)
        return [self._request(AddPartitionsToTxn, new)] if new else []

    def send_offsets_to_transaction(self, group_id: str) -> list:
        """sendOffsetsToTransaction, first step: the group's offsets partition joins; on success
        the client sends `txn_offset_commit`."""
        self._fail_with_error()
        if self.state != IN_TRANSACTION:
            raise ProducerStateError(f"cannot send offsets in state {self.state}")
        return [self._request(AddOffsetsToTxn, group_id)]

    def txn_offset_commit(
        self, offsets: Offsets, member_id: str, generation: int, instance_id=None
    ):
        """The second step, with the consumer's group metadata (KIP-447)."""
        return TxnOffsetCommit(
            self.transactional_id,
            self.producer_id,
            self.epoch,
            member_id,
            generation,
            offsets,
            instance_id,
        )

    def commit_transaction(self) -> list:
        self._fail_with_error()
        self._transition(COMMITTING_TRANSACTION)
        return [self._request(EndTxn, True)]

    def abort_transaction(self) -> list:
        """beginAbort, from a transaction or after an abortable error; when the epoch must be
        bumped (KIP-360), InitProducerId with the current id and epoch follows the EndTxn."""
        if self.state != ABORTABLE_ERROR:
            self._fail_with_error()
        self._transition(ABORTING_TRANSACTION)
        self.partitions = set()
        requests = [self._request(EndTxn, False)]
        if self.epoch_bump_required:
            requests.append(
                InitProducerId(self.transactional_id, self.timeout_us, self.producer_id, self.epoch)
            )
        return requests

    # ---- responses ---------------------------------------------------------------------------
    def on_response(self, request, error: str | None, response=None) -> str | None:
        """The answer to `request` (None: a produce request); returns the action for an error
        (RETRY, REDISCOVER, ABORTABLE, FATAL), None on success."""
        if error is None:
            self._succeeded(request, response)
            return None
        action = classify(request, error, self.client)
        if action == FATAL:
            self.last_error = error
            self.state = FATAL_ERROR
        elif action == ABORTABLE and self.state != ABORTING_TRANSACTION:
            # An abortable error while aborting is not entered (Java's
            # transitionToAbortableError; librdkafka's rd_kafka_txn_state_transition_is_valid
            # ignores it): the abort failed, and the application's abort call throws.
            self.last_error = error
            if request is None:  # maybeTransitionToErrorState: bump unless already completing
                completing = self.state in (COMMITTING_TRANSACTION, ABORTING_TRANSACTION)
                self.epoch_bump_required = self.epoch_bump_required or not completing
            elif bumps_epoch(request, error, self.client):  # abortableErrorIfPossible
                self.epoch_bump_required = True
            self._transition(ABORTABLE_ERROR)
        return action

    def _succeeded(self, request, response) -> None:
        kind = type(request)
        if kind is InitProducerId:
            self.producer_id, self.epoch = response.producer_id, response.epoch
            self.epoch_bump_required = False
            self.last_error = None
            self._transition(READY)
        elif kind is EndTxn:  # completeTransaction: the bump's InitProducerId comes next
            self.partitions = set()
            self._transition(INITIALIZING if self.epoch_bump_required else READY)

    # ---- internals ---------------------------------------------------------------------------
    def _request(self, kind, arg):
        return kind(self.transactional_id, self.producer_id, self.epoch, arg)

    def _fail_with_error(self) -> None:
        """maybeFailWithError: after an error, every call but abort (abortable) fails."""
        if self.state in (ABORTABLE_ERROR, FATAL_ERROR):
            raise ProducerStateError(f"{self.state}: {self.last_error}")

    def _transition(self, to: str) -> None:
        if to != FATAL_ERROR and self.state not in VALID_SOURCES[to]:
            raise ProducerStateError(f"invalid transition from {self.state} to {to}")
        self.state = to
