"""What a run's timeline needs that the ledger does not hold as such: how long each recorded
fault lasted and which fault of the file it came from (the scenario's fault plan, matched to the
ledger's faults), and when records were processed again, in time order.

Read-only over a finished run; it never draws or decides what a lane shows
(`sim.report.timeline_build`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.faults import plan_faults

__all__ = ["FaultPlan", "fault_plan", "processed_again"]


def processed_again(history, p: int):
    """(segment, first, last, records) for each segment's processings of p that came after the
    record's earliest one: when records were processed again, in time order (the ledger's
    repeat flag follows recording order, which a paused batch recorded late reverses)."""
    effects = history.ledger.effects_per_offset(p)
    dup = effects >= 2
    if not dup.any():
        return []
    offsets, times, owners = [], [], []
    segments = history.segments[p]
    for k, seg in enumerate(segments):
        mask = dup[seg.start : seg.end]
        if mask.any():
            offsets.append(np.arange(seg.start, seg.end)[mask])
            times.append(history.times(seg)[mask])
            owners.append(np.full(int(mask.sum()), k))
    offset, time, owner = (np.concatenate(a) for a in (offsets, times, owners))
    order = np.lexsort((owner, time, offset))
    repeat = np.ones(len(order), dtype=bool)
    repeat[0] = False
    repeat[1:] = offset[order][1:] == offset[order][:-1]
    again_time, again_owner = time[order][repeat], owner[order][repeat]
    out = []
    for k in np.unique(again_owner):
        ts = again_time[again_owner == k]
        out.append((segments[int(k)], int(ts.min()), int(ts.max()), len(ts)))
    return out


@dataclass
class FaultPlan:
    durations: dict[tuple[int, str, int], int]  # (at, kind, instance) -> length, µs
    rolling: set[tuple[int, int]]  # (at, instance) of leaves that are rolling restart steps
    failovers: dict[int, tuple[int, int]]  # at -> (unavailable, loading), µs


def fault_plan(result) -> FaultPlan:
    """Durations and origins of the faults the ledger recorded, from the scenario's plan: the
    ledger records when a fault hit and whom, the plan how long it lasts and which fault of the
    file it came from. A fault matches its plan entry by time, kind and consumer slot."""
    ledger = result.ledger
    spec = result.spec
    plan = plan_faults(spec, result.seed) if spec is not None else None
    actions = {}
    for at, action in plan.timed if plan else ():
        actions[(at, action.kind, action.slot)] = action
    durations, rolling = {}, set()
    for f in ledger.faults:
        info = ledger.instances.get(f.instance)
        action = actions.get((f.at_us, f.kind, info.slot)) if info is not None else None
        if action is None:
            continue
        durations[(f.at_us, f.kind, f.instance)] = action.duration_us
        if spec.faults[action.index].kind == "rolling-restart":
            rolling.add((f.at_us, f.instance))
    failovers = {at: (u, lo) for at, u, lo in plan.failovers} if plan else {}
    return FaultPlan(durations, rolling, failovers)
