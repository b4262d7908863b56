"""The combined pattern, fixed: every commit names the processed offsets, and the rebalance
listener commits them synchronously before the partitions go.

    while (running) {
        for (record : consumer.poll(timeout)) { process(record); processed.put(tp, offset + 1); }
        consumer.commitAsync(processed, callback);
    }
    onPartitionsRevoked(parts) -> consumer.commitSync(processed(parts));
    finally { consumer.commitSync(processed); consumer.close(); }
"""

from .base import CommitAsync, CommitSync, Strategy


class AsyncThenSyncProcessed(Strategy):
    name = "async-then-sync-processed"
    summary = "async in the loop; commitSync of the processed offsets on revoke and in finally"
    idle_repeatable = True

    def after_batch(self, consumer, batch):
        return [CommitAsync(consumer.processed_offsets())] if batch.records else []

    def on_revoked(self, consumer, partitions):
        return [CommitSync(consumer.processed_offsets(partitions))]

    def on_close(self, consumer):
        return [CommitSync(consumer.processed_offsets())]
