"""The application's output: where processing a record leaves its visible effect.

A sink is pure bookkeeping: it owns the effects (and the external store's rows and fences), and
it never reads a clock or draws a number: the engine calls `apply` when
records finish processing (with the generation they were delivered under), and the checker
compares what is visible here with what the ledger saw processed. Counts live in one growing numpy
array per partition (capacity doubling), never in per-record Python objects, because `apply` sits
on the hot path. `apply` returns how many of the records it absorbed (left no new effect); the
engine records them in the ledger, so a run's trace shows what the sink did.

- `plain`: every processing is a visible effect (an email sent, a row appended).
- `idempotent`, `key = "record"`: an effect keyed by (partition, offset), applied once; a repeat
  is absorbed (an upsert), so at-least-once delivery still leaves each record visible once.
- `idempotent`, `key = "business"`: the record's business key is (partition, offset modulo
  `keys_per_partition`): records of a partition cycle through that many entities (Kafka's default
  partitioner keeps one key in one partition). The effect is a versioned upsert of the key's row,
  the record's offset its version: applied when newer than the row, absorbed otherwise (a repeat,
  or an older record arriving after a newer one). So each record is applied at most once.
- `external-offsets` (brought by the `external-offsets` strategies): the result and the next offset
  to read are written in one atomic write to a store outside Kafka. Fenced, the write is
  conditional on the writer's generation being at least the partition's fence, which each new
  owner raises to its generation when it claims the partition on assignment; a zombie's write is
  refused. Unfenced, every write lands (what goes wrong without the fence).
"""

from __future__ import annotations

import numpy as np

SINK_KINDS = ("plain", "idempotent")  # what a scenario's sink.kind may name
SINK_KEYS = ("record", "business")  # how an idempotent sink keys its effects
_MIN_CAPACITY = 1024


class Sink:
    """Per-partition counts of visible effects per offset."""

    kind = ""
    absorbed_reason = ""  # the word the ledger records for the records `apply` absorbed
    dtype: type = np.int32

    def __init__(self, partitions: int):
        self._counts = [np.zeros(0, dtype=self.dtype) for _ in range(partitions)]
        self._high = [0] * partitions  # one past the highest offset ever applied
        self.total_effects = 0  # visible effects over all partitions
        self.absorbed = 0  # processings that left no new visible effect

    @property
    def partitions(self) -> int:
        return len(self._counts)

    def _room(self, partition: int, end: int) -> np.ndarray:
        """The partition's counts, grown (doubling) to hold offsets below `end`."""
        counts = self._counts[partition]
        if end > len(counts):
            grown = np.zeros(max(end, 2 * len(counts), _MIN_CAPACITY), dtype=self.dtype)
            grown[: len(counts)] = counts
            self._counts[partition] = counts = grown
        if end > self._high[partition]:
            self._high[partition] = end
        return counts

    def apply(self, partition: int, start: int, end: int, generation: int = -1) -> int:
        """Record the effects of processing offsets [start, end) of `partition`, delivered in
        `generation`; returns how many of them were absorbed."""
        raise NotImplementedError

    def visible(self, partition: int) -> np.ndarray:
        """Visible effects per offset, for offsets [0, highest applied + 1); a read-only view."""
        view = self._counts[partition][: self._high[partition]]
        view.flags.writeable = False
        return view


class PlainSink(Sink):
    """Every processing shows: a record processed twice has two effects."""

    kind = "plain"

    def apply(self, partition: int, start: int, end: int, generation: int = -1) -> int:
        if end <= start:
            return 0
        counts = self._counts[partition]
        if end > len(counts) or end > self._high[partition]:
            counts = self._room(partition, end)
        counts[start:end] += 1
        self.total_effects += end - start
        return 0


class IdempotentSink(Sink):
    """An effect keyed by (partition, offset): the first processing shows, repeats are absorbed."""

    kind = "idempotent"
    key = "record"
    absorbed_reason = "applied-before"
    dtype = np.uint8

    def apply(self, partition: int, start: int, end: int, generation: int = -1) -> int:
        if end <= start:
            return 0
        window = self._room(partition, end)[start:end]
        repeats = int(np.count_nonzero(window))
        self.total_effects += end - start - repeats
        self.absorbed += repeats
        window[:] = 1
        return repeats


class BusinessKeySink(IdempotentSink):
    """A versioned upsert per business key (partition, offset % keys_per_partition): a record is
    applied when its offset is newer than its key's row, so at most once. `visible` marks the
    records whose own write was applied; `versions` is each key's row (its last applied offset)."""

    key = "business"
    absorbed_reason = "not-newer"  # the key's row holds this record or a newer one

    def __init__(self, partitions: int, keys_per_partition: int):
        super().__init__(partitions)
        self.keys_per_partition = keys_per_partition
        self._versions = [np.full(keys_per_partition, -1, np.int64) for _ in range(partitions)]

    def apply(self, partition: int, start: int, end: int, generation: int = -1) -> int:
        if end <= start:
            return 0
        window = self._room(partition, end)[start:end]
        versions = self._versions[partition]
        offsets = np.arange(start, end, dtype=np.int64)
        keys = offsets % self.keys_per_partition
        # Offsets rise within the slice, so a record newer than its row's version before the
        # slice stays newer than the slice's earlier records of the same key.
        newer = offsets > versions[keys]
        applied = int(np.count_nonzero(newer))
        np.maximum.at(versions, keys[newer], offsets[newer])
        window[newer] = 1
        self.total_effects += applied
        self.absorbed += end - start - applied
        return end - start - applied

    def versions(self, partition: int) -> np.ndarray:
        """Each key's last applied offset (-1: never written); a read-only view."""
        view = self._versions[partition][:]
        view.flags.writeable = False
        return view


class ExternalOffsetsSink(Sink):
    """Results and offsets in one store: each write applies its records' effects and sets the
    partition's stored offset (the next to read) atomically. Fenced, a write whose generation is
    below the partition's fence is refused whole, and an accepted one raises the fence to its
    generation (UPDATE ... WHERE generation <= ?); unfenced, every write lands."""

    kind = "external-offsets"
    absorbed_reason = "fenced"

    def __init__(self, partitions: int, fenced: bool = True):
        super().__init__(partitions)
        self.fenced = fenced
        self.stored: list[int | None] = [None] * partitions  # next offset to read, per partition
        self.fence = [-1] * partitions  # the highest generation that claimed or wrote

    def apply(self, partition: int, start: int, end: int, generation: int = -1) -> int:
        if end <= start:
            return 0
        if self.fenced:
            if generation < self.fence[partition]:
                self.absorbed += end - start
                return end - start
            self.fence[partition] = generation
        self._room(partition, end)[start:end] += 1
        self.stored[partition] = end
        self.total_effects += end - start
        return 0

    def claim(self, partition: int, generation: int) -> int | None:
        """A new owner's read on assignment: fenced, first raise the partition's fence to its
        generation (a conditional write), so older owners' writes are refused from now on; then
        the stored offset (None: nothing written yet)."""
        if self.fenced and generation > self.fence[partition]:
            self.fence[partition] = generation
        return self.stored[partition]


_SINKS = {"plain": PlainSink, "idempotent": IdempotentSink, "external-offsets": ExternalOffsetsSink}


def make_sink(
    kind: str, partitions: int, key: str = "record", keys_per_partition: int = 0, fenced=True
) -> Sink:
    """A fresh sink: a scenario's `sink` table, or the one a strategy brings (external-offsets,
    `fenced` or not)."""
    if kind == "idempotent" and key == "business":
        return BusinessKeySink(partitions, keys_per_partition)
    if kind == "external-offsets":
        return ExternalOffsetsSink(partitions, fenced)
    try:
        return _SINKS[kind](partitions)
    except KeyError:
        allowed = ", ".join(_SINKS)
        raise ValueError(f"unknown sink kind {kind!r}; allowed: {allowed}") from None
