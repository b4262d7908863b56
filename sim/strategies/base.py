"""The strategy interface: the questions the poll loop asks, answered with client calls.

A strategy never loops, waits or talks to the broker: it returns `CommitSync`, `CommitAsync`,
`Seek`, `Pause` or `Resume` calls (or `DrainWorker`, the application's wait for its worker
thread) and the consumer carries them out as the Java client would. A hook may also be a
generator: each call is then made when the one before it is done, so a commit can name what a
`DrainWorker` left processed. Every hook defaults to
doing nothing, so a strategy states only what makes it different.
"""

from __future__ import annotations

from sim.model.commands import (
    Batch,
    CommitAsync,
    CommitResult,
    CommitSync,
    DrainWorker,
    Pause,
    Resume,
    Seek,
)

__all__ = [
    "Batch", "CommitAsync", "CommitResult", "CommitSync", "DrainWorker", "Pause", "Resume", "Seek",
    "Strategy",
]  # fmt: skip


class Strategy:
    name = ""
    summary = ""  # one line for `offsim strategies`
    auto_commit = False  # enable.auto.commit
    # librdkafka's enable.auto.offset.store: True stores offset+1 when a record is handed to the
    # application; False: the application stores it after processing. The Java clients have no
    # offset store and ignore it.
    auto_offset_store = True
    granularity = "batch"  # "batch" | "partition" | "record": where the loop hooks run
    # What the loop does when a commitSync raises: "skip" the batch, "crash" (unwind through
    # the finally), "seek-back" to the committed offsets, or "proceed" as if it had worked.
    error_policy = "skip"
    # True when `after_batch`'s answer to an empty batch depends only on the consumer's and the
    # strategy's state, not on the time, and asking for nothing leaves that state as it was: then
    # a consumer idling at its poll timeout is not asked again while nothing changed
    # (`Consumer.repoll_idle`, a speed-up only). Every shipped strategy is; a strategy of your own
    # that acts on the clock (a commit every n seconds) is not, hence the default.
    idle_repeatable = False
    # A strategy that brings its own sink names it here ("external-offsets", `fenced` or not);
    # None: the scenario's `sink` table.
    sink: str | None = None
    fenced = True

    @classmethod
    def unsupported(cls, scenario) -> str | None:
        """Why this strategy cannot run the scenario (a client or mode it is not modelled
        for), else None: `compare` leaves it out of "every strategy", and a run refuses it."""
        return None

    def before_process(self, consumer, batch: Batch):
        return ()

    def after_record(self, consumer, partition: int, offset: int):
        return ()

    def after_partition(self, consumer, partition: int, next_offset: int):
        return ()

    def after_batch(self, consumer, batch: Batch):
        """After each poll, with its batch (empty at a poll timeout; see `idle_repeatable`)."""
        return ()

    def on_assigned(self, consumer, partitions):
        return ()

    def on_revoked(self, consumer, partitions):
        return ()

    def on_lost(self, consumer, partitions):
        """ConsumerRebalanceListener.onPartitionsLost defaults to onPartitionsRevoked."""
        return self.on_revoked(consumer, partitions)

    def on_close(self, consumer):
        """The application's `finally` block, before close()."""
        return ()

    def on_commit_result(self, consumer, result: CommitResult):
        """The commitAsync callback."""
        return ()
