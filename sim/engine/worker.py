"""Async processing: the application's worker thread and its queue (`processing = "async"`).

It owns the worker: slices handed over by the poll loop, processed one timeout per slice in FIFO
order, their effects reported to the ledger, the sink and the consumer as they finish, and the
loop's wait for the worker to catch up. It never touches the network or the coordinator, and
never decides what to hand over or commit: the consumer model does.
"""

from __future__ import annotations

from collections import deque

import simpy

from .clock import signal
from .instance import Instance


class Slice:
    """The slice the worker is processing: the generation it was handed off in, its per-record
    finish times, and how many of them were reported (to the ledger and the consumer) so far."""

    __slots__ = ("partition", "start", "generation", "done_us", "reported")

    def __init__(self, partition: int, start: int, generation: int, done_us):
        self.partition = partition
        self.start = start
        self.generation = generation
        self.done_us = done_us
        self.reported = 0


class Worker:
    """The application's worker thread and its queue (async processing): slices waiting, the one
    in progress, and the records handed over and not finished."""

    __slots__ = ("queue", "current", "unfinished", "stopped", "idle", "changed")

    def __init__(self):
        self.queue: deque[tuple[int, int, int, int]] = deque()  # (p, start, end, generation)
        self.current: Slice | None = None
        self.unfinished = 0
        self.stopped = False  # the process died or exited: the thread ends at its next step
        self.idle: simpy.Event | None = None  # set while the queue is empty
        self.changed: simpy.Event | None = None  # set while someone waits for progress


class AsyncWorker:
    """The worker thread's part of `Simulation` (its environment, ledger, processing draws and
    effects)."""

    def _hand_off(self, inst: Instance, slices) -> None:
        worker = inst.worker
        if worker is None:
            worker = inst.worker = Worker()
            self.env.process(self._work(inst, worker))
        generation = inst.consumer.generation
        worker.queue.extend((p, start, end, generation) for p, start, end in slices)
        worker.unfinished += sum(end - start for _, start, end in slices)
        worker.idle = signal(worker.idle)

    def _work(self, inst: Instance, worker: Worker):
        """One timeout per queued slice, in FIFO order; processing times are drawn when the
        slice starts, keyed as in sync processing (common random numbers hold)."""
        env = self.env
        while not worker.stopped:
            if not worker.queue:
                worker.idle = env.event()
                yield worker.idle
                continue
            p, start, end, generation = worker.queue.popleft()
            done_us = self._processing_us(p, start, end).cumsum()
            done_us += env.now
            current = worker.current = Slice(p, start, generation, done_us)
            worker.changed = signal(worker.changed)
            yield env.timeout(int(done_us[-1]) - env.now)
            if worker.stopped:
                return  # the process died or exited: the thread and its queue are gone
            self._report(inst, current, len(done_us))
            worker.current = None

    def _report(self, inst: Instance, current: Slice, upto: int) -> None:
        """The worker finished the current slice's records up to `upto`: effects into the
        ledger and the sink, as sync processing records them (under the generation the records
        were delivered in), and progress to the consumer."""
        done = current.reported
        if upto <= done:
            return
        p, start, generation = current.partition, current.start, current.generation
        times = current.done_us[done:upto]
        self.ledger.processed(inst.number, generation, p, start + done, start + upto, times)
        self._apply_effects(inst, p, start + done, start + upto, generation)
        current.reported = upto
        worker = inst.worker
        worker.unfinished -= upto - done
        inst.consumer.on_worker_progress(upto - done)
        worker.changed = signal(worker.changed)

    def _await_worker(self, inst: Instance, max_unfinished: int):
        """Block the poll loop until at most `max_unfinished` handed-over records are unfinished.
        What the slice in progress finished by now is found with searchsorted; when the needed
        record lies in that slice, one timeout to its finish time; otherwise wait for the worker's
        next step."""
        env = self.env
        worker = inst.worker
        while worker.unfinished > max_unfinished:
            current = worker.current
            if current is not None:  # records of the slice already finished count at once
                self._report(inst, current, int(current.done_us.searchsorted(env.now, "right")))
            excess = worker.unfinished - max_unfinished
            if excess <= 0:
                break
            if current is not None and current.reported + excess <= len(current.done_us):
                upto = current.reported + excess
                yield env.timeout(int(current.done_us[upto - 1]) - env.now)
                self._report(inst, current, upto)
            else:
                worker.changed = env.event()
                yield worker.changed

    def _stop_worker(self, inst: Instance) -> None:
        """The process is gone: the records the worker finished by now are effects (found with
        one searchsorted on the slice's cumulative times); the queue, in memory, is lost."""
        worker = inst.worker
        if worker is None:
            return
        current = worker.current
        if current is not None:
            finished = int(current.done_us.searchsorted(self.env.now, side="right"))
            self._report(inst, current, finished)
        worker.queue.clear()
        worker.current = None
        worker.unfinished = 0
        worker.stopped = True
        worker.idle = signal(worker.idle)
