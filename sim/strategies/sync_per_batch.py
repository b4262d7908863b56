"""commitSync after each processed batch (tutorial claim 2, docs/claims.md): at-least-once.

records = consumer.poll(timeout);
for (record : records) process(record);
consumer.commitSync(nextOffsets(records));
"""

from .base import CommitSync, Strategy


class SyncPerBatch(Strategy):
    name = "sync-per-batch"
    summary = "commitSync after each processed poll batch"
    idle_repeatable = True

    def after_batch(self, consumer, batch):
        return [CommitSync(batch.next_offsets)] if batch.records else []
