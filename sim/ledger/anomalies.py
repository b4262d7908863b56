"""The anomalies of a finished run, per record (partition, offset), each group with a witness.

Counts are exact and computed with numpy over the per-record arrays; only the first MAX_GROUPS
groups of each kind are spelled out, in a fixed order (partition, then offset; regressions in
the order the coordinator applied them). A group is a run of consecutive offsets with the same
cause: runs are cut wherever a delivery, a segment, a commit or a position begins or ends, so
every offset of a group has the witness of its first offset. A group's witness is built when
it is first read: a search over many seeds reads the counts, and only a few stories.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, partial

import numpy as np

from sim.ledger import Position, Segment
from sim.ledger.witness import History, Witness, by_time

MAX_GROUPS = 20


@dataclass(frozen=True)
class AnomalyGroup:
    """Offsets [start, end) of one partition that share a cause, and the events that show it."""

    kind: str
    partition: int
    start: int
    end: int
    find_witness: Callable[[], tuple[Witness, ...]] = field(repr=False, compare=False)

    @cached_property
    def witness(self) -> tuple[Witness, ...]:
        """The events that show the cause, built on first use (from the finished ledger)."""
        return self.find_witness()

    @property
    def records(self) -> int:
        return self.end - self.start

    def __str__(self) -> str:
        span = f"{self.start}" if self.records == 1 else f"{self.start}..{self.end - 1}"
        lines = [f"{self.kind} {self.partition}:{span} ({self.records} records)"]
        return "\n".join(lines + [f"  {w}" for w in self.witness])


@dataclass(frozen=True, slots=True)
class Anomaly:
    """One kind of anomaly over the whole run."""

    kind: str
    count: int  # records affected (offset-regression: regressions)
    groups: tuple[AnomalyGroup, ...]  # at most MAX_GROUPS
    total_groups: int


def runs(mask: np.ndarray, breaks) -> tuple[np.ndarray, np.ndarray]:
    """[start, end) of the runs of True in `mask`, also cut at each offset in `breaks`."""
    n = len(mask)
    cut = np.zeros(n + 1, dtype=bool)
    cut[[b for b in breaks if 0 < b < n]] = True
    padded = np.zeros(n + 2, dtype=bool)
    padded[1:-1] = mask
    before, after = padded[:-1], padded[1:]  # at boundary k: offsets k - 1 and k
    starts = (after & (cut | ~before)).nonzero()[0]
    ends = (before & (cut | ~after)).nonzero()[0]
    return starts, ends


def find_lost(history: History, limit: int = MAX_GROUPS) -> Anomaly:
    """Offsets below the log end that nobody ever processed."""
    ledger = history.ledger
    count = total = 0
    groups: list[AnomalyGroup] = []
    for p in range(ledger.partitions):
        mask = ledger.effects_per_offset(p)[: ledger.log_end[p]] == 0
        lost = int(np.count_nonzero(mask))
        if not lost:
            continue
        count += lost
        breaks = [b for d in history.deliveries[p] for b in (d.start, d.end)]
        breaks += [offset for _, offset in history.applied[p]]
        breaks += [pos.offset for pos in history.positions[p]]
        starts, ends = runs(mask, breaks)
        total += len(starts)
        for s, e in zip(starts[: limit - len(groups)], ends, strict=False):
            groups.append(AnomalyGroup("lost", p, int(s), int(e), partial(history.lost, p, int(s))))
    return Anomaly("lost", count, tuple(groups), total)


def concurrent_mask(history: History, partition: int, dup: np.ndarray) -> np.ndarray:
    """Of the offsets in `dup`, those processed by one instance while another that had processed
    them before still held the partition. Every processing is an interval, from its finish time
    to its owner's tenure end (`History.owner_until`); sorted by offset, then time, one sweep
    keeps per offset the latest tenure end so far and whose it is. That is enough: the earliest
    processing b overlapping an earlier one a of another instance finds at the top an instance
    other than its own (were it b's own, ending after a's, that processing and a would overlap
    earlier than b). n log n in processings, however often a record was repeated."""
    mask = np.zeros(len(dup), dtype=bool)
    offsets, times, until, instance = [], [], [], []
    for seg in history.segments[partition]:  # seq order: equal times keep it (a stable sort)
        hit = np.flatnonzero(dup[seg.start : seg.end])
        if not len(hit):
            continue
        offsets.append(hit + seg.start)
        times.append(history.times(seg)[hit])
        until.append(np.full(len(hit), history.owner_until(seg), dtype=np.int64))
        instance.append(np.full(len(hit), seg.instance, dtype=np.int64))
    if not offsets:
        return mask
    offsets, times = np.concatenate(offsets), np.concatenate(times)
    order = np.lexsort((times, offsets))
    columns = (offsets, times, np.concatenate(until), np.concatenate(instance))
    found = []
    current = top_until = top_instance = -1
    for offset, t, end, who in zip(*(column[order].tolist() for column in columns), strict=True):
        if offset != current:  # the offset's first processing: nobody held it before
            current, top_until, top_instance = offset, end, who
        elif who != top_instance and top_until > t:
            found.append(offset)
        elif end > top_until:
            top_until, top_instance = end, who
    mask[found] = True
    return mask


def find_duplicates(history: History, limit: int = MAX_GROUPS) -> tuple[Anomaly, Anomaly]:
    """(duplicate, concurrent-duplicate): offsets processed more than once, and the duplicates
    made while two instances held the partition. What the sink showed of them is the checker's
    `sink_counts`."""
    ledger = history.ledger
    dup_count = conc_count = dup_total = conc_total = 0
    dup_groups: list[AnomalyGroup] = []
    conc_groups: list[AnomalyGroup] = []
    for p in range(ledger.partitions):
        effects = ledger.effects_per_offset(p)
        dup = effects >= 2
        records = int(np.count_nonzero(dup))
        if not records:
            continue
        dup_count += records
        breaks = [b for s in history.segments[p] for b in (s.start, s.end)]
        breaks += [pos.offset for pos in history.positions[p]]
        starts, ends = runs(dup, breaks)
        dup_total += len(starts)
        for s, e in zip(starts[: limit - len(dup_groups)], ends, strict=False):
            witness = partial(history.duplicate, p, int(s))
            dup_groups.append(AnomalyGroup("duplicate", p, int(s), int(e), witness))
        conc = concurrent_mask(history, p, dup)
        concurrent = int(np.count_nonzero(conc))
        if not concurrent:
            continue
        conc_count += concurrent
        starts, ends = runs(conc, breaks)
        conc_total += len(starts)
        for s, e in zip(starts[: limit - len(conc_groups)], ends, strict=False):
            witness = partial(history.duplicate, p, int(s))
            conc_groups.append(AnomalyGroup("concurrent-duplicate", p, int(s), int(e), witness))
    return (
        Anomaly("duplicate", dup_count, tuple(dup_groups), dup_total),
        Anomaly("concurrent-duplicate", conc_count, tuple(conc_groups), conc_total),
    )


def find_regressions(history: History, limit: int = MAX_GROUPS) -> Anomaly:
    """Applied commits that moved a partition's committed offset backwards (last write wins)."""
    ledger = history.ledger
    committed: dict[int, tuple] = {}
    count = 0
    groups: list[AnomalyGroup] = []
    for request_id in ledger.applied:
        commit = ledger.commits[request_id]
        for p, offset in commit.offsets:
            before = committed.get(p)
            committed[p] = (commit, offset)
            if before is None or offset >= before[1]:
                continue
            count += 1
            if len(groups) < limit:
                old, old_offset = before
                witness = partial(_regression_witness, history, p, old, old_offset, commit, offset)
                groups.append(AnomalyGroup("offset-regression", p, offset, old_offset, witness))
    return Anomaly("offset-regression", count, tuple(groups), count)


def _regression_witness(history: History, p: int, old, old_offset: int, commit, offset: int):
    """The commit that stored the higher offset, and the later-applied one that moved it back."""
    return (
        Witness(
            old.applied_us, "commit-applied", old.instance, history.commit_words(old, p, old_offset)
        ),
        Witness(
            commit.applied_us,
            "commit-applied",
            commit.instance,
            history.commit_words(commit, p, offset)
            + f": partition {p}'s committed offset moves back from {old_offset} to {offset}",
        ),
    )


def find_gaps(history: History, limit: int = MAX_GROUPS) -> tuple[Anomaly, Anomaly]:
    """(skip, reorder): within one tenure, a segment that does not start where reading was
    expected to go on: the previous segment's end, or the last position set (committed, reset,
    seek). A fresh tenure starts a fresh expectation, so a hand-off is never a reorder. A worker
    thread's leftovers (async processing: records delivered in a generation before the tenure's,
    finished after the instance got the partition back) belong to the earlier tenure's reading
    and are left out."""
    ledger = history.ledger
    # Per (instance, partition), in seq order: what resets the expectation (a tenure start
    # forgets it; a position sets it), as (seq, expected offset or None, the event, the
    # tenure's generation or None).
    resets: dict[tuple[int, int], list] = {}
    for t in ledger.tenures:
        entry = (t.start_seq, None, None, t.generation)
        resets.setdefault((t.instance, t.partition), []).append(entry)
    for pos in ledger.positions:
        entry = (pos.seq, pos.offset, pos, None)
        resets.setdefault((pos.instance, pos.partition), []).append(entry)
    for events in resets.values():
        events.sort(key=lambda e: e[0])
    # -> [expected, last event, next reset index, tenure generation]
    state: dict[tuple[int, int], list] = {}
    found = {"skip": [], "reorder": []}
    for seg in ledger.segments:
        key = (seg.instance, seg.partition)
        st = state.get(key)
        if st is None:
            st = state[key] = [None, None, 0, None]
        pending = resets.get(key)
        if pending:
            i = st[2]
            while i < len(pending) and pending[i][0] < seg.seq:
                _, st[0], st[1], generation = pending[i]
                if generation is not None:
                    st[3] = generation
                i += 1
            st[2] = i
        if st[3] is not None and seg.generation < st[3]:
            continue  # a worker's leftover from an earlier tenure
        expected = st[0]
        if expected is not None and seg.start != expected:
            kind = "skip" if seg.start > expected else "reorder"
            found[kind].append((seg.partition, min(seg.start, expected), seg, expected, st[1]))
        st[0], st[1] = seg.end, seg
    return _gap_anomaly(history, "skip", found["skip"], limit), _gap_anomaly(
        history, "reorder", found["reorder"], limit
    )


def _gap_anomaly(history: History, kind: str, found: list, limit: int) -> Anomaly:
    found.sort(key=lambda f: (f[0], f[1], f[2].seq))
    count, groups = 0, []
    for p, _, seg, expected, last in found:
        start, end = (
            (expected, seg.start) if kind == "skip" else (seg.start, min(seg.end, expected))
        )
        count += end - start
        if len(groups) < limit:
            witness = partial(_gap_witness, history, kind, seg, last, start, end)
            groups.append(AnomalyGroup(kind, p, start, end, witness))
    return Anomaly(kind, count, tuple(groups), len(found))


def _gap_witness(history, kind, seg: Segment, last, start, end) -> tuple[Witness, ...]:
    """Where reading was expected to go on, any delivery in between, and the segment."""
    who, p = history.name(seg.instance), seg.partition
    events = []
    if isinstance(last, Position):
        events.append(
            Witness(
                last.at_us,
                "position",
                seg.instance,
                f"{who} starts reading partition {p} at offset {last.offset} ({last.source})",
            )
        )
    else:
        events.append(
            Witness(
                last.last_us,
                "processed",
                seg.instance,
                f"{who} processed offsets [{last.start}, {last.end}) of partition {p}",
            )
        )
    for d in history.deliveries[p]:
        between = last.seq < d.seq < seg.seq
        if d.instance == seg.instance and between and d.start < end and d.end > start:
            events.append(
                Witness(
                    d.at_us,
                    "delivered",
                    d.instance,
                    f"offsets [{d.start}, {d.end}) of partition {p} delivered to {who}",
                )
            )
    gap = "skipping" if kind == "skip" else "going back over"
    events.append(
        Witness(
            seg.first_us,
            "processed",
            seg.instance,
            f"{who} then processed offsets [{seg.start}, {seg.end}) of partition {p}, {gap} "
            f"offsets [{start}, {end}) in the same tenure",
        )
    )
    return by_time(events)
