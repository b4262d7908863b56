"""The transactional producer's client state machine, fed by hand (sim/model/txn_producer.py).
Source: Kafka's clients/.../producer/internals/TransactionManager.java (TxM) and its request
handlers."""

import pytest

from sim.model import txn_errors as te
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
            assert te.classify(request, error) == te.FATAL


def test_a_fenced_commit_leaves_the_producer_useless():
    """FATAL_ERROR: every later call fails (maybeFailWithError), abort included."""
    producer = in_transaction()
    (end,) = producer.commit_transaction()
    assert producer.on_response(end, "PRODUCER_FENCED") == te.FATAL
    assert producer.state == tp.FATAL_ERROR
    with pytest.raises(tp.ProducerStateError, match="PRODUCER_FENCED"):
        producer.abort_transaction()


def test_a_group_metadata_mismatch_is_abortable_kip_447():
    """TxnOffsetCommitHandler: UNKNOWN_MEMBER_ID or ILLEGAL_GENERATION -> abortableError
    (CommitFailedException): the application aborts the transaction and goes on."""
    producer = in_transaction()
    request = producer.txn_offset_commit(((0, 10),), "consumer-0-0", 3)
    assert producer.on_response(request, "ILLEGAL_GENERATION") == te.ABORTABLE
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
    assert te.classify(end, "NOT_COORDINATOR") == te.REDISCOVER
    assert te.classify(end, "COORDINATOR_LOAD_IN_PROGRESS") == te.RETRY
    assert te.classify(AddPartitionsToTxn("t", 1, 0, ()), "CONCURRENT_TRANSACTIONS") == te.RETRY
    commit = TxnOffsetCommit("t", 1, 0, "m", 1, ())
    assert te.classify(commit, "REQUEST_TIMED_OUT") == te.REDISCOVER
    producer = in_transaction()
    assert producer.on_response(end, "NOT_COORDINATOR") == te.REDISCOVER
    assert producer.state == tp.IN_TRANSACTION


def test_a_produce_error_is_abortable_and_the_abort_bumps_the_epoch():
    """maybeTransitionToErrorState: a failed produce (INVALID_PRODUCER_EPOCH from the log) is
    abortable, with an epoch bump required; beginAbort then sends EndTxn(abort) followed by
    InitProducerId with the current id and epoch (KIP-360), and the EndTxn leaves the producer
    INITIALIZING until that answer."""
    producer = in_transaction()
    assert producer.on_response(None, "INVALID_PRODUCER_EPOCH") == te.ABORTABLE
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
    assert te.classify(None, "INVALID_PRODUCER_EPOCH", client="librdkafka") == te.FATAL
    assert te.classify(None, "INVALID_PRODUCER_EPOCH") == te.ABORTABLE
    assert te.classify(None, "NOT_ENOUGH_REPLICAS", client="librdkafka") == te.ABORTABLE


def test_invalid_txn_state_is_fatal():
    """AddPartitions, AddOffsets, EndTxn handlers: INVALID_TXN_STATE -> fatalError."""
    assert te.classify(EndTxn("t", 1, 0, True), "INVALID_TXN_STATE") == te.FATAL


def test_every_state_is_entered_only_from_its_table():
    """TxM.State.isTransitionValid: e.g. no transaction begins before initTransactions."""
    producer = TransactionalProducer("app-0")
    with pytest.raises(tp.ProducerStateError):
        producer.begin_transaction()


# ---- librdkafka's handlers (rdkafka_txnmgr.c), where they differ from Java's -------------------

OFFSETS = TxnOffsetCommit("t", 1, 0, "m", 1, ())
ADD_OFFSETS = AddOffsetsToTxn("t", 1, 0, "g")
ADD_PARTITIONS = AddPartitionsToTxn("t", 1, 0, ())
END = EndTxn("t", 1, 0, True)
INIT = InitProducerId("t", 60_000_000)


@pytest.mark.parametrize(
    ("request_", "error", "java", "librdkafka"),
    [
        # rd_kafka_txn_handle_EndTxn and _AddPartitionsToTxn have no case for it: permanent,
        # abortable; Java re-enqueues a RetriableException.
        (END, "REQUEST_TIMED_OUT", te.RETRY, te.ABORTABLE),
        (ADD_PARTITIONS, "REQUEST_TIMED_OUT", te.RETRY, te.ABORTABLE),
        # rd_kafka_txn_handle_AddOffsetsToTxn: REQUEST_TIMED_OUT refreshes the coordinator.
        (ADD_OFFSETS, "REQUEST_TIMED_OUT", te.RETRY, te.REDISCOVER),
        # An unknown producer on the offsets: Java fatal, librdkafka permanent (abortable).
        (OFFSETS, "UNKNOWN_PRODUCER_ID", te.FATAL, te.ABORTABLE),
        # Kafka answers librdkafka's AddOffsetsToTxn v0 INVALID_PRODUCER_EPOCH for
        # PRODUCER_FENCED (KafkaApis.handleAddOffsetsToTxnRequest): fatal either way.
        (ADD_OFFSETS, "PRODUCER_FENCED", te.FATAL, te.FATAL),
        # An unexpected error: Java's EndTxnHandler and AddOffsetsToTxnHandler fatalError,
        # AddPartitionsToTxnHandler a partition error (abortable); librdkafka: permanent.
        (END, "UNKNOWN_SERVER_ERROR", te.FATAL, te.ABORTABLE),
        (ADD_OFFSETS, "UNKNOWN_SERVER_ERROR", te.FATAL, te.ABORTABLE),
        (ADD_PARTITIONS, "UNKNOWN_SERVER_ERROR", te.ABORTABLE, te.ABORTABLE),
        # InitProducerId: rd_kafka_idemp_request_pid_failed retries all but a fenced producer,
        # an invalid timeout and authorization (rd_kafka_idemp_check_error); Java fatalError.
        (INIT, "INVALID_TXN_STATE", te.FATAL, te.RETRY),
        (INIT, "PRODUCER_FENCED", te.FATAL, te.FATAL),
        (INIT, "CONCURRENT_TRANSACTIONS", te.RETRY, te.RETRY),
        # Where they agree: KIP-447's group metadata mismatch, a fenced epoch, coordinators.
        (OFFSETS, "ILLEGAL_GENERATION", te.ABORTABLE, te.ABORTABLE),
        (OFFSETS, "INVALID_PRODUCER_EPOCH", te.FATAL, te.FATAL),
        (OFFSETS, "REQUEST_TIMED_OUT", te.REDISCOVER, te.REDISCOVER),
        (END, "PRODUCER_FENCED", te.FATAL, te.FATAL),
        (END, "NOT_COORDINATOR", te.REDISCOVER, te.REDISCOVER),
        (END, "CONCURRENT_TRANSACTIONS", te.RETRY, te.RETRY),
    ],
)
def test_each_clients_handler_decides_what_an_error_does(request_, error, java, librdkafka):
    assert te.classify(request_, error) == java
    assert te.classify(request_, error, client="librdkafka") == librdkafka


def test_an_unknown_producer_bumps_the_epoch_where_each_client_says():
    """KIP-360: Java's abortableErrorIfPossible on AddPartitions, AddOffsets and EndTxn;
    librdkafka's rd_kafka_idemp_drain_epoch_bump on AddPartitions and EndTxn only (its
    AddOffsetsToTxn handler makes it a plain abortable error)."""
    for request in (ADD_PARTITIONS, END):
        assert te.bumps_epoch(request, "UNKNOWN_PRODUCER_ID", "librdkafka")
    assert te.bumps_epoch(ADD_OFFSETS, "UNKNOWN_PRODUCER_ID", "java")
    assert not te.bumps_epoch(ADD_OFFSETS, "UNKNOWN_PRODUCER_ID", "librdkafka")
    producer = TransactionalProducer("app-0", client="librdkafka")
    (init,) = producer.init_transactions()
    producer.on_response(init, None, InitProducerIdResponse(None, 1000, 0))
    producer.begin_transaction()
    assert producer.on_response(ADD_OFFSETS, "UNKNOWN_PRODUCER_ID") == te.ABORTABLE
    assert producer.abort_transaction() == [EndTxn("app-0", 1000, 0, False)]  # no bump


def test_librdkafka_waits_its_own_retry_delays():
    """rd_kafka_txn_handle_AddPartitionsToTxn: 500 ms, 20 ms on CONCURRENT_TRANSACTIONS;
    rd_kafka_txn_handle_TxnOffsetCommit 500 ms; the PID timer 500 ms; EndTxn and
    AddOffsetsToTxn are retried as buffers after retry.backoff.ms. Java: retry.backoff.ms."""
    backoff = 100_000
    delay = te.retry_delay_us
    assert delay(ADD_PARTITIONS, "CONCURRENT_TRANSACTIONS", "librdkafka", backoff) == 20_000
    assert delay(ADD_PARTITIONS, "COORDINATOR_LOAD_IN_PROGRESS", "librdkafka", backoff) == 500_000
    assert delay(OFFSETS, "NOT_COORDINATOR", "librdkafka", backoff) == 500_000
    assert delay(INIT, "CONCURRENT_TRANSACTIONS", "librdkafka", backoff) == 500_000
    assert delay(END, "CONCURRENT_TRANSACTIONS", "librdkafka", backoff) == backoff
    assert delay(OFFSETS, "NOT_COORDINATOR", "java", backoff) == backoff


@pytest.mark.parametrize("client", ["java", "librdkafka"])
def test_an_abortable_error_while_aborting_fails_the_abort_without_a_transition(client):
    """Java's transitionToAbortableError skips it while ABORTING_TRANSACTION; librdkafka's
    rd_kafka_txn_state_transition_is_valid ignores it in BEGIN_ABORT/ABORTING_TRANSACTION:
    the state stays, the answer is abortable (the application's abort call throws)."""
    producer = TransactionalProducer("app-0", client=client)
    (init,) = producer.init_transactions()
    producer.on_response(init, None, InitProducerIdResponse(None, 1000, 0))
    producer.begin_transaction()
    (end,) = producer.abort_transaction()
    assert producer.on_response(end, "TRANSACTION_ABORTABLE") == te.ABORTABLE
    assert producer.state == tp.ABORTING_TRANSACTION
