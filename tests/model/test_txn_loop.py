"""The transactional application loop (sim.model.txn_loop) fed by hand, as a driver would: what
each answer of the transaction coordinator and the group coordinator makes the loop do."""

import pytest

from sim.model.commands import Call, LoopPoint, Process, Processed, ReadLog, Stopped, Wait
from sim.model.messages import (
    CommitResponse,
    JoinGroup,
    JoinResponse,
    OffsetFetch,
    OffsetFetchResponse,
    SyncGroup,
    SyncResponse,
    TxnOffsetCommit,
)
from sim.model.txn_messages import (
    AddOffsetsToTxn,
    AddPartitionsToTxn,
    EndTxn,
    InitProducerId,
    InitProducerIdResponse,
    TxnResponse,
)
from sim.model.txn_producer import FATAL_ERROR, READY, TransactionalProducer

from .test_consumer import S, Script
from .test_librdkafka import Client


def started(committed=7, client="java", require_stable=True):
    """A transactional consumer through its join, initTransactions and first stable fetch."""
    s = Script("transactional") if client == "java" else Client("transactional")
    s.consumer.txn_producer = TransactionalProducer("app-0", client=client)
    s.consumer.require_stable = require_stable
    assert isinstance(s.command.request, JoinGroup)
    s.reply(JoinResponse(None, 1, "m", ("m",)))
    assert isinstance(s.command.request, SyncGroup)
    s.reply(SyncResponse(None, (0,)))
    assert isinstance(s.command.request, InitProducerId)  # onPartitionsAssigned
    s.reply(InitProducerIdResponse(None, 1000, 0))
    assert s.command.request == OffsetFetch((0,), require_stable)
    s.reply(OffsetFetchResponse((committed,)))
    return s


def through_processing(s, log_end=30, stop_before_offsets=False):
    """Poll a batch, add its partition to the transaction, process it; stop at the offsets."""
    assert isinstance(s.command, ReadLog)
    s.reply((log_end,), S)
    assert isinstance(s.command.request, AddPartitionsToTxn)
    assert s.command.request.partitions == (("output", 0),)
    s.reply(TxnResponse(None))
    process = s.skip_points()
    assert isinstance(process, Process)
    s.reply(Processed(10, False))
    assert s.command == LoopPoint("after-process", 1)
    s.reply()
    assert s.command == LoopPoint("before-commit", 1)
    s.reply()
    assert isinstance(s.command.request, AddOffsetsToTxn)
    if not stop_before_offsets:
        s.reply(TxnResponse(None))
    return process


def test_the_offset_fetch_asks_for_stable_offsets_and_waits_out_a_pending_transaction():
    """requireStable: UNSTABLE_OFFSET_COMMIT (a transaction's offsets pending) is retried after
    retry.backoff.ms (ConsumerCoordinator.fetchCommittedOffsets), then the position is set."""
    s = Script("transactional")
    s.consumer.txn_producer = TransactionalProducer("app-0")
    s.reply(JoinResponse(None, 1, "m", ("m",)))
    s.reply(SyncResponse(None, (0,)))
    s.reply(InitProducerIdResponse(None, 1000, 0))
    assert s.command.request == OffsetFetch((0,), True)
    s.reply(OffsetFetchResponse((), "UNSTABLE_OFFSET_COMMIT"), now=S)
    assert s.command == Wait(S + 100_000, wakeable=False)
    s.reply(None, now=S + 100_000)
    assert s.command.request == OffsetFetch((0,), True)
    s.reply(OffsetFetchResponse((7,)))
    assert s.consumer.positions == {0: 7}


def test_a_committed_transaction_sends_the_offsets_with_the_group_metadata():
    """KIP-447: the TxnOffsetCommit carries the member id and generation; EndTxn(commit)."""
    s = started()
    through_processing(s)
    request = s.command.request
    assert isinstance(request, TxnOffsetCommit)
    assert (request.member_id, request.generation, request.offsets) == ("m", 1, ((0, 17),))
    s.reply(CommitResponse(None))
    assert s.command.request == EndTxn("app-0", 1000, 0, True)
    assert s.command.point == "in-commit"
    s.reply(TxnResponse(None))
    assert s.command == LoopPoint("after-commit", 1)
    assert s.consumer.txn_producer.state == READY


def aborted_and_rewound(s, committed=7):
    """The application's answer to an abortable error: EndTxn(abort), then the positions back at
    the stable committed offset (OffsetFetch with requireStable), the producer ready again."""
    assert s.command.request == EndTxn("app-0", 1000, 0, False)
    s.reply(TxnResponse(None))
    assert s.command.request == OffsetFetch((0,), True)
    s.reply(OffsetFetchResponse((committed,)))
    assert s.consumer.positions == {0: committed}
    assert s.consumer.txn_producer.state == READY


def test_a_group_metadata_mismatch_aborts_and_seeks_back_to_the_committed_offsets():
    """TxnOffsetCommit refused with ILLEGAL_GENERATION (a zombie's, KIP-447) is abortable
    (TxnOffsetCommitHandler: CommitFailedException): abortTransaction, then the positions go
    back to the stable committed offsets, and the batch is read again."""
    s = started(committed=7)
    through_processing(s)
    s.reply(CommitResponse("ILLEGAL_GENERATION"))
    aborted_and_rewound(s)
    assert isinstance(s.skip_points(), ReadLog)


def test_a_fenced_producer_is_fatal_and_the_application_exits():
    """PRODUCER_FENCED on EndTxn (a newer instance of app-0 bumped the epoch) is fatal: no
    abort, the loop unwinds and the process exits with an error."""
    s = started()
    through_processing(s)
    s.reply(CommitResponse(None))
    s.reply(TxnResponse("PRODUCER_FENCED"))
    assert s.consumer.txn_producer.state == FATAL_ERROR
    while not isinstance(s.command, Stopped):  # close(): LeaveGroup and the loop's end
        s.reply(CommitResponse(None) if isinstance(s.command, Call) else None)
    assert s.command == Stopped("error")


def test_a_coordinator_error_is_retried_with_the_same_request():
    """COORDINATOR_LOAD_IN_PROGRESS on AddOffsetsToTxn: retried after retry.backoff.ms."""
    s = started()
    through_processing(s, stop_before_offsets=True)
    first = s.command.request
    s.reply(TxnResponse("COORDINATOR_LOAD_IN_PROGRESS"), now=2 * S)
    assert s.command == Wait(2 * S + 100_000, wakeable=False)
    s.reply(None, now=2 * S + 100_000)
    assert s.command.request == first


def test_librdkafka_asks_for_stable_offsets_only_with_read_committed():
    """rdkafka_assignment.c rd_kafka_assignment_serve_pending: require_stable_offsets =
    isolation.level == read_committed (the default); read_uncommitted reads the committed
    offset even while a transaction's offsets are pending. Java always asks
    (ConsumerCoordinator.sendOffsetFetchRequest)."""
    started(client="librdkafka", require_stable=False)  # asserts OffsetFetch((0,), False)
    s = started(client="librdkafka")
    through_processing(s)
    assert isinstance(s.command.request, TxnOffsetCommit)


def test_librdkafka_retries_a_txn_offset_commit_after_its_own_500_ms():
    """rd_kafka_txn_handle_TxnOffsetCommit: a retriable error is retried through
    rd_kafka_coord_req with a 500 ms delay (Java: retry.backoff.ms)."""
    s = started(client="librdkafka")
    through_processing(s)
    first = s.command.request
    s.reply(CommitResponse("COORDINATOR_LOAD_IN_PROGRESS"), now=2 * S)
    assert s.command == Wait(2 * S + 500_000, wakeable=False)
    s.reply(None, now=2 * S + 500_000)
    assert s.command.request == first


@pytest.mark.parametrize("client", ["java", "librdkafka"])
def test_end_txn_timed_out_is_retried_by_java_and_aborts_with_librdkafka(client):
    """REQUEST_TIMED_OUT on EndTxn(commit): Java's EndTxnHandler re-enqueues a
    RetriableException; librdkafka's rd_kafka_txn_handle_EndTxn knows no such case (an
    unhandled error is permanent): the commit fails abortable, the application aborts and
    rewinds to the committed offsets (librdkafka's examples/transactions.c)."""
    s = started(committed=7, client=client)
    through_processing(s)
    s.reply(CommitResponse(None))
    s.reply(TxnResponse("REQUEST_TIMED_OUT"), now=2 * S)
    if client == "java":
        assert s.command == Wait(2 * S + 100_000, wakeable=False)
        s.reply(None, now=2 * S + 100_000)
        assert s.command.request == EndTxn("app-0", 1000, 0, True)
        return
    aborted_and_rewound(s)


def test_a_batch_whose_transaction_aborted_before_processing_is_not_processed():
    """AddPartitionsToTxn answered UNKNOWN_PRODUCER_ID (abortable, KIP-360): the application
    aborts the transaction (EndTxn abort, the epoch bumped by InitProducerId), seeks back to
    the committed offsets and polls again; the batch it held is not processed outside a
    transaction (the KafkaProducer javadoc's loop: catch KafkaException, abortTransaction)."""
    s = started(committed=7)
    s.reply((30,), S)
    assert isinstance(s.command.request, AddPartitionsToTxn)
    s.reply(TxnResponse("UNKNOWN_PRODUCER_ID"))
    assert s.command.request == EndTxn("app-0", 1000, 0, False)
    s.reply(TxnResponse(None))
    assert isinstance(s.command.request, InitProducerId)
    s.reply(InitProducerIdResponse(None, 1000, 1))
    assert s.command.request == OffsetFetch((0,), True)
    s.reply(OffsetFetchResponse((7,)))
    assert isinstance(s.skip_points(), ReadLog) and s.consumer.positions == {0: 7}
