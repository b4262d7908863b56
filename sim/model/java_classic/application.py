"""The application around the Java classic consumer: its poll loop, written once for every
strategy as tutorials write it, and the client calls a strategy asks for.

    try { while (running) { records = poll(); process(records); commit... } }
    finally { commit...; close(); }

It owns the loop's order (poll, the strategy's hooks, processing, the loop points a fault may be
pinned to) and what strategies read (positions, processed offsets). It never decides a client
rule: poll() is `fetch`, the commits are `commits`, close() is `membership`; the async worker is
`worker`. A crash is the driver dropping the generator: no `finally` runs."""

from __future__ import annotations

from ..commands import (
    Batch,
    CommitAsync,
    CommitSync,
    DrainWorker,
    LoopPoint,
    Pause,
    Process,
    Resume,
    Seek,
    Stopped,
)
from ..messages import Offsets


class ApplicationLoop:
    """The application's main loop and the strategy's calls (a part of
    `sim.model.consumer.Consumer`)."""

    def run(self):
        """The application's poll loop, its `finally`, and close()."""
        self.next_auto_commit_us = self.now + self.config.auto_commit_interval_us
        self.last_poll_us = self.now
        strategy = self.strategy
        while not self.close_requested and not self.failed:
            self.in_poll = True
            batch = yield from self.poll()
            self.in_poll = False
            self.last_poll_us = self.now
            records = batch.records
            if self.failed or (self.close_requested and not records):
                break
            if records:
                self.batch_number += 1
                batch = Batch(self.batch_number, batch.slices, records)
                calls = strategy.before_process(self, batch)
                if calls and not (yield from self.call(calls)):
                    continue  # the error policy skipped this batch
                if self.loop_points:
                    yield LoopPoint("before-process", batch.number)
                yield from self.process(batch)
                if self.failed:
                    break
                if self.loop_points:
                    yield LoopPoint("after-process", batch.number)
            calls = strategy.after_batch(self, batch)
            # The strategy vouches that its answer to an empty batch holds while nothing changes;
            # only an idle worker keeps what it reads (`processed`) from moving.
            self.quiet = (
                strategy.idle_repeatable and not records and not calls and not self.worker_queue
            )
            if calls:
                yield from self.call(calls)
        # finally { ...; consumer.close(); }
        yield from self.call(strategy.on_close(self))
        yield from self.close()
        yield Stopped("error" if self.failed else "close")

    def process(self, batch: Batch):
        """Process the batch at the strategy's granularity, with its per-record or per-partition
        hook after each piece. With async processing each piece is handed to the worker instead,
        and the hook runs after the hand-off."""
        done = 0
        asynchronous = self.config.processing == "async"
        for piece, hook in self._pieces(batch):
            if asynchronous:
                yield from self.hand_off(piece)
                if hook is not None:
                    yield from self.call(hook())
                    if self.failed:
                        return
                continue
            result = yield Process(piece, batch.number, done, batch.records)
            self._mark_processed(piece, result.records)
            done += result.records
            if result.error:
                self.failed = True  # a poison record: the exception unwinds the loop
                return
            if hook is not None:
                yield from self.call(hook())
                if self.failed:
                    return

    def _pieces(self, batch: Batch):
        """(slices, hook) pieces: the whole batch without a hook (no generator for the common
        case), or one per partition or record with the strategy's hook after it."""
        strategy = self.strategy
        if strategy.granularity == "batch":
            return ((batch.slices, None),)
        if strategy.granularity == "partition":
            return (
                (((p, start, end),), (lambda p=p, end=end: strategy.after_partition(self, p, end)))
                for p, start, end in batch.slices
            )
        return (
            (((p, o, o + 1),), (lambda p=p, o=o: strategy.after_record(self, p, o)))
            for p, start, end in batch.slices
            for o in range(start, end)
        )

    def call(self, calls):
        """Carry out a strategy's client calls. Returns False when a failed commitSync's error
        policy says not to go on with the batch."""
        go_on = True
        for c in calls or ():
            if isinstance(c, CommitSync):
                if self.loop_points:
                    yield LoopPoint("before-commit", self.batch_number)
                result = yield from self.commit_sync(c.offsets)
                if self.loop_points:
                    yield LoopPoint("after-commit", self.batch_number)
                if result.error is not None:
                    go_on = (yield from self._apply_error_policy()) and go_on
            elif isinstance(c, CommitAsync):
                if self.loop_points:
                    yield LoopPoint("before-commit", self.batch_number)
                yield from self.commit_async(c.offsets)
                if self.loop_points:
                    yield LoopPoint("after-commit", self.batch_number)
            elif isinstance(c, Seek):
                self._set_position(c.partition, c.offset, "seek")
            elif isinstance(c, Pause):
                self.paused.update(p for p in c.partitions if p in self.assignment)
            elif isinstance(c, Resume):
                self.paused.difference_update(c.partitions)
            elif isinstance(c, DrainWorker):
                yield from self.drain_worker(c.partitions)
            elif hasattr(c, "carry_out"):  # an application call of its own (sim.model.txn_loop)
                go_on = (yield from c.carry_out(self)) and go_on
            else:
                raise TypeError(f"a strategy returned {c!r}")
        return go_on

    def _apply_error_policy(self):
        policy = self.error_policy
        if policy == "proceed":
            return True
        if policy == "crash":
            self.failed = True
        elif policy == "seek-back" and self.assignment:
            response = yield from self._offset_fetch(self.assignment)
            for p, offset in zip(self.assignment, response.offsets, strict=True):
                if offset is not None:
                    self._set_position(p, offset, "seek")
        return False

    def held_partitions(self) -> tuple[int, ...]:
        """The partitions the application believes it holds (the driver ends their tenures
        when the process stops)."""
        return self.assignment

    def position_offsets(self) -> Offsets:
        return tuple((p, self.positions[p]) for p in self.assignment if p in self.positions)

    def processed_offsets(self, partitions=None) -> Offsets:
        parts = self.assignment if partitions is None else partitions
        return tuple((p, self.processed[p]) for p in sorted(parts) if p in self.processed)
