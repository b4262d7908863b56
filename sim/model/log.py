"""The partition logs of the consumed topic.

A record is only its offset: the simulator never needs payloads. The log owns each partition's
log end offset and nothing else; it never reads a clock, draws a number or knows who reads it.
"""

from __future__ import annotations


class TopicLog:
    """Log end offsets of every partition of one topic."""

    def __init__(self, partitions: int):
        self.end_offsets = [0] * partitions

    @property
    def partitions(self) -> int:
        return len(self.end_offsets)

    def append(self, partition: int, count: int) -> tuple[int, int]:
        """Append `count` records; return the offsets [start, end) they were given."""
        start = self.end_offsets[partition]
        self.end_offsets[partition] = start + count
        return start, start + count

    def fetch(self, partition: int, offset: int, max_records: int) -> tuple[int, int]:
        """The offsets [offset, end) a fetch from `offset` returns, at most `max_records`."""
        return offset, min(self.end_offsets[partition], offset + max_records)

    def spread(self, records: int) -> list[int]:
        """How `records` pre-loaded records fall over the partitions: evenly, the first ones
        taking the remainder (what a round-robin producer leaves behind)."""
        base, extra = divmod(records, self.partitions)
        return [base + (1 if p < extra else 0) for p in range(self.partitions)]
