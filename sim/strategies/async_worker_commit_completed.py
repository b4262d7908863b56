"""Async processing done right: one worker thread behind a bounded queue, commits of what the
worker completed (never of what poll() returned), pause instead of a blocking put, and a wait for
the worker before partitions go.

    queue = new ArrayBlockingQueue<>(capacity);     // one worker: take(), process, completed++
    while (running) {
        for (record : consumer.poll(timeout)) queue.put(record);   // fits: see pause below
        if (queue.size() > capacity - maxPollRecords) consumer.pause(consumer.assignment());
        else consumer.resume(consumer.paused());
        consumer.commitAsync(completed, callback);  // when the completed frontier moved
    }
    onPartitionsRevoked(parts) -> { awaitWorker(parts); consumer.commitSync(completed(parts)); }
    finally { awaitWorker(all); consumer.commitSync(completed); consumer.close(); }

The committed offset is, per partition, the lowest offset not yet completed; with one FIFO
worker that is the processed frontier (last finished + 1), contiguous by construction (several
workers would need a per-partition set of completed offsets). A paused partition returns nothing
from poll() while the loop goes on polling: heartbeats, the auto-commit-free loop and rebalance
callbacks keep running. The pause covers every assigned partition, because one queue serves them
all: a poll of any partition could overflow it. Claim: no loss under crashes (a commit never
names a record the worker has not finished); duplicates remain after a crash.
"""

from .base import CommitAsync, CommitSync, DrainWorker, Pause, Resume, Strategy


class AsyncWorkerCommitCompleted(Strategy):
    name = "async-worker-commit-completed"
    summary = "async processing: commit what the worker completed; pause on a full queue"
    idle_repeatable = True

    def __init__(self):
        self.committed: dict[int, int] = {}  # the frontier last sent, per partition

    def after_batch(self, consumer, batch):
        config = consumer.config
        room = max(config.worker_queue_records - config.max_poll_records, 0)
        calls = []
        if consumer.queued_records() > room:
            pause = tuple(p for p in consumer.assignment if p not in consumer.paused)
            if pause:
                calls.append(Pause(pause))
        elif consumer.paused:
            calls.append(Resume(tuple(sorted(consumer.paused))))
        moved = tuple((p, o) for p, o in consumer.processed_offsets() if self.committed.get(p) != o)
        if moved:
            self.committed.update(moved)
            calls.append(CommitAsync(moved))
        return calls

    def on_assigned(self, consumer, partitions):
        self.committed = {}
        return ()

    def on_revoked(self, consumer, partitions):
        yield DrainWorker(tuple(partitions))
        yield CommitSync(consumer.processed_offsets(partitions))

    def on_close(self, consumer):
        yield DrainWorker()
        yield CommitSync(consumer.processed_offsets())
