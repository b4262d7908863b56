"""Sync processing: a batch's records processed in the poll loop, and their effects recorded.

It owns a batch's processing as one timeout (per-record finish times drawn from the keyed
processing stream, re-processing drawn per attempt), what a crash, stall, pause or processing
error mid-batch leaves done (one searchsorted), and the effects' way into the ledger and the
sink. It never decides what to process or commit (the consumer model does) and never touches the
network or the coordinator.
"""

from __future__ import annotations

import numpy as np
import simpy

from sim.model.commands import Process, Processed

from .faults import Action
from .faults import pinned as pinned_action
from .instance import Crash, Instance


class Processing:
    """The batch-processing part of `Simulation` (its environment, ledger, sink, fault plan and
    processing draws)."""

    def _process(self, inst: Instance, command: Process):
        """Process slices as one timeout; a crash or error at time t finds how far it got with
        one searchsorted on the cumulative processing times (docs/model.md, The network)."""
        env = self.env
        slices = command.slices
        if len(slices) == 1:
            p, start, end = slices[0]
            durations = self._processing_us(p, start, end)
        else:
            durations = np.concatenate([self._processing_us(p, a, b) for p, a, b in slices])
        done_us = durations.cumsum()
        done_us += env.now
        total = len(done_us)
        limit, outcome = total, None
        mid_batch = self.faults.mid_batch  # usually empty: no lookup
        pinned_key, pinned = (
            pinned_action(mid_batch, inst, command.batch) if mid_batch else (None, None)
        )
        if pinned:
            # A crash right after the k-th record finishes, before any per-record commit; a
            # poison record k throws. A batch too short for k fails at its end (a crash) or at
            # its last record (a processing error).
            first, last = command.first_index, command.first_index + total
            if pinned.kind == "crash":
                k = min(pinned.after_records, command.batch_records)
                hit = first < k <= last or k == first == 0
            else:
                k = min(pinned.after_records, command.batch_records - 1)
                hit = first <= k < last
            if hit:
                limit, outcome = k - first, pinned
        if inst.error_next:
            limit, outcome = 0, Action(-1, "processing-error", inst.slot)
        if inst.stall_next_us and limit:
            done_us += inst.stall_next_us  # a stall waiting for the next record: it starts late
            inst.stall_next_us = 0
        inst.processing = (done_us, command)
        # The generation the batch was delivered under: a zombie's records keep it, since the
        # application does not know its member left the group meanwhile.
        generation = inst.consumer.generation
        while True:
            try:
                if limit:
                    yield env.timeout(int(done_us[limit - 1]) - env.now)
                break
            except simpy.Interrupt as interrupt:
                finished = int(done_us.searchsorted(env.now, side="right"))
                if type(interrupt.cause) is int:
                    # A stall or a pause: the record in progress takes that much longer.
                    done_us[finished:] += interrupt.cause
                    continue
                self._effects(inst, command, done_us, min(finished, limit), generation)
                inst.processing = None
                if interrupt.cause == "processing-error":
                    return Processed(min(finished, limit), True)
                raise
        inst.processing = None
        self._effects(inst, command, done_us, limit, generation)
        if outcome is None:
            return Processed(limit, False)
        if outcome.index >= 0:
            del self.faults.mid_batch[pinned_key]
            self.ledger.fault(env.now, outcome.kind, inst.number, f"after record {limit}")
        inst.error_next = False
        if outcome.index >= 0:
            inst.restart_after_us = outcome.restart_after_us
        if outcome.kind == "crash":
            raise Crash
        return Processed(limit, True)

    def _processing_us(self, partition: int, start: int, end: int):
        if start >= self.ledger.effects_end(partition):
            # Nothing at or after `start` was processed yet: every record's first attempt.
            return self.processing_draws.range((partition, 0), start, end)
        attempts = self.ledger.effect_counts(partition, start, end)
        first = int(attempts[0])
        if (attempts == first).all():
            return self.processing_draws.range((partition, first), start, end)
        out = self.processing_draws.range((partition, 0), start, end).copy()
        for attempt in sorted(set(attempts.tolist()) - {0}):
            mask = attempts == attempt
            out[mask] = self.processing_draws.range((partition, attempt), start, end)[mask]
        return out

    def _effects(self, inst: Instance, command: Process, done_us, records: int, generation) -> None:
        if len(command.slices) == 1 and records == len(done_us):  # one slice, all of it
            p, start, end = command.slices[0]
            self.ledger.processed(inst.number, generation, p, start, end, done_us)
            self._apply_effects(inst, p, start, end, generation)
            return
        index = 0
        for p, start, end in command.slices:
            if records <= 0:
                break
            n = min(records, end - start)
            self.ledger.processed(
                inst.number, generation, p, start, start + n, done_us[index : index + n]
            )
            self._apply_effects(inst, p, start, start + n, generation)
            index += n
            records -= n

    def _apply_effects(self, inst: Instance, p: int, start: int, end: int, generation) -> None:
        """Records just recorded as processed reach the sink (under the generation they were
        delivered in); what it absorbed is recorded too, so the trace shows what the sink did.
        A transactional application produces them to the output topic instead (`txn_host`)."""
        if self.txn_coordinator is not None:
            self._produce_results(inst, p, start, end)
            return
        absorbed = self.sink.apply(p, start, end, generation)
        if absorbed:
            self.ledger.absorbed(inst.number, p, start, end, absorbed, self.sink.absorbed_reason)
