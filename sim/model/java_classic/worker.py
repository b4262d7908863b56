"""Async processing (`processing = "async"`): the application hands each piece of a batch to one
worker thread behind a bounded queue instead of processing it.

It owns the queue as the application sees it (what was handed over and is unfinished, per tenure)
and the `processed` offsets the worker's progress makes. It never times the worker: the driver
runs it and reports its progress (`on_worker_progress`)."""

from __future__ import annotations

from ..commands import AwaitWorker, HandOff


class AsyncWorker:
    """The worker queue of async processing (a part of `sim.model.consumer.Consumer`)."""

    def hand_off(self, piece):
        """queue.put(record) for each record: the put blocks while the queue is full, so the
        loop goes on once the last record is in, i.e. once at most `worker_queue_records` are
        unfinished. The worker's timing does not depend on whether the tail still waits in the
        application's hand, so the whole piece is queued at once."""
        for p, start, end in piece:
            self.worker_queue.append([p, start, end, self._tenure])
            self.worker_unfinished += end - start
        yield HandOff(piece)
        capacity = self.config.worker_queue_records
        if self.worker_unfinished > capacity:
            yield AwaitWorker(capacity)

    def on_worker_progress(self, records: int) -> None:
        """The driver: the worker finished the next `records` queued records (FIFO)."""
        self.worker_unfinished -= records
        queue = self.worker_queue
        while records:
            entry = queue[0]
            p, start, end, tenure = entry
            taken = min(records, end - start)
            if tenure == self._tenure:
                self.processed[p] = start + taken
            records -= taken
            if start + taken == end:
                queue.popleft()
            else:
                entry[1] = start + taken

    def queued_records(self, partition: int | None = None) -> int:
        """Records handed to the worker and not finished (of one partition, or all)."""
        if partition is None:
            return self.worker_unfinished
        return sum(end - start for p, start, end, _ in self.worker_queue if p == partition)

    def drain_worker(self, partitions=None):
        """Wait until the worker has finished every queued record of `partitions` (None: all):
        with one FIFO worker, until the last such record is done."""
        behind = 0  # unfinished records queued after the last one of `partitions`
        for p, start, end, _ in reversed(self.worker_queue):
            if partitions is None or p in partitions:
                break
            behind += end - start
        else:
            return
        yield AwaitWorker(behind)

    def _mark_processed(self, piece, records: int) -> None:
        for p, start, end in piece:
            if records <= 0:
                return
            taken = min(records, end - start)
            self.processed[p] = start + taken
            records -= taken
