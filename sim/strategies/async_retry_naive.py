"""commitAsync after each batch; on a retriable failure the callback blindly sends the same
offsets again (a known pitfall, docs/semantics.md §6).

    consumer.commitAsync(nextOffsets(records), (offsets, e) -> {
        if (e instanceof RetriableCommitFailedException) consumer.commitAsync(offsets, this);
    });

The callback runs later, in a poll after newer commits were sent: the retry lands after a newer
commit and moves the committed offset back (offset-regression). That is why Java's commitAsync
does not retry by itself.
"""

from sim.model.messages import RETRIABLE_COMMIT_ERRORS

from .async_per_batch import AsyncPerBatch
from .base import CommitAsync


class AsyncRetryNaive(AsyncPerBatch):
    """async-per-batch's commits, with a retrying callback."""

    name = "async-retry-naive"
    summary = "commitAsync after each batch, a failed one blindly retried from its callback"

    def on_commit_result(self, consumer, result):
        if result.error in RETRIABLE_COMMIT_ERRORS:
            return [CommitAsync(result.offsets)]
        return []
