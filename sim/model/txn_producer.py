"""The transactional producer as its client sees it: a pure state machine.

What Kafka's TransactionManager (clients/.../producer/internals/TransactionManager.java) keeps:
the client's transaction state and its table of valid transitions (`State.isTransitionValid`),
the producer id and epoch, the partitions already in the transaction, and what each response's
error does (the `handleResponse` of InitProducerIdHandler, AddPartitionsToTxnHandler,
AddOffsetsToTxnHandler, TxnOffsetCommitHandler, EndTxnHandler; `maybeTransitionToErrorState` for
a failed produce): retry, find the coordinator again and retry, an abortable error (the
application must abort the transaction; it may go on afterwards), or a fatal one (the producer
is useless: PRODUCER_FENCED, another instance of its transactional.id took over).

The methods are the application's calls (initTransactions, beginTransaction, send,
sendOffsetsToTransaction, commitTransaction, abortTransaction); each returns the requests the
client sends, in order. `on_response` takes each answer back. It owns the client's transaction
state; it never reads a clock, draws a number or touches the network.
"""

from __future__ import annotations

from .messages import Offsets, TxnOffsetCommit
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

# What an error in a response does.
RETRY = "retry"
REDISCOVER = "rediscover"  # look the coordinator up again (FindCoordinator), then retry
ABORTABLE = "abortable"
FATAL = "fatal"

# Errors whose exception is a RetriableException.
RETRIABLE = frozenset(
    {
        "COORDINATOR_LOAD_IN_PROGRESS",
        "CONCURRENT_TRANSACTIONS",
        "REQUEST_TIMED_OUT",
        "UNKNOWN_TOPIC_OR_PARTITION",
        "NOT_ENOUGH_REPLICAS",
        "NOT_LEADER_OR_FOLLOWER",
    }
)
FENCED = frozenset({"PRODUCER_FENCED", "INVALID_PRODUCER_EPOCH"})
UNKNOWN_PRODUCER = frozenset({"UNKNOWN_PRODUCER_ID", "INVALID_PRODUCER_ID_MAPPING"})
# Per request kind: errors handled otherwise than by the shared rules of `classify`.
_SPECIFIC = {
    TxnOffsetCommit: {
        # The group coordinator: REQUEST_TIMED_OUT looks it up again too; a group metadata
        # mismatch (KIP-447) is abortable (CommitFailedException), as a fenced instance id is.
        "REQUEST_TIMED_OUT": REDISCOVER,
        "UNKNOWN_MEMBER_ID": ABORTABLE,
        "ILLEGAL_GENERATION": ABORTABLE,
        "FENCED_INSTANCE_ID": ABORTABLE,
        "UNKNOWN_PRODUCER_ID": FATAL,
        "INVALID_PRODUCER_ID_MAPPING": FATAL,
    },
    AddOffsetsToTxn: {"GROUP_AUTHORIZATION_FAILED": ABORTABLE},
    # InitProducerIdHandler knows no unknown producer: an unexpected error, fatal.
    InitProducerId: {"UNKNOWN_PRODUCER_ID": FATAL, "INVALID_PRODUCER_ID_MAPPING": FATAL},
}


class ProducerStateError(Exception):
    """The application called what the producer's state refuses (IllegalStateException, or the
    KafkaException of maybeFailWithError after an error)."""


def classify(request, error: str, client: str = "java") -> str:
    """What `error` in the response to `request` does (the TxnRequestHandlers' handleResponse;
    `request` None: a produce batch that failed for good, after the sender's own retries,
    maybeTransitionToErrorState). librdkafka agrees on the transaction
    requests (rdkafka_txnmgr.c's handlers) but takes a produce request's INVALID_PRODUCER_EPOCH
    as fenced at once (rd_kafka_handle_Produce_error), where Java, since KIP-588, has the
    application abort first and learns it is fenced from the abort's epoch bump."""
    specific = _SPECIFIC.get(type(request), {}).get(error)
    if specific is not None:
        return specific
    if request is None:  # a produce request: only a fenced producer id is fatal
        fenced = ("PRODUCER_FENCED",) if client == "java" else tuple(FENCED)
        return FATAL if error in fenced else ABORTABLE
    if error in ("NOT_COORDINATOR", "COORDINATOR_NOT_AVAILABLE"):
        return REDISCOVER
    if error in RETRIABLE:
        return RETRY
    if error in FENCED or error == "INVALID_TXN_STATE":
        return FATAL
    if error == "TRANSACTION_ABORTABLE" or error in UNKNOWN_PRODUCER:
        return ABORTABLE  # an unknown producer id: abortable if the epoch can be bumped
    return FATAL


class TransactionalProducer:
    def __init__(self, transactional_id: str, timeout_us: int = 60_000_000):
        self.transactional_id = transactional_id
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
        action = classify(request, error)
        if action == FATAL:
            self.last_error = error
            self.state = FATAL_ERROR
        elif action == ABORTABLE:
            self.last_error = error
            if request is None:  # maybeTransitionToErrorState: bump unless already completing
                completing = self.state in (COMMITTING_TRANSACTION, ABORTING_TRANSACTION)
                self.epoch_bump_required = self.epoch_bump_required or not completing
            elif error in UNKNOWN_PRODUCER:  # abortableErrorIfPossible
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
