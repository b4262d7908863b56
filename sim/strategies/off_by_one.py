"""Commits the last processed offset instead of last + 1 (tutorial claim 6; the +1 rule,
docs/semantics.md §1).

    consumer.commitSync(Map.of(tp, new OffsetAndMetadata(lastRecord.offset())));   // should be + 1

The committed offset names the next record to read, so after a restart or a hand-off the last
record of every committed batch is processed again: a duplicate, never a loss.
"""

from .base import CommitSync, Strategy


class OffByOne(Strategy):
    name = "off-by-one"
    summary = "commits the last processed offset instead of last + 1"
    idle_repeatable = True

    def after_batch(self, consumer, batch):
        if not batch.records:
            return []
        return [CommitSync(tuple((p, end - 1) for p, end in batch.next_offsets))]
