"""The transaction coordinator fed by hand (sim/model/transactions.py). Sources: Kafka's
core/src/main/scala/kafka/coordinator/transaction/ TransactionCoordinator.scala (TC),
TransactionMetadata.scala (TM), TransactionStateManager.scala (TSM)."""

import pytest

from sim.model import transactions as tx
from sim.model.transactions import TransactionCoordinator, WriteMarkers
from sim.model.txn_messages import (
    OFFSETS_TOPIC,
    AddOffsetsToTxn,
    AddPartitionsToTxn,
    EndTxn,
    InitProducerId,
)

TID = "app-0"
TIMEOUT = 60_000_000
OUT = (("out", 0), ("out", 1))


def responses(outputs):
    return [o.response for o in outputs if isinstance(o, tx.Reply)]


def markers(outputs):
    return [o for o in outputs if isinstance(o, WriteMarkers)]


def init(tc, now=0, producer_id=-1, epoch=-1):
    (reply,) = responses(
        tc.init_producer_id(now, 1, InitProducerId(TID, TIMEOUT, producer_id, epoch))
    )
    return reply


def add(tc, pid, epoch, now=0, partitions=OUT):
    (reply,) = responses(tc.add_partitions(now, 2, AddPartitionsToTxn(TID, pid, epoch, partitions)))
    return reply.error


def end(tc, pid, epoch, commit=True, now=0):
    out = tc.end_txn(now, 3, EndTxn(TID, pid, epoch, commit))
    (reply,) = responses(out)
    return reply.error, markers(out)


def test_a_new_transactional_id_gets_a_producer_id_at_epoch_0():
    """TC.handleInitProducerId: no metadata yet, a producer id is generated and the epoch bumped
    from NO_PRODUCER_EPOCH to 0 (TM.prepareIncrementProducerEpoch)."""
    tc = TransactionCoordinator()
    reply = init(tc)
    assert (reply.error, reply.epoch) == (None, 0) and reply.producer_id >= 0
    assert tc.transactions[TID].state == tx.EMPTY


def test_init_again_bumps_the_epoch_and_fences_the_older_producer():
    """TM.prepareIncrementProducerEpoch: a second producer with the same transactional.id gets
    the same producer id at epoch + 1; the first one's requests now get PRODUCER_FENCED (TC:
    `txnMetadata.producerEpoch != producerEpoch`)."""
    tc = TransactionCoordinator()
    old = init(tc)
    new = init(tc)
    assert (new.producer_id, new.epoch) == (old.producer_id, old.epoch + 1)
    assert add(tc, old.producer_id, old.epoch) == "PRODUCER_FENCED"
    assert add(tc, new.producer_id, new.epoch) is None


def test_init_during_an_open_transaction_aborts_it_at_a_bumped_epoch_and_asks_to_retry():
    """TC.prepareInitProducerIdTransit, Ongoing: prepareFenceProducerEpoch, then the open
    transaction is aborted (endTransaction, isFromClient = false) with ABORT markers at the
    bumped epoch, and the new producer gets CONCURRENT_TRANSACTIONS; its retry, once the
    markers are written, bumps the epoch again."""
    tc = TransactionCoordinator()
    old = init(tc)
    add(tc, old.producer_id, old.epoch)
    out = tc.init_producer_id(5, 1, InitProducerId(TID, TIMEOUT))
    assert [r.error for r in responses(out)] == ["CONCURRENT_TRANSACTIONS"]
    (abort,) = markers(out)
    assert (abort.commit, abort.epoch, abort.partitions) == (False, old.epoch + 1, OUT)
    assert tc.transactions[TID].state == tx.PREPARE_ABORT
    assert init(tc).error == "CONCURRENT_TRANSACTIONS"  # markers not written yet
    tc.markers_written(6, TID)
    assert init(tc).epoch == old.epoch + 2


def test_a_kip_360_bump_with_the_current_epoch_keeps_the_producer_and_remembers_the_epoch():
    """TM.prepareIncrementProducerEpoch with an expected epoch equal to the current one: bumped,
    and the old epoch kept as lastProducerEpoch, so a retry of the same request is answered
    with the current epoch, not fenced."""
    tc = TransactionCoordinator()
    first = init(tc)
    bumped = init(tc, producer_id=first.producer_id, epoch=first.epoch)
    assert (bumped.error, bumped.epoch) == (None, first.epoch + 1)
    retry = init(tc, producer_id=first.producer_id, epoch=first.epoch)
    assert (retry.error, retry.epoch) == (None, first.epoch + 1)


def test_a_kip_360_bump_with_a_fenced_epoch_is_refused():
    """TM.prepareIncrementProducerEpoch: an expected epoch that is neither the current nor the
    last one belongs to a fenced producer: PRODUCER_FENCED."""
    tc = TransactionCoordinator()
    old = init(tc)
    init(tc)  # a new producer: the last epoch is forgotten (NO_PRODUCER_EPOCH)
    assert init(tc, producer_id=old.producer_id, epoch=old.epoch).error == "PRODUCER_FENCED"


def test_a_timeout_above_the_brokers_maximum_is_refused():
    """TSM.validateTransactionTimeoutMs: transaction.timeout.ms <= transaction.max.timeout.ms."""
    tc = TransactionCoordinator()
    out = tc.init_producer_id(0, 1, InitProducerId(TID, tx.MAX_TIMEOUT_US + 1))
    assert responses(out)[0].error == "INVALID_TRANSACTION_TIMEOUT"


def test_adding_partitions_opens_the_transaction_and_starts_its_clock():
    """TM.prepareAddPartitions: Empty -> Ongoing with the start time set; later additions keep
    it."""
    tc = TransactionCoordinator()
    p = init(tc)
    assert add(tc, p.producer_id, p.epoch, now=100, partitions=OUT[:1]) is None
    assert add(tc, p.producer_id, p.epoch, now=200, partitions=OUT[1:]) is None
    txn = tc.transactions[TID]
    assert (txn.state, txn.start_us, txn.partitions) == (tx.ONGOING, 100, set(OUT))


def test_add_offsets_adds_the_groups_offsets_partition():
    """KafkaApis.handleAddOffsetsToTxnRequest: the group's __consumer_offsets partition is added
    through handleAddPartitionsToTransaction, so it gets the transaction's marker too."""
    tc = TransactionCoordinator()
    p = init(tc)
    request = AddOffsetsToTxn(TID, p.producer_id, p.epoch, "group-a")
    assert responses(tc.add_offsets(0, 2, request))[0].error is None
    _, (written,) = end(tc, p.producer_id, p.epoch)
    assert (OFFSETS_TOPIC, "group-a") in written.partitions


def test_a_wrong_producer_id_is_an_invalid_mapping():
    """TC.handleAddPartitionsToTransaction: `txnMetadata.producerId != producerId`."""
    tc = TransactionCoordinator()
    p = init(tc)
    assert add(tc, p.producer_id + 7, p.epoch) == "INVALID_PRODUCER_ID_MAPPING"


def test_commit_answers_at_once_and_asks_for_a_marker_in_every_partition():
    """TC.endTransaction: Ongoing -> PrepareCommit, the client is answered once the prepare is
    in the log, and the COMMIT markers go to every partition of the transaction; CompleteCommit
    when they are written (TM.prepareComplete)."""
    tc = TransactionCoordinator()
    p = init(tc)
    add(tc, p.producer_id, p.epoch)
    error, (written,) = end(tc, p.producer_id, p.epoch)
    assert error is None and (written.commit, written.partitions) == (True, OUT)
    assert tc.transactions[TID].state == tx.PREPARE_COMMIT
    tc.markers_written(1, TID)
    assert tc.transactions[TID].state == tx.COMPLETE_COMMIT


def test_the_next_transaction_waits_for_the_markers_of_the_last():
    """TC.handleAddPartitionsToTransaction: PrepareCommit or PrepareAbort ->
    CONCURRENT_TRANSACTIONS (the client backs off and retries)."""
    tc = TransactionCoordinator()
    p = init(tc)
    add(tc, p.producer_id, p.epoch)
    end(tc, p.producer_id, p.epoch)
    assert add(tc, p.producer_id, p.epoch) == "CONCURRENT_TRANSACTIONS"
    tc.markers_written(1, TID)
    assert add(tc, p.producer_id, p.epoch) is None


@pytest.mark.parametrize(
    ("state_commit", "retry_commit", "error"),
    [
        (True, True, None),  # a retried commit of a committed transaction
        (False, False, None),
        (True, False, "INVALID_TXN_STATE"),
        (False, True, "INVALID_TXN_STATE"),
    ],
)
def test_a_repeated_end_is_answered_by_the_finished_state(state_commit, retry_commit, error):
    """TC.endTransaction on CompleteCommit / CompleteAbort: the same result again is a retry
    (no error), the other one is INVALID_TXN_STATE."""
    tc = TransactionCoordinator()
    p = init(tc)
    add(tc, p.producer_id, p.epoch)
    end(tc, p.producer_id, p.epoch, commit=state_commit)
    tc.markers_written(1, TID)
    assert end(tc, p.producer_id, p.epoch, commit=retry_commit) == (error, [])


def test_ending_a_transaction_that_never_began_is_an_invalid_state():
    """TC.endTransaction on Empty: INVALID_TXN_STATE."""
    tc = TransactionCoordinator()
    p = init(tc)
    assert end(tc, p.producer_id, p.epoch)[0] == "INVALID_TXN_STATE"


def test_a_fenced_producer_cannot_commit():
    """TC.endTransaction (transaction version 1): the request's epoch must equal the current
    one; a zombie's commit after a new instance started is PRODUCER_FENCED."""
    tc = TransactionCoordinator()
    old = init(tc)
    new = init(tc)
    assert end(tc, old.producer_id, old.epoch)[0] == "PRODUCER_FENCED"
    assert new.epoch > old.epoch


def test_a_transaction_past_its_timeout_is_aborted_and_its_producer_fenced():
    """TSM.timedOutTransactions (Ongoing and start + timeout < now, strictly) and
    TC.abortTimedOutTransactions: the epoch is fenced and the transaction aborted; the producer,
    if alive, then gets PRODUCER_FENCED."""
    tc = TransactionCoordinator()
    p = init(tc)
    add(tc, p.producer_id, p.epoch, now=1_000)
    assert tc.abort_timed_out(1_000 + TIMEOUT) == []  # not strictly past
    (abort,) = markers(tc.abort_timed_out(1_001 + TIMEOUT))
    assert (abort.commit, abort.epoch) == (False, p.epoch + 1)
    assert end(tc, p.producer_id, p.epoch)[0] == "PRODUCER_FENCED"


def test_a_failover_answers_not_coordinator_then_loading():
    """TSM.getTransactionState while the log partition is not (yet) served: NOT_COORDINATOR,
    then COORDINATOR_LOAD_IN_PROGRESS while loading."""
    tc = TransactionCoordinator()
    tc.failover(0)
    request = InitProducerId(TID, TIMEOUT)
    assert responses(tc.refuse(1, request))[0].error == "NOT_COORDINATOR"
    tc.start_loading(1)
    assert responses(tc.refuse(1, request))[0].error == "COORDINATOR_LOAD_IN_PROGRESS"
    tc.loaded(2)
    assert tc.refuse(1, request) is None


def test_the_new_coordinator_resends_the_markers_of_a_prepared_transaction():
    """TSM.loadTransactionsForTxnTopicPartition: a transaction in PrepareCommit or PrepareAbort
    gets its markers sent again; the old coordinator's report that it wrote them is void."""
    tc = TransactionCoordinator()
    p = init(tc)
    add(tc, p.producer_id, p.epoch)
    end(tc, p.producer_id, p.epoch)
    tc.failover(1)
    tc.markers_written(2, TID)
    assert tc.transactions[TID].state == tx.PREPARE_COMMIT
    (again,) = tc.loaded(3)
    assert (again.commit, again.partitions) == (True, OUT)
    tc.markers_written(4, TID)
    assert tc.transactions[TID].state == tx.COMPLETE_COMMIT


def test_every_transition_follows_the_state_table():
    """TM.prepareTransitionTo: a target state is entered only from its validPreviousStates."""
    txn = tx.TransactionMetadata(producer_id=1)
    with pytest.raises(AssertionError):
        txn.transition(tx.PREPARE_COMMIT)  # Empty -> PrepareCommit is not in the table
    txn.transition(tx.ONGOING)
    txn.transition(tx.PREPARE_EPOCH_FENCE)
    txn.transition(tx.PREPARE_ABORT)
