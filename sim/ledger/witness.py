"""Witnesses: the few ledger events that explain why one record was lost or processed twice.

`History` indexes a finished ledger for questions asked after the run (which segments processed
this offset, which tenure was open then, which commit covered it, where the next owner started)
and answers them in plain words. The checker asks it for the first record of each anomaly group;
`offsim explain --record P:OFFSET` can ask it about any record.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from sim.ledger import NEVER, Commit, Delivery, Ledger, Position, Segment, Tenure


@dataclass(frozen=True, slots=True)
class Witness:
    """One event of an explanation: when, what kind, whose, and what it means."""

    at_us: int
    event: str  # delivered | processed | position | commit-applied | tenure-ended | zombie |
    # liveness | end
    instance: int | None
    words: str

    def __str__(self) -> str:
        return f"{self.at_us / 1000:>12.3f} ms  {self.words}"


# How a stall, pause, network cut or poll timeout reads in a story (docs/scenarios.md, faults).
_LIVENESS = {
    "stall": "{who}'s poll loop stalled {detail}",
    "pause": "{who}'s whole process paused {detail}, its heartbeats too",
    "network-cut": "{who} lost its link to the coordinator {detail}, heartbeats included",
    "poll-timeout": "{who}'s max.poll.interval.ms ran out: its heartbeat thread left the group",
}

# Why a sink absorbed records (sim/model/sink.py), in a story's words.
_ABSORBED = {
    "applied-before": "an idempotent sink had applied them already",
    "not-newer": "their keys' rows held them or newer records already",
    "fenced": "the store refused the write, its generation below the partition's fence",
}

_ENDINGS = {
    "revoked": "revoked (onPartitionsRevoked)",
    "lost": "lost (onPartitionsLost)",
    "crash": "the consumer crashed",
    "close": "the consumer closed",
    "error": "the consumer failed (an exception out of the poll loop)",
    "leave": "the consumer left the group",
}


def by_time(events: list[Witness]) -> tuple[Witness, ...]:
    unique = dict.fromkeys(events)  # keeps the first of equal events, in order
    return tuple(sorted(unique, key=lambda w: w.at_us))


class History:
    """Check-time lookups over a finished ledger."""

    def __init__(self, ledger: Ledger):
        self.ledger = ledger
        self.end_us = ledger.end_us if ledger.end_us is not None else ledger.last_us
        self._overlap_index: dict[int, tuple] = {}
        self.foreign: list[tuple[Commit, int, int]] = []  # applied offsets of unknown partitions

    def _by_partition(self, items) -> list[list]:
        out = [[] for _ in range(self.ledger.partitions)]
        for item in items:
            out[item.partition].append(item)
        return out

    # Built on first use: a clean run's check never needs most of them.
    @cached_property
    def segments(self) -> list[list[Segment]]:
        """Per partition, in seq order."""
        return self._by_partition(self.ledger.segments)

    @cached_property
    def deliveries(self) -> list[list[Delivery]]:
        return self._by_partition(self.ledger.deliveries)

    @cached_property
    def positions(self) -> list[list[Position]]:
        return self._by_partition(self.ledger.positions)

    @cached_property
    def applied(self) -> list[list[tuple[Commit, int]]]:
        """Per partition, (commit, offset) in the order the coordinator applied them."""
        ledger = self.ledger
        out: list[list[tuple[Commit, int]]] = [[] for _ in range(ledger.partitions)]
        for request_id in ledger.applied:
            commit = ledger.commits[request_id]
            for p, offset in commit.offsets:
                if 0 <= p < ledger.partitions:
                    out[p].append((commit, offset))
                else:
                    self.foreign.append((commit, p, offset))
        return out

    @cached_property
    def tenures(self) -> dict[tuple[int, int], list[Tenure]]:
        """Per (instance, partition), in seq order."""
        out: dict[tuple[int, int], list[Tenure]] = {}
        for t in self.ledger.tenures:
            out.setdefault((t.instance, t.partition), []).append(t)
        return out

    @cached_property
    def _tenure_starts(self) -> dict[tuple[int, int], list[int]]:
        return {k: [t.start_seq for t in v] for k, v in self.tenures.items()}

    # ---- lookups ----------------------------------------------------------------------------
    def name(self, instance: int | None) -> str:
        info = self.ledger.instances.get(instance)
        return info.member_id if info is not None else f"instance {instance}"

    def times(self, seg: Segment) -> np.ndarray:
        """Per-record finish times of a segment (see `Segment`)."""
        if seg.times is not None:
            return seg.times
        return self.ledger.first_effect_us(seg.partition)[seg.start : seg.end]

    def tenure(self, instance: int, partition: int, seq: int) -> Tenure | None:
        """The instance's tenure of the partition open at event `seq`, or the last one before."""
        starts = self._tenure_starts.get((instance, partition))
        if not starts:
            return None
        i = bisect.bisect_left(starts, seq)
        return self.tenures[(instance, partition)][i - 1] if i else None

    def liveness(self, seg: Segment, until_us: int) -> list[Witness]:
        """The stalls, pauses, cuts and poll timeouts that hit the segment's processor during
        its hold on the partition, up to `until_us`: why it became a zombie."""
        tenure = self.tenure(seg.instance, seg.partition, seg.seq)
        since = tenure.start_us if tenure is not None else 0
        return [
            Witness(
                f.at_us,
                "liveness",
                f.instance,
                _LIVENESS[f.kind].format(who=self.name(f.instance), detail=f.detail),
            )
            for f in self.ledger.faults
            if f.instance == seg.instance and f.kind in _LIVENESS and since <= f.at_us <= until_us
        ]

    def owner_until(self, seg: Segment) -> int:
        """Until when the segment's processor acted as the partition's owner: the end of its
        tenure, or its last effect if it kept processing after that (a worker thread)."""
        tenure = self.tenure(seg.instance, seg.partition, seg.seq)
        if tenure is None:
            return seg.last_us
        end = NEVER if tenure.end_us is None else tenure.end_us
        return max(end, seg.last_us)

    def overlapping(self, partition: int, start: int, end: int) -> list[Segment]:
        """Segments of the partition that processed any offset in [start, end), in seq order."""
        index = self._overlap_index.get(partition)
        segs = self.segments[partition]
        if index is None:
            order = sorted(range(len(segs)), key=lambda i: segs[i].start)
            longest = max((s.end - s.start for s in segs), default=0)
            starts = [segs[i].start for i in order]
            index = self._overlap_index[partition] = (starts, order, longest)
        sorted_starts, order, longest = index
        lo = bisect.bisect_left(sorted_starts, start - longest + 1)
        hi = bisect.bisect_left(sorted_starts, end)
        found = [segs[i] for i in order[lo:hi] if segs[i].end > start]
        return sorted(found, key=lambda s: s.seq)

    def _tenure_end(self, tenure: Tenure | None, partition: int) -> list[Witness]:
        if tenure is None or tenure.end_us is None:
            return []
        who = self.name(tenure.instance)
        how = _ENDINGS.get(tenure.ended_by, tenure.ended_by)
        return [
            Witness(
                tenure.end_us,
                "tenure-ended",
                tenure.instance,
                f"{who}'s hold on partition {partition} ended: {how}",
            )
        ]

    def commit_words(self, commit: Commit, partition: int, offset: int) -> str:
        return (
            f"{self.name(commit.instance)}'s {commit.kind} commit of offset {offset} for "
            f"partition {partition} (generation {commit.generation}, sent at "
            f"{commit.sent_us / 1000:.3f} ms) applied"
        )

    # ---- witnesses --------------------------------------------------------------------------
    def lost(self, partition: int, offset: int) -> tuple[Witness, ...]:
        """Who read the record and what stopped them, the commit that covered it, and where the
        next owner started reading (past it)."""
        events: list[Witness] = []
        for d in self.deliveries[partition]:
            if d.start <= offset < d.end:
                events.append(
                    Witness(
                        d.at_us,
                        "delivered",
                        d.instance,
                        f"offsets [{d.start}, {d.end}) of partition {partition} delivered to "
                        f"{self.name(d.instance)}",
                    )
                )
                events += self._tenure_end(self.tenure(d.instance, partition, d.seq), partition)
        after_seq = 0
        for commit, committed in self.applied[partition]:
            if committed > offset:
                events.append(
                    Witness(
                        commit.applied_us,
                        "commit-applied",
                        commit.instance,
                        self.commit_words(commit, partition, committed)
                        + f": it covers offset {offset}, which nobody had processed",
                    )
                )
                after_seq = commit.applied_seq
                break
        for pos in self.positions[partition]:
            if pos.seq > after_seq and pos.offset > offset:
                events.append(
                    Witness(
                        pos.at_us,
                        "position",
                        pos.instance,
                        f"{self.name(pos.instance)} starts reading partition {partition} at offset "
                        f"{pos.offset} ({pos.source}): offset {offset} is never read again",
                    )
                )
                break
        if not events:
            ending = "the run drained" if self.ledger.quiesced else "the run did not drain"
            events.append(
                Witness(
                    self.end_us,
                    "end",
                    None,
                    f"offset {offset} of partition {partition} was never delivered ({ending})",
                )
            )
        return by_time(events)

    def processings(self, partition: int, offset: int) -> list[tuple[int, Segment]]:
        """(finish time, segment) of every processing of the record, earliest first."""
        found = [
            (int(self.times(s)[offset - s.start]), s)
            for s in self.overlapping(partition, offset, offset + 1)
        ]
        return sorted(found, key=lambda ts: (ts[0], ts[1].seq))

    def duplicate(self, partition: int, offset: int) -> tuple[Witness, ...]:
        """Each processing, the committed offset each later processor resumed from, and the
        event that ended the earlier processor's hold (or that it still held the partition)."""
        events: list[Witness] = []
        runs = self.processings(partition, offset)
        for k, (at_us, seg) in enumerate(runs):
            who = self.name(seg.instance)
            events.append(
                Witness(
                    at_us,
                    "processed",
                    seg.instance,
                    f"{who} processed offset {offset} of partition {partition} "
                    f"(generation {seg.generation}){self._absorbed_words(seg)}",
                )
            )
            if k == 0:
                continue
            events += self._resumed_from(seg, offset)
            before_us, before = runs[k - 1]
            if before.instance == seg.instance:
                continue
            tenure = self.tenure(before.instance, partition, before.seq)
            if self.owner_until(before) > at_us:
                events += self.liveness(before, at_us)
                events.append(
                    Witness(
                        at_us,
                        "zombie",
                        before.instance,
                        f"{self.name(before.instance)} still held partition {partition} "
                        f"when {who} processed offset {offset}: both believed they owned it",
                    )
                )
            else:
                events += self._tenure_end(tenure, partition)
        return by_time(events)

    @cached_property
    def _absorbed(self) -> dict:
        """The sink's absorbed records by the seq of the segment they belong to."""
        return {a.seq - 1: a for a in self.ledger.absorbed_writes}

    def _absorbed_words(self, seg: Segment) -> str:
        """What the sink did with the segment's records, when it absorbed some."""
        absorbed = self._absorbed.get(seg.seq)
        if absorbed is None:
            return ""
        span = f"{absorbed.count} of offsets [{seg.start}, {seg.end})"
        return f"; the sink absorbed {span}: {_ABSORBED[absorbed.reason]}"

    def resumed_from(self, seg: Segment, offset: int) -> Position | None:
        """The last position the segment's processor set at or below the record before it."""
        start = None
        for pos in self.positions[seg.partition]:
            if pos.seq > seg.seq:
                break
            if pos.instance == seg.instance and pos.offset <= offset:
                start = pos
        return start

    def stored_by(self, position: Position) -> tuple[Commit, int] | None:
        """The applied commit whose offset a `committed` position read, if it was one."""
        stored = None
        for commit, committed in self.applied[position.partition]:
            if commit.applied_seq > position.seq:
                break
            stored = (commit, committed)
        if stored is None or stored[1] != position.offset:
            return None
        return stored

    def _resumed_from(self, seg: Segment, offset: int) -> list[Witness]:
        """The position the processor started from at or below the record, and the commit that
        stored it when it came from the committed offset."""
        start = self.resumed_from(seg, offset)
        if start is None:
            return []
        who, p = self.name(seg.instance), seg.partition
        events = [
            Witness(
                start.at_us,
                "position",
                seg.instance,
                f"{who} starts reading partition {p} at offset {start.offset} ({start.source})",
            )
        ]
        if start.source == "committed":
            stored = self.stored_by(start)
            if stored is not None:
                events.append(
                    Witness(
                        stored[0].applied_us,
                        "commit-applied",
                        stored[0].instance,
                        self.commit_words(stored[0], p, stored[1]),
                    )
                )
        return events

    def explain(self, partition: int, offset: int) -> tuple[Witness, ...]:
        """A lost record's witness if nobody processed it, else its processings and hand-offs."""
        effects = self.ledger.effects_per_offset(partition)
        if offset >= len(effects) or effects[offset] == 0:
            return self.lost(partition, offset)
        return self.duplicate(partition, offset)
