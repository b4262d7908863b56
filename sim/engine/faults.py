"""The scenario's faults, resolved into a plan the driver can look up cheaply.

Each fault keeps its index in the scenario file, and every draw it needs comes from the keyed
stream (seed, FAULT, index): a fault's times and targets do not move when another fault is added.
The plan is data: it never schedules, never fires a fault (`firing` and `processing` do) and never
looks at a running consumer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .draws import FAULT, shared_generator

US = 1000


@dataclass(frozen=True, slots=True)
class Action:
    """One thing a fault does to one consumer slot."""

    index: int  # the fault's position in the scenario
    kind: str  # crash | processing-error | join | leave | stall | pause | network-cut
    slot: int  # OWNER: the consumer that owns `partition` when it fires
    restart_after_us: int | None = None
    after_records: int = 0
    duration_us: int = 0  # stall, pause, network-cut
    partition: int = -1  # with slot OWNER


GROUP_COMMITS = ("OffsetCommit", "TxnOffsetCommit")  # what a commit-error naming none answers
OWNER = -1  # the slot of an action aimed at a partition's owner (owner_of)


@dataclass
class FaultPlan:
    timed: list[tuple[int, Action]] = field(default_factory=list)  # (at_us, action), sorted
    points: dict[tuple[int, str, int], Action] = field(default_factory=dict)  # (slot, point, batch)
    mid_batch: dict[tuple[int, int], Action] = field(default_factory=dict)  # (slot, batch)
    windows: list[tuple[int, object]] = field(default_factory=list)  # commit-error, lost-response
    counted: dict[int, int] = field(default_factory=dict)  # nth commit-error: requests seen
    # coordinator-failover: (at, unavailable, loading)
    failovers: list[tuple[int, int, int]] = field(default_factory=list)
    txn_failovers: list[tuple[int, int, int]] = field(default_factory=list)  # the same, txn log
    joins: int = 0

    def window_hit(
        self, kind: str, slot: int, now: int, request_id: int, seed: int, request: str = ""
    ):
        """The first commit-error or lost-response fault of `kind` that hits this request (a
        commit-error names its `request`; omitted, OffsetCommit and TxnOffsetCommit)."""
        for index, fault in self.windows:
            if fault.kind != kind:
                continue
            if kind == "commit-error" and not _names(fault.request, request):
                continue
            if fault.consumer is not None and fault.consumer != slot:
                continue
            if getattr(fault, "nth", None) is not None:
                count = self.counted[index] = self.counted.get(index, 0) + 1
                if fault.hits(count):
                    return index, fault
                continue
            if not fault.from_ms * US <= now <= fault.to_ms * US:
                continue
            if fault.probability >= 1.0:
                return index, fault
            draw = shared_generator(seed, FAULT, index, request_id >> 32, request_id & 0xFFFFFFFF)
            if draw.random() < fault.probability:
                return index, fault
        return None


def _names(wanted: str | None, request: str) -> bool:
    return request == wanted or (wanted is None and request in GROUP_COMMITS)


def _restart(fault) -> int | None:
    ms = getattr(fault, "restart_after_ms", None)
    return None if ms is None else int(ms * US)


def plan_faults(scenario, seed: int) -> FaultPlan:
    plan = FaultPlan()
    slots = scenario.group.consumers
    for index, fault in enumerate(scenario.faults):
        kind = fault.kind
        if kind == "join":
            plan.timed.append((int(fault.at_ms * US), Action(index, "join", slots)))
            slots += 1
            plan.joins += 1
        elif kind in ("commit-error", "lost-response"):
            plan.windows.append((index, fault))
        elif kind == "leave":
            action = Action(index, "leave", fault.consumer, _restart(fault))
            plan.timed.append((int(fault.at_ms * US), action))
        elif kind in ("stall", "pause", "network-cut"):
            slot = fault.consumer
            if slot == "random":
                slot = int(shared_generator(seed, FAULT, index).integers(slots))
            action = Action(index, kind, slot, duration_us=int(fault.duration_ms * US))
            plan.timed.append((int(fault.at_ms * US), action))
        elif kind == "rolling-restart":
            _plan_rolling_restart(plan, index, fault, scenario.group.consumers)
        elif kind == "coordinator-failover":
            timing = (fault.at_ms, fault.unavailable_ms, fault.loading_ms)
            plan.failovers.append(tuple(int(ms * US) for ms in timing))
        elif kind == "txn-coordinator-failover":
            timing = (fault.at_ms, fault.unavailable_ms, fault.loading_ms)
            plan.txn_failovers.append(tuple(int(ms * US) for ms in timing))
        elif kind == "coordinator-outage":
            # No broker serves the group while its broker is down; back up, it loads the group.
            plan.failovers.append((int(fault.at_ms * US), int(fault.duration_ms * US), 0))
        else:  # crash, processing-error
            _plan_failure(plan, index, fault, slots, seed)
    plan.timed.sort(key=lambda item: (item[0], item[1].index))
    return plan


def _plan_rolling_restart(plan: FaultPlan, index: int, fault, consumers: int) -> None:
    """A deployment: each consumer in turn is closed cleanly (LeaveGroup) and started again
    down_ms later; the next one goes interval_ms after the previous one."""
    order = fault.consumers if fault.consumers is not None else range(consumers)
    for k, slot in enumerate(order):
        at_us = int((fault.at_ms + k * fault.interval_ms) * US)
        plan.timed.append((at_us, Action(index, "leave", slot, int(fault.down_ms * US))))


def _plan_failure(plan: FaultPlan, index: int, fault, slots: int, seed: int) -> None:
    drawn = fault.consumer == "random" or getattr(fault, "rate_per_min", None)
    # Drawn from before any other keyed draw; a fault with a fixed target and time draws nothing.
    rng = shared_generator(seed, FAULT, index) if drawn else None

    def target() -> int:
        if fault.consumer is None:
            return OWNER
        return int(rng.integers(slots)) if fault.consumer == "random" else fault.consumer

    restart = _restart(fault)
    owned = -1 if fault.owner_of is None else fault.owner_of
    if getattr(fault, "rate_per_min", None):
        start, end = fault.from_ms * US, fault.to_ms * US
        mean_gap_us = 60_000_000 / fault.rate_per_min
        t = start
        while True:
            t += int(np.rint(rng.exponential(mean_gap_us)))
            if t > end:
                break
            plan.timed.append((t, Action(index, fault.kind, target(), restart)))
    elif fault.at_ms is not None:
        action = Action(index, fault.kind, target(), restart, partition=owned)
        plan.timed.append((int(fault.at_ms * US), action))
    elif fault.at == "mid-batch":
        after = fault.after_records if fault.after_records is not None else 1
        action = Action(index, fault.kind, target(), restart, after, partition=owned)
        plan.mid_batch.setdefault((action.slot, fault.batch), action)
    else:
        action = Action(index, fault.kind, target(), restart, partition=owned)
        plan.points.setdefault((action.slot, fault.at, fault.batch), action)


def pinned(table: dict, inst, *key):
    """The action pinned at `key` for this instance: its own slot's, else one aimed at the owner
    of a partition it holds (left in the table until it fires)."""
    action = table.get((inst.slot, *key))
    if action is not None:
        return (inst.slot, *key), action
    action = table.get((OWNER, *key))
    if action is not None and action.partition in inst.consumer.assignment:
        return (OWNER, *key), action
    return None, None
