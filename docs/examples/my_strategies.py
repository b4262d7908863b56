"""The two worked examples of docs/strategies.md: strategies of one's own, named on the command
line and in files by their import path (`my_strategies:SyncEveryN`, run from this folder).

The suite runs them (tests/test_docs.py), so the examples never rot.
"""

from sim.strategies import CommitAsync, CommitSync, Strategy


class SyncEveryN(Strategy):
    """commitSync of what was processed after every `every` records, and of everything processed
    before the partitions go (revoke, close):

        for (record : consumer.poll(timeout)) {
            process(record);
            processed.put(tp(record), record.offset() + 1);
            if (++count % 100 == 0) consumer.commitSync(processed);
        }
        onPartitionsRevoked(parts) -> consumer.commitSync(processed(parts));
        finally { consumer.commitSync(processed); consumer.close(); }

    A crash re-processes at most `every` records a partition; commit load is one request per
    `every` records instead of one per batch."""

    name = "sync-every-100"
    summary = "commitSync of the processed offsets every 100 records, on revoke and on close"
    granularity = "record"  # after_record is asked after each record
    idle_repeatable = True  # an empty poll asks for nothing: no need to ask again until it changes
    every = 100

    def __init__(self):
        self.count = 0  # records processed by this consumer instance (a crash forgets it)

    def after_record(self, consumer, partition, offset):
        self.count += 1
        if self.count % self.every:
            return []
        return [CommitSync(consumer.processed_offsets())]

    def on_revoked(self, consumer, partitions):
        return [CommitSync(consumer.processed_offsets(partitions))]

    def on_close(self, consumer):
        return [CommitSync(consumer.processed_offsets())]


class AsyncWithSyncBackstop(Strategy):
    """commitAsync of the processed offsets after each batch; when one fails, the callback makes
    a commitSync of what is processed now, so a failed commit is not left for the next batch's
    to cover (the masked failure of `async-per-batch`):

        consumer.commitAsync(processed, (offsets, e) -> {
            if (e != null) consumer.commitSync(processed);   // newer than `offsets`: no regression
        });
        onPartitionsRevoked(parts) -> consumer.commitSync(processed(parts));
        finally { consumer.commitSync(processed); consumer.close(); }
    """

    name = "async-sync-backstop"
    summary = "commitAsync per batch; a failed one followed at once by a commitSync"
    idle_repeatable = True

    def after_batch(self, consumer, batch):
        return [CommitAsync(consumer.processed_offsets())] if batch.records else []

    def on_commit_result(self, consumer, result):
        if result.error is None or not consumer.assignment:
            return []
        return [CommitSync(consumer.processed_offsets())]

    def on_revoked(self, consumer, partitions):
        return [CommitSync(consumer.processed_offsets(partitions))]

    def on_close(self, consumer):
        return [CommitSync(consumer.processed_offsets())]
