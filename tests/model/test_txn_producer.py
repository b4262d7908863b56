"""The transactional producer's client state machine, fed by hand (sim/model/txn_producer.py).
Source: Kafka's clients/.../producer/internals/TransactionManager.java (TxM) and its request
handlers."""

import pytest

from sim.model import txn_producer as tp
from sim.model.messages import TxnOffsetCommit
from sim.model.txn_messages import (
    AddOffsetsToTxn,
    AddPartitionsToTxn,
    EndTxn,
    InitProducerId,
    InitProducerIdResponse,
)
from sim.model.txn_producer import TransactionalProducer


def ready(pid=1000, epoch=0):
    producer = TransactionalProducer("app-0")
    (request,) = producer.init_transactions()
    producer.on_response(request, None, InitProducerIdResponse(None, pid, epoch))
    return producer


def in_transaction():
    producer = ready()
    producer.begin_transaction()
    return producer


def test_init_then_a_transaction_from_ready():
    """TxM: initializeTransactions UNINITIALIZED -> INITIALIZING, READY on the producer id;
    beginTransaction READY -> IN_TRANSACTION."""
    producer = ready(pid=7, epoch=3)
    assert (producer.state, producer.producer_id, producer.epoch) == (tp.READY, 7, 3)
    producer.begin_transaction()
    assert producer.state == tp.IN_TRANSACTION


def test_the_first_send_to_a_partition_adds_it_to_the_transaction():
    """TxM.maybeAddPartition: only partitions not yet in the transaction are added."""
    producer = in_transaction()
    (first,) = producer.send([("out", 0), ("out", 1)])
    assert isinstance(first, AddPartitionsToTxn) and first.partitions == (("out", 0), ("out", 1))
    assert producer.send([("out", 1)]) == []


def test_send_offsets_adds_the_group_then_commits_with_the_group_metadata():
    """TxM.sendOffsetsToTransaction: AddOffsetsToTxn, then (AddOffsetsToTxnHandler) a
    TxnOffsetCommit carrying the consumer's member id and generation (KIP-447)."""
    producer = in_transaction()
    (add,) = producer.send_offsets_to_transaction("group-a")
    assert isinstance(add, AddOffsetsToTxn) and add.group_id == "group-a"
    commit = producer.txn_offset_commit(((0, 10),), "consumer-0-0", 4)
    assert isinstance(commit, TxnOffsetCommit)
    assert (commit.producer_id, commit.epoch, commit.generation) == (1000, 0, 4)


def test_a_commit_ends_in_ready():
    """TxM.beginCommit: IN_TRANSACTION -> COMMITTING_TRANSACTION, EndTxn(commit); on success
    completeTransaction -> READY."""
    producer = in_transaction()
    producer.send([("out", 0)])
    (end,) = producer.commit_transaction()
    assert isinstance(end, EndTxn) and end.commit
    assert producer.on_response(end, None) is None
    assert producer.state == tp.READY and producer.partitions == set()


def test_producer_fenced_is_fatal_wherever_it_comes():
    """TxM handlers: INVALID_PRODUCER_EPOCH or PRODUCER_FENCED from InitProducerId,
    AddPartitions, AddOffsets, TxnOffsetCommit or EndTxn -> fatalError(ProducerFenced)."""
    for request in (
        InitProducerId("t", 1),
        AddPartitionsToTxn("t", 1, 0, ()),
        AddOffsetsToTxn("t", 1, 0, "g"),
        TxnOffsetCommit("t", 1, 0, "m", 1, ()),
        EndTxn("t", 1, 0, True),
    ):
        for error in ("PRODUCER_FENCED", "INVALID_PRODUCER_EPOCH"):
            assert tp.classify(request, error) == tp.FATAL


def test_a_fenced_commit_leaves_the_producer_useless():
    """FATAL_ERROR: every later call fails (maybeFailWithError), abort included."""
    producer = in_transaction()
    (end,) = producer.commit_transaction()
    assert producer.on_response(end, "PRODUCER_FENCED") == tp.FATAL
    assert producer.state == tp.FATAL_ERROR
    with pytest.raises(tp.ProducerStateError, match="PRODUCER_FENCED"):
        producer.abort_transaction()


def test_a_group_metadata_mismatch_is_abortable_kip_447():
    """TxnOffsetCommitHandler: UNKNOWN_MEMBER_ID or ILLEGAL_GENERATION -> abortableError
    (CommitFailedException): the application aborts the transaction and goes on."""
    producer = in_transaction()
    request = producer.txn_offset_commit(((0, 10),), "consumer-0-0", 3)
    assert producer.on_response(request, "ILLEGAL_GENERATION") == tp.ABORTABLE
    with pytest.raises(tp.ProducerStateError):
        producer.commit_transaction()
    (end,) = producer.abort_transaction()
    assert isinstance(end, EndTxn) and not end.commit
    producer.on_response(end, None)
    assert producer.state == tp.READY


def test_coordinator_errors_look_the_coordinator_up_and_retry():
    """Handlers: NOT_COORDINATOR or COORDINATOR_NOT_AVAILABLE -> lookupCoordinator and
    reenqueue; retriable errors (COORDINATOR_LOAD_IN_PROGRESS, CONCURRENT_TRANSACTIONS) ->
    reenqueue. The group coordinator's REQUEST_TIMED_OUT is looked up again too."""
    end = EndTxn("t", 1, 0, True)
    assert tp.classify(end, "NOT_COORDINATOR") == tp.REDISCOVER
    assert tp.classify(end, "COORDINATOR_LOAD_IN_PROGRESS") == tp.RETRY
    assert tp.classify(AddPartitionsToTxn("t", 1, 0, ()), "CONCURRENT_TRANSACTIONS") == tp.RETRY
    commit = TxnOffsetCommit("t", 1, 0, "m", 1, ())
    assert tp.classify(commit, "REQUEST_TIMED_OUT") == tp.REDISCOVER
    producer = in_transaction()
    assert producer.on_response(end, "NOT_COORDINATOR") == tp.REDISCOVER
    assert producer.state == tp.IN_TRANSACTION


def test_a_produce_error_is_abortable_and_the_abort_bumps_the_epoch():
    """maybeTransitionToErrorState: a failed produce (INVALID_PRODUCER_EPOCH from the log) is
    abortable, with an epoch bump required; beginAbort then sends EndTxn(abort) followed by
    InitProducerId with the current id and epoch (KIP-360), and the EndTxn leaves the producer
    INITIALIZING until that answer."""
    producer = in_transaction()
    assert producer.on_response(None, "INVALID_PRODUCER_EPOCH") == tp.ABORTABLE
    end, bump = producer.abort_transaction()
    assert isinstance(end, EndTxn) and (bump.producer_id, bump.epoch) == (1000, 0)
    producer.on_response(end, None)
    assert producer.state == tp.INITIALIZING
    producer.on_response(bump, None, InitProducerIdResponse(None, 1000, 1))
    assert (producer.state, producer.epoch) == (tp.READY, 1)


def test_librdkafka_takes_a_produce_epoch_error_as_fenced_at_once():
    """rdkafka_request.c rd_kafka_handle_Produce_error: a transactional producer's
    INVALID_PRODUCER_EPOCH on produce is fatal (fenced by a newer instance); Java's is
    abortable (TxM.maybeTransitionToErrorState)."""
    assert tp.classify(None, "INVALID_PRODUCER_EPOCH", client="librdkafka") == tp.FATAL
    assert tp.classify(None, "INVALID_PRODUCER_EPOCH") == tp.ABORTABLE
    assert tp.classify(None, "NOT_ENOUGH_REPLICAS", client="librdkafka") == tp.ABORTABLE


def test_invalid_txn_state_is_fatal():
    """AddPartitions, AddOffsets, EndTxn handlers: INVALID_TXN_STATE -> fatalError."""
    assert tp.classify(EndTxn("t", 1, 0, True), "INVALID_TXN_STATE") == tp.FATAL


def test_every_state_is_entered_only_from_its_table():
    """TxM.State.isTransitionValid: e.g. no transaction begins before initTransactions."""
    producer = TransactionalProducer("app-0")
    with pytest.raises(tp.ProducerStateError):
        producer.begin_transaction()
