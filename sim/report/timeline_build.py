"""Builds a run's `Timeline` (`sim.report.timeline_data`) from the ledger, the checker's
report and the scenario's fault plan (for durations, and for which fault of the file a step came
from); nothing changes the run. One pixel column (`columns` across the axis) is the finest
detail: spans closer than a pixel merge and marks within a pixel draw once, so a ten-minute run
stays a readable picture.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.faults import plan_faults
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


class _Builder:
    def __init__(self, result, record, columns: int):
        self.result, self.ledger, self.report = result, result.ledger, result.report
        self.history = self.report.history
        self.record = record
        self.columns = columns
        self.end_us = self.history.end_us or 1
        self.pixel_us = 0.0  # known once the axis is trimmed (`build`)
        self.spans: list[Span] = []
        self.points: list[Point] = []
        self.labels: list[Label] = []
        self.plan = _plan(result)

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
        for start, end, generation in rebalance_windows(self.ledger):
            text = f"rebalancing from generation {generation}: {_s(start)} to {_s(end)}"
            self.spans.append(Span(0, start, end, "rebalancing", text))
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
            for seg, a, b, count in _again(history, p):
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

    # ---- the axis ---------------------------------------------------------------------------
    def action_end(self) -> float:
        """The last moment anything happens: idle polls and re-commits of unchanged offsets
        after it are no action."""
        ends = [s.end_us for s in self.spans if s.kind not in ("held", "no-owner")]
        ends += [p.at_us for p in self.points if p.kind != "commit-ok"]
        ends += [at for at, _, _ in self.ledger.generations]
        ends += [d.at_us for d in self.ledger.deliveries]
        return max(ends, default=self.end_us)

    def action_start(self) -> float:
        """The first moment anything happens: a group forming, a fault, a delivery, a join."""
        starts = [at for at, _, _ in self.ledger.generations]
        starts += [f.at_us for f in self.ledger.faults]
        starts += [d.at_us for d in self.ledger.deliveries[:1]]
        starts += [s.start_us for s in self.spans if s.kind == "rebalancing"]
        return min(starts, default=0)

    def build(self) -> Timeline:
        self.lanes_ = self.lanes()
        self.group()
        self.processing()
        self.holds()
        self.consumers()
        if self.record is not None:
            self.life()
        alerts, anomalies = self.anomalies()
        action = self.action_end()
        first = self.action_start()
        margin = 0.03 * max(action - first, 1)
        x_end = min(self.end_us, action + margin) if action > 0 else self.end_us
        x_start = max(0.0, first - margin)
        self.pixel_us = (x_end - x_start) / self.columns
        note = ""
        if x_end < self.end_us:
            note = f"nothing happens after {_s(action)}; the run ends at {_s(self.end_us)}"
        result, m = self.result, self.report.metrics
        title = f"{result.scenario} · {result.strategy} · seed {result.seed}: {m.lost:,} lost, " \
                f"{m.duplicated_records:,} processed twice"  # fmt: skip
        if m.concurrent_duplicates:
            title += f" ({m.concurrent_duplicates:,} by two members at once)"
        sections = (1, 1 + len(self.slots)) + ((len(self.lanes_) - 1,) if self.record else ())
        return Timeline(
            title, self.lanes_, self._merged(x_end), self._thinned(x_end), self._spaced(x_end),
            x_start, x_end, note, alerts, anomalies, sections,
            len(self.lanes_) - 1 if self.record is not None else None,
        )  # fmt: skip

    def _merged(self, x_end: float) -> list[Span]:
        """Spans of one lane, kind, colour and row closer than a pixel become one, each at
        least a pixel wide; the first span's text speaks for the merged one, with a count.
        Processing merges across gaps of up to three pixels: a consumer that has caught up
        polls between small batches, and those slivers of idle time would draw a picket fence
        that reads like a pattern, not like work."""
        groups: dict[tuple, list[Span]] = {}
        for s in self.spans:
            if s.start_us <= x_end:
                groups.setdefault((s.lane, s.kind, s.color or "", s.row), []).append(s)
        out = []
        for (_, kind, _, _), spans in groups.items():
            px = self.pixel_us * (3 if kind == "processing" else 1)
            spans.sort(key=lambda s: s.start_us)
            merged: list[list] = []
            for s in spans:
                end = max(s.end_us, s.start_us + self.pixel_us)
                if merged and s.start_us - merged[-1][1] < px:
                    merged[-1][1] = max(merged[-1][1], end)
                    merged[-1][3] += 1
                else:
                    merged.append([s.start_us, end, s, 1])
            for a, b, s, n in merged:
                more = f" (and {n - 1} more)" if n > 1 else ""
                out.append(Span(s.lane, a, min(b, x_end), s.kind, s.text + more, s.color, s.row))
        return out

    def _thinned(self, x_end: float) -> list[Point]:
        """One point per pixel per lane and kind (the first speaks for the rest); successful
        commits, the most frequent, one per eight pixels."""
        last: dict[tuple, float] = {}
        out = []
        for pt in sorted(self.points, key=lambda p: p.at_us):
            key = (pt.lane, pt.kind, pt.label)
            gap = self.pixel_us * (8 if pt.kind == "commit-ok" else 1)
            if pt.at_us > x_end or (key in last and pt.at_us - last[key] < gap):
                continue
            last[key] = pt.at_us
            out.append(pt)
        return out

    def _spaced(self, x_end: float) -> list[Label]:
        """Labels of a lane no closer than a label's width (6 pixels a character): the first
        speaks for the rest."""
        out, last = [], {}
        for lab in sorted(self.labels, key=lambda la: la.at_us):
            if lab.at_us > x_end:
                continue
            width = (6 * len(lab.text) + 8) * self.pixel_us
            if lab.lane in last and lab.at_us - last[lab.lane] < width:
                continue
            last[lab.lane] = lab.at_us
            out.append(lab)
        return out


def _again(history, p: int):
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
class _Plan:
    durations: dict[tuple[int, str, int], int]  # (at, kind, instance) -> length, µs
    rolling: set[tuple[int, int]]  # (at, instance) of leaves that are rolling restart steps
    failovers: dict[int, tuple[int, int]]  # at -> (unavailable, loading), µs


def _plan(result) -> _Plan:
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
    return _Plan(durations, rolling, failovers)


def build_timeline(result, record: tuple[int, int] | None = None, columns: int = 1100):
    """The timeline of a run (`sim.api.run`'s result), `record` (partition, offset) followed
    through its life, at `columns` pixel columns across the axis."""
    return _Builder(result, record, columns).build()
