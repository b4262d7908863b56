"""An output topic written by transactional producers, and the downstream reader of it.

A partition's log holds batches: data records stamped with their producer id and epoch (and
whether they belong to a transaction), and control records, the COMMIT and ABORT markers, each of
which occupies one offset. The log keeps what Kafka's log keeps for transactions
(storage/.../log/ProducerStateManager, ProducerAppendInfo): each producer's last epoch, a write
from an older epoch being refused (INVALID_PRODUCER_EPOCH, checkProducerEpoch); the open
transactions, whose first offset holds back the last stable offset (LSO); and the aborted
transactions (the transaction index a fetch response carries).

The reader is a consumer of the output topic (the fetcher's CompletedFetch.nextFetchedRecord):
`read_uncommitted` returns every data record up to the log end, aborted ones too; `read_committed`
stops at the LSO and skips the batches of aborted transactions; neither returns control records,
but both move their position past them. Java's default isolation is read_uncommitted,
librdkafka's read_committed.

It never reads a clock, draws a number or replicates: the high watermark is the log end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

READ_COMMITTED = "read_committed"
READ_UNCOMMITTED = "read_uncommitted"
ISOLATION_LEVELS = (READ_UNCOMMITTED, READ_COMMITTED)
COMMIT, ABORT = "COMMIT", "ABORT"


@dataclass(frozen=True, slots=True)
class Batch:
    """Offsets [start, end) written by one producer in one request; a marker has one offset."""

    start: int
    end: int
    producer_id: int
    epoch: int
    transactional: bool
    control: str | None = None  # None: data; COMMIT | ABORT: a transaction marker
    source: object = None  # what the records are the results of (the caller's)


@dataclass
class PartitionLog:
    """One partition of the output topic."""

    batches: list[Batch] = field(default_factory=list)
    end: int = 0  # the log end offset (and high watermark)
    epochs: dict[int, int] = field(default_factory=dict)  # producer id -> last epoch appended
    open_txns: dict[int, int] = field(default_factory=dict)  # producer id -> first offset
    aborted: list[tuple[int, int, int]] = field(default_factory=list)  # (pid, first, marker)

    def append(self, producer_id: int, epoch: int, count: int, transactional=True, source=None):
        """A produce request's records: (None, start, end), or (error, -1, -1) if refused."""
        error = self._epoch_error(producer_id, epoch)
        if error is not None:
            return error, -1, -1
        start = self.end
        self.end += count
        self.batches.append(Batch(start, self.end, producer_id, epoch, transactional, None, source))
        self.epochs[producer_id] = epoch
        if transactional:
            self.open_txns.setdefault(producer_id, start)
        return None, start, self.end

    def write_marker(self, producer_id: int, epoch: int, commit: bool):
        """A COMMIT or ABORT control record of the producer's transaction (appendEndTxnMarker):
        (None, its offset), or (error, -1). It takes an offset even when the producer has no
        open transaction here (a marker written twice, after a coordinator failover)."""
        error = self._epoch_error(producer_id, epoch)
        if error is not None:
            return error, -1
        offset = self.end
        self.end += 1
        kind = COMMIT if commit else ABORT
        self.batches.append(Batch(offset, offset + 1, producer_id, epoch, True, kind))
        self.epochs[producer_id] = epoch
        first = self.open_txns.pop(producer_id, None)
        if first is not None and not commit:
            self.aborted.append((producer_id, first, offset))
        return None, offset

    def last_stable_offset(self) -> int:
        """The first offset of the earliest open transaction, else the log end
        (ProducerStateManager.firstUnstableOffset; replication not modelled)."""
        return min(self.open_txns.values(), default=self.end)

    def is_aborted(self, batch: Batch) -> bool:
        return batch.transactional and any(
            pid == batch.producer_id and first <= batch.start < marker
            for pid, first, marker in self.aborted
        )

    def _epoch_error(self, producer_id: int, epoch: int) -> str | None:
        """ProducerAppendInfo.checkProducerEpoch: an epoch below the producer's last is a zombie."""
        if epoch < self.epochs.get(producer_id, epoch):
            return "INVALID_PRODUCER_EPOCH"
        return None


class OutputTopic:
    """Every partition of the output topic."""

    def __init__(self, partitions: int):
        self.logs = [PartitionLog() for _ in range(partitions)]

    def __getitem__(self, partition: int) -> PartitionLog:
        return self.logs[partition]


class Reader:
    """A downstream consumer of the output topic with one isolation level, reading every
    partition from offset 0 (its own positions; it commits nothing)."""

    def __init__(self, topic: OutputTopic, isolation: str = READ_UNCOMMITTED):
        if isolation not in ISOLATION_LEVELS:
            raise ValueError(f"isolation {isolation!r}; allowed: {', '.join(ISOLATION_LEVELS)}")
        self.topic = topic
        self.isolation = isolation
        self.positions = [0] * len(topic.logs)

    def poll(self, partition: int) -> list[Batch]:
        """The data batches a fetch from the current position returns, and the position moves on:
        to the log end (read_uncommitted) or the LSO (read_committed), past the markers and, for
        read_committed, past the aborted batches it skipped."""
        log = self.topic[partition]
        committed = self.isolation == READ_COMMITTED
        bound = log.last_stable_offset() if committed else log.end
        position = self.positions[partition]
        out = []
        for batch in log.batches:
            if batch.start < position or batch.start >= bound:
                continue
            if batch.control is None and not (committed and log.is_aborted(batch)):
                out.append(batch)
            position = batch.end
        self.positions[partition] = max(position, self.positions[partition])
        return out
