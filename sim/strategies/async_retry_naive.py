"""commitAsync after each batch; on a retriable failure the callback blindly sends the same
offsets again (a known pitfall, SEMANTICS.md §3).

    consumer.commitAsync(nextOffsets(records), (offsets, e) -> {
        if (e instanceof RetriableCommitFailedException) consumer.commitAsync(offsets, this);
    });

The callback runs later, in a poll after newer commits were sent: the retry lands after a newer
commit and moves the committed offset back (offset-regression). That is why Java's commitAsync
does not retry by itself.
"""

from sim.model.messages import RETRIABLE_COMMIT_ERRORS

from .base import CommitAsync, Strategy


class AsyncRetryNaive(Strategy):
    name = "async-retry-naive"
    summary = "commitAsync after each batch, a failed one blindly retried from its callback"

    def after_batch(self, consumer, batch):
        return [CommitAsync(batch.next_offsets)] if batch.records else []

    def on_commit_result(self, consumer, result):
        if result.error in RETRIABLE_COMMIT_ERRORS:
            return [CommitAsync(result.offsets)]
        return []
