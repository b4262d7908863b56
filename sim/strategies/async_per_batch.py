"""commitAsync with a callback after each batch, never retried (tutorial claim 3, docs/claims.md).

    for (record : consumer.poll(timeout)) process(record);
    consumer.commitAsync(nextOffsets(records), (offsets, e) -> { if (e != null) log(e); });

At-least-once: a failed commit is masked by the next one that succeeds, and a crash between the
two re-processes what the failed one covered.
"""

from .base import CommitAsync, Strategy


class AsyncPerBatch(Strategy):
    name = "async-per-batch"
    summary = "commitAsync with a callback after each batch, no retry"
    idle_repeatable = True

    def after_batch(self, consumer, batch):
        return [CommitAsync(batch.next_offsets)] if batch.records else []
