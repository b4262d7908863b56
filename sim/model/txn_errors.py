"""What an error in the answer to a transactional request does, per client: retry, find the
coordinator again and retry, abortable (the application aborts the transaction and may go on),
or fatal (the producer is useless). docs/exactly-once.md has both clients' tables, side by side.

- Java: the `handleResponse` of TransactionManager's InitProducerIdHandler,
  AddPartitionsToTxnHandler, AddOffsetsToTxnHandler, TxnOffsetCommitHandler and EndTxnHandler;
  `maybeTransitionToErrorState` for a produce that failed for good.
- librdkafka: rdkafka_txnmgr.c's rd_kafka_txn_handle_AddPartitionsToTxn, _AddOffsetsToTxn,
  _TxnOffsetCommit, _EndTxn; rdkafka_idempotence.c rd_kafka_idemp_check_error and
  rd_kafka_idemp_request_pid_failed for InitProducerId; rdkafka_request.c
  rd_kafka_handle_Produce_error for a produce. librdkafka sends AddPartitionsToTxn and
  AddOffsetsToTxn v0 and EndTxn v0-1 (rd_kafka_*Request), and Kafka answers a request below
  v2 with INVALID_PRODUCER_EPOCH where it means PRODUCER_FENCED (KafkaApis.handleEndTxnRequest,
  handleAddPartitionsToTxnRequest, handleAddOffsetsToTxnRequest).

Pure functions of the request kind, the error and the client; no state.
"""

from __future__ import annotations

from .messages import TxnOffsetCommit
from .txn_messages import AddOffsetsToTxn, AddPartitionsToTxn, EndTxn, InitProducerId

RETRY = "retry"
REDISCOVER = "rediscover"  # look the coordinator up again (FindCoordinator), then retry
ABORTABLE = "abortable"
FATAL = "fatal"

# Errors whose Java exception is a RetriableException.
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
COORDINATOR_GONE = frozenset({"NOT_COORDINATOR", "COORDINATOR_NOT_AVAILABLE"})

# Java, per request kind: errors handled otherwise than by the shared rules of `_java`.
_JAVA_SPECIFIC = {
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

# librdkafka, per request kind: (coordinator gone, retried, fatal); every other error is
# "permanent", which each handler turns into an abortable error.
_LIBRDKAFKA = {
    AddPartitionsToTxn: (
        COORDINATOR_GONE,
        {"CONCURRENT_TRANSACTIONS", "COORDINATOR_LOAD_IN_PROGRESS", "UNKNOWN_TOPIC_OR_PARTITION"},
        FENCED | {"INVALID_TXN_STATE"},
    ),
    AddOffsetsToTxn: (
        COORDINATOR_GONE | {"REQUEST_TIMED_OUT"},
        {"CONCURRENT_TRANSACTIONS", "COORDINATOR_LOAD_IN_PROGRESS", "UNKNOWN_TOPIC_OR_PARTITION"},
        {"INVALID_PRODUCER_EPOCH", "INVALID_TXN_STATE"},
    ),
    TxnOffsetCommit: (
        COORDINATOR_GONE | {"REQUEST_TIMED_OUT"},  # the group coordinator's cache is evicted
        {"CONCURRENT_TRANSACTIONS", "COORDINATOR_LOAD_IN_PROGRESS", "UNKNOWN_TOPIC_OR_PARTITION"},
        {"INVALID_PRODUCER_EPOCH", "INVALID_PRODUCER_ID_MAPPING", "INVALID_TXN_STATE"},
    ),
    EndTxn: (
        COORDINATOR_GONE,
        {"CONCURRENT_TRANSACTIONS", "COORDINATOR_LOAD_IN_PROGRESS"},
        FENCED | {"INVALID_TXN_STATE"},
    ),
}
# Kafka answers these requests below v2, which librdkafka sends, INVALID_PRODUCER_EPOCH for
# PRODUCER_FENCED.
_OLD_VERSIONS = (AddPartitionsToTxn, AddOffsetsToTxn, EndTxn)
# librdkafka's own retry delays (ms): rd_kafka_txn_handle_AddPartitionsToTxn (500, 20 for
# CONCURRENT_TRANSACTIONS), rd_kafka_txn_handle_TxnOffsetCommit (500), the PID timer
# (rd_kafka_idemp_pid_timer_restart, 500); AddOffsetsToTxn and EndTxn are retried as buffers
# (rd_kafka_buf_retry: retry.backoff.ms).
_LIBRDKAFKA_DELAY_MS = {AddPartitionsToTxn: 500, TxnOffsetCommit: 500, InitProducerId: 500}


def classify(request, error: str, client: str = "java") -> str:
    """What `error` in the answer to `request` does (`request` None: a produce request that
    failed for good, after the sender's own retries)."""
    if client == "librdkafka":
        return _librdkafka(request, error)
    return _java(request, error)


def bumps_epoch(request, error: str, client: str = "java") -> bool:
    """Does this abortable error require the abort to bump the epoch (KIP-360: EndTxn(abort),
    then InitProducerId with the producer's id and epoch)? Java: abortableErrorIfPossible on
    AddPartitions, AddOffsets and EndTxn; librdkafka: rd_kafka_idemp_drain_epoch_bump on
    AddPartitions and EndTxn only."""
    if error not in UNKNOWN_PRODUCER:
        return False
    kinds = (AddPartitionsToTxn, EndTxn) + ((AddOffsetsToTxn,) if client == "java" else ())
    return type(request) in kinds


def retry_delay_us(request, error: str, client: str, backoff_us: int) -> int:
    """How long the client waits before sending `request` again."""
    if client != "librdkafka":
        return backoff_us
    kind = type(request)
    if kind is AddPartitionsToTxn and error == "CONCURRENT_TRANSACTIONS":
        return 20_000
    ms = _LIBRDKAFKA_DELAY_MS.get(kind)
    return backoff_us if ms is None else ms * 1_000


def _java(request, error: str) -> str:
    specific = _JAVA_SPECIFIC.get(type(request), {}).get(error)
    if specific is not None:
        return specific
    if request is None:  # maybeTransitionToErrorState: only a fenced producer id is fatal
        return FATAL if error == "PRODUCER_FENCED" else ABORTABLE
    if error in COORDINATOR_GONE:
        return REDISCOVER
    if error in RETRIABLE:
        return RETRY
    if error in FENCED or error == "INVALID_TXN_STATE":
        return FATAL
    if error == "TRANSACTION_ABORTABLE" or error in UNKNOWN_PRODUCER:
        return ABORTABLE  # an unknown producer id: abortable if the epoch can be bumped
    # An unexpected error: AddPartitionsToTxnHandler collects it as a partition error
    # (abortable); the other handlers call fatalError.
    return ABORTABLE if type(request) is AddPartitionsToTxn else FATAL


def _librdkafka(request, error: str) -> str:
    kind = type(request)
    if request is None:  # rd_kafka_handle_Produce_error: fenced by a newer instance
        return FATAL if error in FENCED else ABORTABLE
    if kind is InitProducerId:  # rd_kafka_idemp_check_error; anything else is retried
        if error in FENCED or error == "INVALID_TRANSACTION_TIMEOUT":
            return FATAL
        return REDISCOVER if error in COORDINATOR_GONE else RETRY
    if kind in _OLD_VERSIONS and error == "PRODUCER_FENCED":
        error = "INVALID_PRODUCER_EPOCH"
    gone, retried, fatal = _LIBRDKAFKA[kind]
    if error in gone:
        return REDISCOVER
    if error in retried:
        return RETRY
    if error in fatal:
        return FATAL
    return ABORTABLE  # RD_KAFKA_ERR_ACTION_PERMANENT: rd_kafka_txn_set_abortable_error
