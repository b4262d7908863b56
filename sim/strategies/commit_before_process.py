"""At-most-once: commitSync the batch's end before processing it; on a commit error, skip the
batch.

    records = consumer.poll(timeout);
    try { consumer.commitSync(nextOffsets(records)); } catch (KafkaException e) { continue; }
    for (record : records) process(record);

A crash mid-batch loses the rest of the batch; nothing is ever processed twice.
"""

from .base import CommitSync, Strategy


class CommitBeforeProcess(Strategy):
    name = "commit-before-process"
    summary = "commitSync of the batch end before processing it; skip the batch on a commit error"
    error_policy = "skip"
    idle_repeatable = True

    def before_process(self, consumer, batch):
        return [CommitSync(batch.next_offsets)]
