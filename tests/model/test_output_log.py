"""The output topic and its downstream reader fed by hand (sim/model/output_log.py). Sources:
Kafka's storage/.../log/ProducerAppendInfo.java (PAI), ProducerStateManager.java (PSM), and the
consumer's clients/.../consumer/internals/CompletedFetch.java (CF)."""

import pytest

from sim.model.output_log import (
    ABORT,
    COMMIT,
    READ_COMMITTED,
    READ_UNCOMMITTED,
    OutputTopic,
    Reader,
)

A, B = 1000, 1001  # two producer ids


def data(batches):
    return [(b.start, b.end) for b in batches]


def test_a_marker_takes_an_offset_and_is_never_returned():
    """PAI.appendEndTxnMarker appends a control batch of one record; CF.nextFetchedRecord skips
    control records but moves the fetch position past them, whatever the isolation level."""
    topic = OutputTopic(1)
    topic[0].append(A, 0, 3)
    assert topic[0].write_marker(A, 0, commit=True) == (None, 3)
    topic[0].append(A, 0, 2)
    committed = Reader(topic, READ_COMMITTED)
    assert data(committed.poll(0)) == [(0, 3)] and committed.positions[0] == 4  # past the marker
    uncommitted = Reader(topic, READ_UNCOMMITTED)
    assert data(uncommitted.poll(0)) == [(0, 3), (4, 6)] and uncommitted.positions[0] == 6
    assert [b.control for b in topic[0].batches] == [None, COMMIT, None]


def test_read_committed_stops_at_the_last_stable_offset():
    """PSM.firstUnstableOffset: the first offset of the earliest open transaction bounds what a
    read_committed fetch returns, other producers' committed records after it included."""
    topic = OutputTopic(1)
    topic[0].append(A, 0, 2)  # A's transaction opens at 0
    topic[0].append(B, 0, 3)
    topic[0].write_marker(B, 0, commit=True)
    assert topic[0].last_stable_offset() == 0
    reader = Reader(topic, READ_COMMITTED)
    assert reader.poll(0) == [] and reader.positions[0] == 0
    topic[0].write_marker(A, 0, commit=True)
    assert data(reader.poll(0)) == [(0, 2), (2, 5)] and reader.positions[0] == 7


def test_read_committed_skips_an_aborted_transaction_read_uncommitted_returns_it():
    """CF: with READ_COMMITTED, batches of a producer in the fetch's aborted transactions are
    skipped up to its ABORT marker; READ_UNCOMMITTED returns them."""
    topic = OutputTopic(1)
    topic[0].append(A, 0, 4)
    topic[0].write_marker(A, 0, commit=False)
    topic[0].append(A, 0, 2)
    topic[0].write_marker(A, 0, commit=True)
    assert data(Reader(topic, READ_COMMITTED).poll(0)) == [(5, 7)]
    assert data(Reader(topic, READ_UNCOMMITTED).poll(0)) == [(0, 4), (5, 7)]
    assert topic[0].aborted == [(A, 0, 4)] and topic[0].batches[1].control == ABORT


def test_a_write_from_an_older_epoch_is_refused():
    """PAI.checkProducerEpoch: a produce request whose epoch is below the producer's last one is
    refused with INVALID_PRODUCER_EPOCH: the fenced zombie cannot add records."""
    topic = OutputTopic(1)
    topic[0].append(A, 0, 1)
    topic[0].write_marker(A, 1, commit=False)  # the coordinator fenced epoch 0 and aborted
    assert topic[0].append(A, 0, 5) == ("INVALID_PRODUCER_EPOCH", -1, -1)
    assert topic[0].append(A, 2, 5) == (None, 2, 7)


def test_a_marker_written_twice_takes_a_second_offset_and_aborts_nothing_more():
    """PAI.appendEndTxnMarker without an open transaction (markers re-sent after a coordinator
    failover): the control record is appended, no completed transaction results."""
    topic = OutputTopic(1)
    topic[0].append(A, 0, 2)
    topic[0].write_marker(A, 0, commit=False)
    assert topic[0].write_marker(A, 0, commit=False) == (None, 3)
    assert topic[0].aborted == [(A, 0, 2)] and topic[0].end == 4


def test_a_reader_needs_a_known_isolation_level():
    with pytest.raises(ValueError, match="allowed: read_uncommitted, read_committed"):
        Reader(OutputTopic(1), "read_stale")
