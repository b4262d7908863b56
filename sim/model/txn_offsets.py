"""Transactional offset commits, held by the group coordinator until their transaction ends.

What Kafka's OffsetMetadataManager keeps for them (group-coordinator/.../OffsetMetadataManager):
a TxnOffsetCommit's offsets are pending, per producer id (`pendingTransactionalOffsets`), until
the transaction's marker reaches the group's `__consumer_offsets` partition
(`replayEndTransactionMarker`): a COMMIT makes them the committed offsets, unless a plain commit
of the same partition was written after them ("we always keep the most recent committed offset"),
an ABORT drops them. While any are pending for a partition, an OffsetFetch with `requireStable`
gets UNSTABLE_OFFSET_COMMIT for it (`fetchOffsets`), and the consumer retries.

The offsets partition also keeps each producer's last epoch, as every log does
(ProducerAppendInfo.checkProducerEpoch): a TxnOffsetCommit or marker from an older epoch is
refused with INVALID_PRODUCER_EPOCH, which the producer reads as PRODUCER_FENCED.

It owns the pending offsets and the producers' epochs; it never reads a clock or draws a number.
`writes` numbers the writes to `__consumer_offsets`, in the order the coordinator appends them
(its record offset).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .coordinator_outputs import ACTIVE
from .messages import Offsets


@dataclass
class PendingOffsets:
    # producer id -> partition -> (offset, the write that carried it)
    pending: dict[int, dict[int, tuple[int, int]]] = field(default_factory=dict)
    epochs: dict[int, int] = field(default_factory=dict)  # producer id -> last epoch written
    writes: int = 0
    last_plain: dict[int, int] = field(default_factory=dict)  # partition -> its last plain write

    def add(self, producer_id: int, epoch: int, offsets: Offsets) -> str | None:
        """A TxnOffsetCommit, already checked against the group: None (pending now) or the
        error."""
        error = self._epoch_error(producer_id, epoch)
        if error is not None:
            return error
        self.writes += 1
        held = self.pending.setdefault(producer_id, {})
        for partition, offset in offsets:
            held[partition] = (offset, self.writes)
        return None

    def plain_commit(self, offsets: Offsets) -> None:
        """A plain OffsetCommit was written (called while some transaction is pending)."""
        self.writes += 1
        for partition, _ in offsets:
            self.last_plain[partition] = self.writes

    def end(self, producer_id: int, epoch: int, commit: bool) -> tuple[str | None, Offsets]:
        """The transaction's marker: (error, the offsets that become committed)."""
        error = self._epoch_error(producer_id, epoch)
        if error is not None:
            return error, ()
        held = self.pending.pop(producer_id, {})
        if not commit:
            return None, ()
        newer = tuple(
            (partition, offset)
            for partition, (offset, write) in sorted(held.items())
            if write > self.last_plain.get(partition, 0)
        )
        return None, newer

    def unstable(self, partitions) -> bool:
        """Whether any of these partitions has a pending transactional offset."""
        return any(p in held for held in self.pending.values() for p in partitions)

    def _epoch_error(self, producer_id: int, epoch: int) -> str | None:
        if epoch < self.epochs.get(producer_id, epoch):
            return "INVALID_PRODUCER_EPOCH"
        self.epochs[producer_id] = epoch
        return None


class MarkerTarget:
    """A group coordinator's side of a transaction marker, the same in both protocols: it holds
    `txn_offsets` (PendingOffsets), `committed` and `status`."""

    def txn_marker(self, now: int, producer_id: int, epoch: int, commit: bool):
        """A transaction marker reached the group's __consumer_offsets partition: (error, the
        offsets it made committed). While no broker serves the group the partition has no
        leader: NOT_LEADER_OR_FOLLOWER, and the transaction coordinator retries."""
        if self.status != ACTIVE:
            return "NOT_LEADER_OR_FOLLOWER", ()
        error, offsets = self.txn_offsets.end(producer_id, epoch, commit)
        for partition, offset in offsets:
            self.committed[partition] = offset
        return error, offsets
