"""commitSync of a {partition: offset} map after each partition's slice of the batch
(tutorial claim 4, docs/claims.md): partitions progress at their own rate.

    for (TopicPartition tp : records.partitions()) {
        List<ConsumerRecord> slice = records.records(tp);
        for (record : slice) process(record);
        consumer.commitSync(Map.of(tp, new OffsetAndMetadata(last(slice).offset() + 1)));
    }
"""

from .base import CommitSync, Strategy


class PerPartitionSync(Strategy):
    name = "per-partition-sync"
    summary = "commitSync of a {partition: offset} map after each partition slice"
    granularity = "partition"
    idle_repeatable = True

    def after_partition(self, consumer, partition, next_offset):
        return [CommitSync(((partition, next_offset),))]
