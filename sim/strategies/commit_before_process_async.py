"""The at-most-once pattern with commitAsync (a pitfall): processing starts before the commit
is confirmed, so a crash right after it can find the commit not yet applied, and a failed
commit is only logged. It can both lose and duplicate.

    records = consumer.poll(timeout);
    consumer.commitAsync(nextOffsets(records), callback);
    for (record : records) process(record);
"""

from .base import CommitAsync, Strategy


class CommitBeforeProcessAsync(Strategy):
    name = "commit-before-process-async"
    summary = "commitAsync of the batch end before processing it"
    idle_repeatable = True

    def before_process(self, consumer, batch):
        return [CommitAsync(batch.next_offsets)]
