"""The textbook combined pattern, literally (tutorial claim 5, docs/claims.md):

    try {
        while (running) {
            for (record : consumer.poll(timeout)) process(record);
            consumer.commitAsync();
        }
    } finally {
        try { consumer.commitSync(); } finally { consumer.close(); }
    }

The no-argument commits name the *positions*: after an exception mid-batch, the `finally`
commitSync commits the unprocessed rest of the batch, and those records are lost
(docs/semantics.md §13).
"""

from .base import CommitAsync, CommitSync, Strategy


class AsyncThenSync(Strategy):
    name = "async-then-sync"
    summary = (
        "async in the loop; a no-argument commitSync in finally before close (commits positions)"
    )
    idle_repeatable = True

    def after_batch(self, consumer, batch):
        return [CommitAsync()]

    def on_close(self, consumer):
        return [CommitSync()]
