"""Builds a run's `Timeline` (`sim.report.timeline_data`) from the ledger, the checker's
report and the scenario's fault plan (for durations, and for which fault of the file a step came
from): what each lane shows. It never changes the run; fitting the result to `columns` pixel
columns (the axis, merged spans, thinned marks) is `sim.report.timeline_pixels`.
"""

from __future__ import annotations

import numpy as np

from sim.report.timeline_data import (
    LANE_SPANS,
    MARKS,
    NOT_MARKED,
    SPANS,
    Anomaly,
    Label,
    Point,
    Span,
    Timeline,
    rebalance_windows,
    slot_color,
)
from sim.report.timeline_data import seconds as _s
from sim.report.timeline_pixels import fit_axis, merged, spaced, thinned
from sim.report.timeline_sources import fault_plan, processed_again


class _Builder:
    def __init__(self, result, record, columns: int):
        self.result, self.ledger, self.report = result, result.ledger, result.report
        self.history = self.report.history
        self.record = record
        self.columns = columns
        self.end_us = self.history.end_us or 1
        self.spans: list[Span] = []
        self.points: list[Point] = []
        self.labels: list[Label] = []
        self.plan = fault_plan(result)

    # ---- lanes ----------------------------------------------------------------------------
    def lanes(self) -> list[str]:
        ledger = self.ledger
        self.slots = sorted({info.slot for info in ledger.instances.values()})
        self.slot_lane = {s: 1 + k for k, s in enumerate(self.slots)}
        self.part_lane = {p: 1 + len(self.slots) + p for p in range(ledger.partitions)}
        lanes = ["group"] + [f"consumer-{s}" for s in self.slots]
        lanes += [f"p{p}" for p in range(ledger.partitions)]
        if self.record is not None:
            lanes.append(f"record p{self.record[0]}:{self.record[1]}")
        return lanes

    def lane_of(self, instance: int) -> int:
        return self.slot_lane[self.ledger.instances[instance].slot]

    # ---- the group lane -------------------------------------------------------------------
    def group(self) -> None:
        """A classic group's rebalance stops its members (grey); a consumer group only
        reconciles, one member and partition at a time while the others process (a lighter
        band: the partition lanes show each revocation and assignment)."""
        spec = self.result.spec
        if spec is not None and spec.group.consumer_protocol:
            kind, words, unit = "reconciling", "reconciling", "epoch"
        else:
            kind, words, unit = "rebalancing", "rebalancing", "generation"
        for start, end, generation in rebalance_windows(self.ledger):
            text = f"{words} from {unit} {generation}: {_s(start)} to {_s(end)}"
            self.spans.append(Span(0, start, end, kind, text))
        failovers = [f for f in self.ledger.faults if f.kind == "coordinator-failover"]
        for k, f in enumerate(failovers):
            unavailable_us, loading_us = self.plan.failovers.get(f.at_us, (0, 0))
            until = failovers[k + 1].at_us if k + 1 < len(failovers) else float("inf")
            loading_at = f.at_us + unavailable_us
            phases = (
                ("unavailable", f.at_us, min(loading_at, until)),
                ("loading", loading_at, min(loading_at + loading_us, until)),
            )
            for kind, a, b in phases:
                if b > a:
                    words = SPANS[kind].label
                    self.spans.append(Span(0, a, b, kind, f"{words}: {_s(a)} to {_s(b)}"))
        for at, generation, assignment in self.ledger.generations:
            owners = "; ".join(
                f"{self.history.name(i)}: {', '.join(f'p{p}' for p in parts) or 'nothing'}"
                for i, parts in assignment.items()
            )
            hover = f"generation {generation} stable at {_s(at)}: {owners}"
            self.labels.append(Label(0, at, f"g{generation}", hover))

    # ---- consumer lanes ---------------------------------------------------------------------
    def consumers(self) -> None:
        ledger, history = self.ledger, self.history
        for i, info in sorted(ledger.instances.items()):
            lane, name = self.lane_of(i), history.name(i)
            if info.incarnation > 0:
                self.points.append(Point(lane, info.at_us, "restart", f"{name} started"))
            if info.incarnation > 0 or info.at_us > 0:
                self.labels.append(Label(lane, info.at_us, name, f"{name} started"))
            stop = ledger.stops.get(i)
            if stop is not None and stop.how == "crash":
                self.points.append(Point(lane, stop.at_us, "crash", f"{name} crashed"))
        for f in ledger.faults:
            if f.kind in NOT_MARKED:
                continue
            if f.instance in ledger.instances:
                lane, name = self.lane_of(f.instance), history.name(f.instance)
                words = f"{f.kind} of {name} at {_s(f.at_us)}"
            else:  # the group's own (offsets expired): on the group lane
                lane, name, words = 0, "the group", f"{f.kind} at {_s(f.at_us)}"
            words += f" ({f.detail})" if f.detail else ""
            if f.kind in LANE_SPANS:
                end = f.at_us + self.plan.durations.get((f.at_us, f.kind, f.instance), 0)
                self.spans.append(Span(lane, f.at_us, end, f.kind, words))
                continue
            kind = f.kind
            if kind == "leave" and (f.at_us, f.instance) in self.plan.rolling:
                kind, words = "rolling-restart", f"rolling restart: {name} closed at {_s(f.at_us)}"
            if kind in MARKS:
                self.points.append(Point(lane, f.at_us, kind, words))
            else:
                self.points.append(Point(lane, f.at_us, "fault", words, label=f.kind))
        self.commits()
        self.aborts()

    def aborts(self) -> None:
        """A transaction aborted (the transactional strategy): on the lane of the slot's
        instance that last started before it (its transactional.id is `app-<slot>`)."""
        ledger = self.ledger
        for t in ledger.txns_ended:
            if t.commit:
                continue
            slot = int(t.transactional_id.rpartition("-")[2])
            mine = [i for i, info in ledger.instances.items() if info.slot == slot]
            started = [i for i in mine if ledger.instances[i].at_us <= t.at_us] or mine
            text = f"{t.transactional_id}'s transaction aborted at {_s(t.at_us)} (epoch {t.epoch})"
            self.points.append(Point(self.lane_of(max(started)), t.at_us, "txn-aborted", text))

    def commits(self) -> None:
        for c in self.ledger.commits.values():
            if c.outcome is None:
                continue
            kind = {"ok": "commit-ok", "UNKNOWN": "commit-unknown"}.get(c.outcome, "commit-failed")
            lane, at = self.lane_of(c.instance), c.completed_us
            offsets = ", ".join(f"p{p}:{o}" for p, o in c.offsets)
            outcome = "outcome unknown" if c.outcome == "UNKNOWN" else c.outcome
            text = (
                f"{self.history.name(c.instance)}'s {c.kind} commit of {offsets} "
                f"(generation {c.generation}), sent {_s(c.sent_us)}: {outcome} at {_s(at)}"
            )
            self.points.append(Point(lane, at, kind, text))

    def busy(self, seg, stops) -> list[tuple[int, int]]:
        """The segment's span, cut where a stall or pause of its processor held every record
        back: no record finished between the fault and its end (a worker thread that kept
        going is still drawn as processing)."""
        spans = [(seg.first_us, seg.last_us)]
        if not stops:
            return spans
        times = self.history.times(seg)
        for at, length in stops:
            if not seg.first_us <= at < seg.last_us:
                continue
            k = int(np.searchsorted(times, at, side="right"))
            if 0 < k < len(times) and times[k] - times[k - 1] >= length:
                a, b = spans.pop()
                spans += [(a, int(times[k - 1])), (int(times[k]), b)]
        return spans

    def processing(self) -> None:
        ledger, history = self.ledger, self.history
        stops: dict[int, list] = {}
        for (at, kind, instance), length in self.plan.durations.items():
            if kind in ("stall", "pause"):
                stops.setdefault(instance, []).append((at, length))
        for seg in ledger.segments:
            name, p = history.name(seg.instance), seg.partition
            color = slot_color(ledger.instances[seg.instance].slot)
            for a, b in self.busy(seg, sorted(stops.get(seg.instance, ()))):
                text = f"{name} processed p{p} [{seg.start}, {seg.end}) (generation " \
                       f"{seg.generation})"  # fmt: skip
                self.spans.append(Span(self.lane_of(seg.instance), a, b, "processing", text, color))
                self.spans.append(Span(self.part_lane[p], a, b, "processing", text, color))
        for p in range(ledger.partitions):
            for seg, a, b, count in processed_again(history, p):
                text = f"{history.name(seg.instance)} processed {count:,} records of p{p} " \
                       f"again (generation {seg.generation})"  # fmt: skip
                self.spans.append(Span(self.part_lane[p], a, b, "again", text))

    # ---- partition lanes --------------------------------------------------------------------
    def holds(self) -> None:
        ledger, history = self.ledger, self.history
        by_partition: dict[int, list] = {}
        for t in ledger.tenures:
            by_partition.setdefault(t.partition, []).append(t)
        for p, tenures in sorted(by_partition.items()):
            lane = self.part_lane[p]
            events = []
            for t in tenures:
                end = t.end_us if t.end_us is not None else self.end_us
                events += [(t.start_us, 1, t), (end, -1, t)]
            events.sort(key=lambda e: (e[0], e[1]))
            open_: list = []
            since, first = None, events[0][0]
            gap_from = first
            for at, step, t in events:
                if step < 0:
                    open_.remove(t)
                    if len(open_) == 1 and since is not None:
                        self._two(lane, p, since, at)
                        since = None
                    if not open_:
                        gap_from = at
                    continue
                if not open_ and at > first and at > gap_from:
                    text = f"p{p} had no owner: {_s(gap_from)} to {_s(at)}"
                    self.spans.append(Span(lane, gap_from, at, "no-owner", text))
                open_.append(t)
                if len(open_) == 2:
                    since = at
            for t in tenures:
                end = t.end_us if t.end_us is not None else self.end_us
                row = 1 if any(
                    u is not t and u.start_us < t.start_us < (u.end_us or self.end_us)
                    for u in tenures
                ) else 0  # fmt: skip
                text = (
                    f"{history.name(t.instance)} held p{p} (generation {t.generation}) from "
                    f"{_s(t.start_us)}" + (f" to {_s(end)} ({t.ended_by})" if t.end_us else "")
                )
                color = slot_color(ledger.instances[t.instance].slot)
                self.spans.append(Span(lane, t.start_us, end, "held", text, color, row))
            if not open_ and gap_from < self.end_us:
                self.spans.append(Span(lane, gap_from, self.end_us, "no-owner", f"p{p} had no "
                                       f"owner from {_s(gap_from)}"))  # fmt: skip

    def _two(self, lane: int, p: int, a: float, b: float) -> None:
        text = f"two members believed they owned p{p}: {_s(a)} to {_s(b)}"
        self.spans.append(Span(lane, a, b, "two-owners", text))

    def anomalies(self) -> tuple[dict[int, str], list[Anomaly]]:
        ledger, history = self.ledger, self.history
        alerts = {}
        for p in range(ledger.partitions):
            effects = ledger.effects_per_offset(p)
            lost = int(np.count_nonzero(effects[: ledger.log_end[p]] == 0))
            twice = int(np.count_nonzero(effects >= 2))
            words = [f"{lost:,} lost"] * bool(lost) + [f"{twice:,} twice"] * bool(twice)
            if words:
                alerts[self.part_lane[p]] = ", ".join(words)
        found = []
        for anomaly in self.report.anomalies.values():
            for g in anomaly.groups:
                lane = self.part_lane[g.partition] if 0 <= g.partition < ledger.partitions else 0
                witness = [
                    Point(self.lane_of(w.instance) if w.instance in ledger.instances else lane,
                          w.at_us, "witness", w.words)
                    for w in g.witness
                ]  # fmt: skip
                span = f"p{g.partition}:{g.start}" + (f"..{g.end - 1}" if g.records > 1 else "")
                at = witness[-1].at_us if witness else history.end_us
                if g.kind == "lost":
                    applied = [w.at_us for w in g.witness if w.event == "commit-applied"]
                    at = applied[0] if applied else at
                    self.points.append(Point(lane, at, "lost", f"{span} lost ({g.records})"))
                found.append(Anomaly(g.kind, lane, at, span, witness, g.partition, g.start))
        return alerts, found

    # ---- one record's life ------------------------------------------------------------------
    def life(self) -> None:
        p, offset = self.record
        lane, history = len(self.lanes_) - 1, self.history
        times = []
        seen = False
        for d in history.deliveries[p]:
            if d.start <= offset < d.end:
                kind = "redelivered" if seen else "delivered"
                seen = True
                text = f"p{p}:{offset} delivered to {history.name(d.instance)} in [{d.start}, " \
                       f"{d.end}) at {_s(d.at_us)}"  # fmt: skip
                self.points.append(Point(lane, d.at_us, kind, text))
                times.append(d.at_us)
        for at, seg in history.processings(p, offset):
            text = f"p{p}:{offset} processed by {history.name(seg.instance)} at {_s(at)}"
            self.points.append(Point(lane, at, "processed", text))
            times.append(at)
        committed = 0
        for commit, value in history.applied[p]:
            if committed <= offset < value:
                text = (f"{history.name(commit.instance)}'s {commit.kind} commit of {value} "
                        f"passed p{p}:{offset} at {_s(commit.applied_us)}")  # fmt: skip
                self.points.append(Point(lane, commit.applied_us, "committed-past", text))
                times.append(commit.applied_us)
            committed = value
        if times:
            a, b = min(times), max(times)
            self.spans.append(Span(lane, a, b, "life", f"p{p}:{offset} from {_s(a)} to {_s(b)}"))

    def build(self) -> Timeline:
        self.lanes_ = self.lanes()
        self.group()
        self.processing()
        self.holds()
        self.consumers()
        if self.record is not None:
            self.life()
        alerts, anomalies = self.anomalies()
        axis = fit_axis(self.spans, self.points, self.ledger, self.end_us, self.columns)
        result, m = self.result, self.report.metrics
        title = f"{result.scenario} · {result.strategy} · seed {result.seed}: {m.lost:,} lost, " \
                f"{m.duplicated_records:,} processed twice"  # fmt: skip
        if m.concurrent_duplicates:
            title += f" ({m.concurrent_duplicates:,} by two members at once)"
        sections = (1, 1 + len(self.slots)) + ((len(self.lanes_) - 1,) if self.record else ())
        return Timeline(
            title, self.lanes_, merged(self.spans, axis), thinned(self.points, axis),
            spaced(self.labels, axis), axis.x_start, axis.x_end, axis.note, alerts, anomalies,
            sections, len(self.lanes_) - 1 if self.record is not None else None,
        )  # fmt: skip


def build_timeline(result, record: tuple[int, int] | None = None, columns: int = 1100):
    """The timeline of a run (`sim.api.run`'s result), `record` (partition, offset) followed
    through its life, at `columns` pixel columns across the axis."""
    return _Builder(result, record, columns).build()
