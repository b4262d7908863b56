"""commitAsync after each batch; the callback retries a failed commit only if no commit was made
since and the partitions are still owned (the known fix, docs/semantics.md §6).

    int seq = ++commitSeq;
    consumer.commitAsync(nextOffsets(records), (offsets, e) -> {
        if (e instanceof RetriableCommitFailedException && seq == commitSeq
                && consumer.assignment().containsAll(offsets.keySet()))
            consumer.commitAsync(offsets, ...);   // itself a new commit: ++commitSeq
    });

A newer commit covers the failed one, so retrying only the latest never moves an offset back.
"""

from sim.model.messages import RETRIABLE_COMMIT_ERRORS

from .async_per_batch import AsyncPerBatch
from .base import CommitAsync


class AsyncRetrySeq(AsyncPerBatch):
    """async-per-batch's commits, with a retrying callback."""

    name = "async-retry-seq"
    summary = "commitAsync after each batch, a failed one retried only if still the latest"

    def on_commit_result(self, consumer, result):
        latest = result.sequence == consumer.commit_sequence
        owned = all(p in consumer.assignment for p, _ in result.offsets)
        if result.error in RETRIABLE_COMMIT_ERRORS and latest and owned:
            return [CommitAsync(result.offsets)]
        return []
