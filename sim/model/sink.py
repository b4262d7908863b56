"""The application's output: where processing a record leaves its visible effect.

A sink is pure bookkeeping. It has no time, no randomness and no notion of who wrote to it: the
engine calls `apply` when records finish processing, and the checker compares what is visible
here with what the ledger saw processed. Counts live in one growing numpy array per partition
(capacity doubling), never in per-record Python objects, because `apply` sits on the hot path.

- `plain`: every processing is a visible effect (an email sent, a row appended).
- `idempotent`: an effect keyed by (partition, offset); a repeat is absorbed (an upsert), so
  at-least-once delivery still leaves each record visible once (docs/semantics.md §14).
"""

from __future__ import annotations

import numpy as np

SINK_KINDS = ("plain", "idempotent")
_MIN_CAPACITY = 1024


class Sink:
    """Per-partition counts of visible effects per offset."""

    kind = ""
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
        return counts

    def apply(self, partition: int, start: int, end: int) -> None:
        """Record the effects of processing offsets [start, end) of `partition`."""
        raise NotImplementedError

    def visible(self, partition: int) -> np.ndarray:
        """Visible effects per offset, for offsets [0, highest applied + 1); a read-only view."""
        view = self._counts[partition][: self._high[partition]]
        view.flags.writeable = False
        return view


class PlainSink(Sink):
    """Every processing shows: a record processed twice has two effects."""

    kind = "plain"

    def apply(self, partition: int, start: int, end: int) -> None:
        if end <= start:
            return
        counts = self._counts[partition]
        if end > len(counts):
            counts = self._room(partition, end)
        if end > self._high[partition]:
            self._high[partition] = end
        counts[start:end] += 1
        self.total_effects += end - start


class IdempotentSink(Sink):
    """An effect keyed by (partition, offset): the first processing shows, repeats are absorbed."""

    kind = "idempotent"
    dtype = np.uint8

    def apply(self, partition: int, start: int, end: int) -> None:
        if end <= start:
            return
        if end > self._high[partition]:
            self._high[partition] = end
        window = self._room(partition, end)[start:end]
        repeats = int(np.count_nonzero(window))
        self.total_effects += end - start - repeats
        self.absorbed += repeats
        window[:] = 1


_SINKS = {"plain": PlainSink, "idempotent": IdempotentSink}


def make_sink(kind: str, partitions: int) -> Sink:
    """A fresh sink of a scenario's `sink.kind`."""
    try:
        return _SINKS[kind](partitions)
    except KeyError:
        raise ValueError(f"unknown sink kind {kind!r}; allowed: {', '.join(SINK_KINDS)}") from None
