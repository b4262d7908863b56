"""Fault firing: the scenario's fault plan carried out on the running consumers.

It owns what a timed fault does when its time comes (a join starts a consumer; a crash, leave,
processing error, stall, pause or network cut hits a slot's live instance, or a partition's
owner) and the faults pinned to a loop point. It never plans (`faults` resolves the scenario into
the plan), never fires during the drain, and leaves the mid-batch faults to `processing`, the
commit windows to the coordinator host and the failovers to the coordinator host too.
"""

from __future__ import annotations

from sim.model.commands import LoopPoint

from .faults import OWNER, Action
from .faults import pinned as pinned_action
from .instance import Crash, Instance


class FaultFiring:
    """The fault-firing part of `Simulation` (its ledger, slots and fault plan; the liveness
    part's pause, cut and stall)."""

    def _fire(self, action: Action) -> None:
        if self.draining:
            return
        if action.kind == "join":
            self.ledger.fault(self.env.now, "join", len(self.instances))
            self._start(action.slot)
            return
        if action.slot == OWNER:
            inst = self._owner(action.partition)
        else:
            inst = self.slots[action.slot] if action.slot < len(self.slots) else None
        if inst is None:
            return  # already down: nothing to crash
        detail = f"for {action.duration_us // 1000} ms" if action.duration_us else ""
        self.ledger.fault(self.env.now, action.kind, inst.number, detail)
        inst.restart_after_us = action.restart_after_us
        if action.kind == "crash":
            inst.process.interrupt("crash")
        elif action.kind == "leave":
            inst.leaving = True
            inst.consumer.close_requested = True
            self._wake(inst)
        elif action.kind == "processing-error":
            if inst.processing is not None:
                inst.process.interrupt("processing-error")
            else:
                inst.error_next = True
        elif action.kind == "stall":
            self._delay_processing(inst, action.duration_us)
        elif action.kind == "pause":
            self._pause(inst, action.duration_us)
        elif action.kind == "network-cut":
            self._cut(inst, action.duration_us)

    def _owner(self, partition: int) -> Instance | None:
        """The live instance whose assignment holds `partition` (the first, by slot), or None."""
        for inst in self.slots:
            if inst is not None and inst.alive and partition in inst.consumer.assignment:
                return inst
        return None

    def _loop_point(self, inst: Instance, command: LoopPoint) -> None:
        key, action = pinned_action(self.faults.points, inst, command.name, command.batch)
        if action is None:
            return
        del self.faults.points[key]
        detail = f"at {command.name} of batch {command.batch}"
        self.ledger.fault(self.env.now, "crash", inst.number, detail)
        inst.restart_after_us = action.restart_after_us
        raise Crash
