"""The ledger's transaction events (the `transactional` strategy, docs/exactly-once.md): results
produced to the output topic, markers written, transactions ended, and the requests a fence
refused. Recorded and digested as every other event (`sim.ledger.recording`); runs without
transactions write none, so their digests do not move.
"""

from __future__ import annotations

from typing import NamedTuple

from sim.ledger.encoding import (
    MARKER,
    PRODUCED,
    TXN_ENDED,
    TXN_REFUSED,
    encode_ints,
    encode_text,
)

OFFSETS_PARTITION = -1  # a marker's partition when it went to the group's __consumer_offsets


class Produced(NamedTuple):
    """Output records [start, end) of `partition`: the results of input records
    [source_start, source_start + end - start) of the same partition."""

    seq: int
    at_us: int
    instance: int
    partition: int
    start: int
    end: int
    source_start: int
    producer_id: int
    epoch: int


class Marker(NamedTuple):
    """A COMMIT or ABORT control record at `offset` of an output partition, or (partition
    OFFSETS_PARTITION) the marker that made `offsets` the group's committed offsets."""

    seq: int
    at_us: int
    partition: int
    offset: int
    producer_id: int
    epoch: int
    commit: bool
    offsets: tuple


class TxnEnded(NamedTuple):
    seq: int
    at_us: int
    transactional_id: str
    producer_id: int
    epoch: int
    commit: bool


class TxnRefused(NamedTuple):
    """A transactional request or produce a fence refused (a zombie's: ILLEGAL_GENERATION,
    UNKNOWN_MEMBER_ID, PRODUCER_FENCED, INVALID_PRODUCER_EPOCH)."""

    seq: int
    at_us: int
    instance: int
    request: str
    error: str


class TxnRecording:
    """The transaction events' part of `sim.ledger.Ledger`."""

    def _txn_lists(self) -> None:
        self.produced_batches: list[Produced] = []
        self.markers: list[Marker] = []
        self.txns_ended: list[TxnEnded] = []
        self.txn_refusals: list[TxnRefused] = []

    def produced(self, at_us, instance, partition, start, end, source_start, pid, epoch) -> None:
        values = (at_us, instance, partition, start, end, source_start, pid, epoch)
        seq = self._emit("produced", values, PRODUCED(*values))
        self.last_us = at_us
        self.produced_batches.append(Produced(seq, *values))

    def marker(self, at_us, partition, offset, producer_id, epoch, commit, offsets=()) -> None:
        offsets = tuple((int(p), int(o)) for p, o in offsets)
        values = (at_us, partition, offset, producer_id, epoch, bool(commit), offsets)
        flat = encode_ints([x for pair in offsets for x in pair])
        seq = self._emit("marker", values, MARKER(*values[:6]) + flat)
        self.last_us = at_us
        self.markers.append(Marker(seq, *values))

    def txn_ended(self, at_us, transactional_id: str, producer_id, epoch, commit) -> None:
        values = (at_us, transactional_id, producer_id, epoch, bool(commit))
        record = TXN_ENDED(at_us, producer_id, epoch, bool(commit)) + encode_text(transactional_id)
        seq = self._emit("txn_ended", values, record)
        self.last_us = at_us
        self.txns_ended.append(TxnEnded(seq, *values))

    def txn_refused(self, at_us, instance, request: str, error: str) -> None:
        values = (at_us, instance, request, error)
        record = TXN_REFUSED(at_us, instance) + encode_text(request) + encode_text(error)
        seq = self._emit("txn_refused", values, record)
        self.last_us = at_us
        self.txn_refusals.append(TxnRefused(seq, *values))
