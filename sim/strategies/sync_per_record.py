"""commitSync after every record: the smallest duplicate window, one round trip per record.

for (record : consumer.poll(timeout)) {
    process(record);
    consumer.commitSync(Map.of(partition(record), new OffsetAndMetadata(record.offset() + 1)));
}
"""

from .base import CommitSync, Strategy


class SyncPerRecord(Strategy):
    name = "sync-per-record"
    summary = "commitSync after every record"
    granularity = "record"
    idle_repeatable = True

    def after_record(self, consumer, partition, offset):
        return [CommitSync(((partition, offset + 1),))]
