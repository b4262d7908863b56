"""The run's measures beyond its anomalies, computed from the finished ledger (docs/metrics.md).

How long the group and each partition stood without an owner (group stall, rebalance
downtime); how far the committed offsets trailed the log end (consumer lag, as
`kafka-consumer-groups --describe` shows it), in records and in time; how long a record waited
from its append to its first effect (end-to-end latency). Computed after the run, never inside
the model, and never per record in Python: the lag is a step function with one step per append,
commit or offset expiry, evaluated for every partition at once; the latency is a few numpy passes
over the per-record arrays the checker already holds.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from sim.ledger import NEVER
from sim.ledger.witness import History

QUANTILES = (0.50, 0.99)  # reported with the maximum: p50, p99, max


class PartitionLag(NamedTuple):
    """One partition's committed lag over the run, and its state at the end (the columns of
    `kafka-consumer-groups --describe`: log end offset, current offset, lag)."""

    partition: int
    log_end_offset: int
    committed_offset: int | None  # at the end; None: never committed, or expired
    lag_records: int  # at the end
    lag_records_max: int
    lag_records_mean: float  # averaged over the run's simulated time
    lag_max_ms: float  # the age of the oldest record not yet committed, at its worst
    lag_mean_ms: float


class Latency(NamedTuple):
    """Append to first effect over a set of processed records, in milliseconds (nearest rank:
    each value is one record's latency). None when the set is empty."""

    p50_ms: float | None
    p99_ms: float | None
    max_ms: float | None


NO_LATENCY = Latency(None, None, None)


# ---- partitions without an owner ---------------------------------------------------------------
def _covered(spans: list[tuple[int, int]]) -> int:
    """The length of the union of [start, stop) spans."""
    covered, reach = 0, None
    for start, stop in sorted(spans):
        if reach is None or start > reach:
            covered += stop - start
            reach = stop
        elif stop > reach:
            covered += stop - reach
            reach = stop
    return covered


def _tenure_spans(history: History) -> dict[int, list[tuple[int, int]]]:
    """Per partition, the [start, stop) of every tenure (open ones run to the end)."""
    end_us = history.end_us
    spans: dict[int, list[tuple[int, int]]] = {}
    for t in history.ledger.tenures:
        spans.setdefault(t.partition, []).append(
            (t.start_us, end_us if t.end_us is None else t.end_us)
        )
    return spans


def rebalance_downtime_us(history: History) -> int:
    """Partition-time, from each partition's first assignment to the end of the run, during which
    no live instance held it in an open tenure (partition-microseconds: two partitions down for
    one second count two)."""
    end_us = history.end_us
    down = 0
    for spans in _tenure_spans(history).values():
        first = min(start for start, _ in spans)
        down += max(end_us - first - _covered(spans), 0)
    return down


def group_stall_us(history: History) -> int:
    """Time, from the group's first assignment to the end of the run, during which no partition
    was held by anyone: the whole group stood still (an eager rebalance waiting for a member)."""
    spans = [span for per in _tenure_spans(history).values() for span in per]
    if not spans:
        return 0
    first = min(start for start, _ in spans)
    return max(history.end_us - first - _covered(spans), 0)


# ---- consumer lag ------------------------------------------------------------------------------
def _commit_steps(history: History) -> list[list[tuple[int, int, int]]]:
    """Per partition, (seq, at_us, offset) of every change of the committed offset in order: each
    applied commit, and -1 where the retention cleanup deleted it (a fault `offsets-expired`)."""
    steps = [
        [(commit.applied_seq, commit.applied_us, offset) for commit, offset in applied]
        for applied in history.applied
    ]
    expired = [f for f in history.ledger.faults if f.kind == "offsets-expired"]
    for fault in expired:
        for p in map(int, fault.detail.removeprefix("partitions ").split(",")):
            steps[p].append((fault.seq, fault.at_us, -1))
    if expired:
        for per in steps:
            per.sort()
    return steps


def consumer_lag(history: History) -> list[PartitionLag]:
    """Per partition, log end minus committed offset over the run: a step function that changes
    at each append, applied commit and offset expiry. Before a partition's first commit (and
    after an expiry) it counts from offset 0, the log start. In time: the age of the oldest
    record not yet committed (now minus the append time of the committed offset's record), 0
    while nothing is uncommitted. Both as their maximum and their time-average over the run.

    Every partition at once: partition p's times are keyed p * span + t in one sorted array, so
    one `searchsorted` finds the state at every breakpoint of every partition."""
    ledger = history.ledger
    parts, end_us = ledger.partitions, history.end_us
    span = end_us + 1
    steps = _commit_steps(history)
    # Each partition starts at time 0 with log end 0 and committed offset 0 (none yet).
    append_at = np.array(
        [p * span + t for p, times in enumerate(ledger.append_us) for t in (0, *times)], np.int64
    )
    append_end = np.array([e for ends in ledger.append_ends for e in (0, *ends)], np.int64)
    commit_at = np.array(
        [p * span + t for p, per in enumerate(steps) for t in (0, *(t for _, t, _ in per))],
        np.int64,
    )
    commit_to = np.array([max(o, 0) for per in steps for o in (0, *(o for _, _, o in per))])
    ends = [p * span + end_us for p in range(parts)]
    # Every breakpoint, sorted; a time listed twice makes a row that lasts no time, harmless.
    at = np.sort(np.concatenate((append_at, commit_at, ends)))
    log_end = append_end[np.searchsorted(append_at, at, "right") - 1]
    committed = commit_to[np.searchsorted(commit_at, at, "right") - 1]
    lag = np.maximum(log_end - committed, 0)
    first = np.searchsorted(at, np.arange(parts) * span)  # each partition's first row
    last = [*(first[1:] - 1).tolist(), len(at) - 1]  # and its end row
    width = np.zeros(len(at), np.int64)  # how long each row's state lasts; 0 at the end rows
    np.subtract(at[1:], at[:-1], out=width[:-1])
    width[last] = 0
    # The age of the oldest uncommitted record, the committed offset's, at each row's start.
    waiting = lag > 0
    since = np.where(waiting, at % span, 0)
    if any(t for times in ledger.append_us for t in times):  # not every record pre-loaded
        scale = max(ledger.log_end) + 1
        append_key = [p * scale + e for p, ends in enumerate(ledger.append_ends) for e in ends]
        born = np.array([t for times in ledger.append_us for t in times], np.int64)
        index = np.searchsorted(append_key, at // span * scale + committed, "right")
        since -= np.where(waiting, born[index.clip(max=len(born) - 1)], 0)
    until = np.where(waiting, since + width, 0)
    width = width.astype(np.float64)  # areas of records x microseconds outgrow int64
    total = max(end_us, 1)
    lag_mean = (np.add.reduceat(lag * width, first) / total).tolist()
    age_mean = (np.add.reduceat((since + until) * width, first) / (2_000 * total)).tolist()
    lag_max = np.maximum.reduceat(lag, first).tolist()
    age_max = np.maximum.reduceat(until, first).tolist()
    final_lag, final_end = lag[last].tolist(), log_end[last].tolist()
    return [
        PartitionLag(
            partition=p,
            log_end_offset=final_end[p],
            committed_offset=steps[p][-1][2] if steps[p] and steps[p][-1][2] >= 0 else None,
            lag_records=final_lag[p],
            lag_records_max=lag_max[p],
            lag_records_mean=round(lag_mean[p], 3),
            lag_max_ms=round(age_max[p] / 1000, 3),
            lag_mean_ms=round(age_mean[p], 3),
        )
        for p in range(parts)
    ]


# ---- end-to-end latency ------------------------------------------------------------------------
_MERGE_LIMIT = 1 << 16  # up to this many values, one sort of them all is quickest


def _nearest_ranks(pieces: list[np.ndarray], quantiles) -> list[int] | None:
    """The nearest-rank quantiles (each one of the values) of the values of `pieces` below
    NEVER; None if there are none. A large run's pieces are sorted one by one (a partition's
    records are processed in offset order, so its pieces are nearly sorted and timsort takes
    about one pass) and each quantile is found by bisecting on the value, counting with a
    binary search per piece: no copy of them all, no selection over a million values."""
    if not pieces:
        return None
    if sum(len(piece) for piece in pieces) <= _MERGE_LIMIT:
        pieces = [np.sort(np.concatenate(pieces))]
    else:
        pieces = [np.sort(piece, kind="stable") for piece in pieces if len(piece)]
    valid = [int(np.searchsorted(piece, NEVER)) for piece in pieces]
    n = sum(valid)
    if n == 0:
        return None
    ranks = np.array([max(math.ceil(q * n), 1) for q in quantiles], np.int64)  # 1-based
    if len(pieces) == 1:
        return pieces[0][ranks - 1].tolist()
    low = np.zeros(len(ranks), np.int64)
    top = max(int(piece[k - 1]) for piece, k in zip(pieces, valid, strict=True) if k)
    high = np.full(len(ranks), top, np.int64)
    while (low < high).any():  # the least value with at least `rank` values at or below it
        middle = (low + high) // 2
        enough = sum(np.searchsorted(piece, middle, "right") for piece in pieces) >= ranks
        high = np.where(enough, middle, high)
        low = np.where(enough, low, middle + 1)
    return low.tolist()


def _latency(pieces: list[np.ndarray]) -> Latency:
    values = _nearest_ranks(pieces, (*QUANTILES, 1.0))
    if values is None:
        return NO_LATENCY
    p50, p99, top = (round(v / 1000, 3) for v in values)
    return Latency(p50, p99, top)


def latency(history: History, earliest: list[np.ndarray]) -> tuple[Latency, Latency]:
    """(every processed record, the records appended after time 0): append to first effect.
    `earliest[p]` holds when each offset below the log end was first processed (NEVER if not).
    Pre-loaded records were appended at time 0, so their latency is their first effect's time:
    with a backlog they dominate, hence the second set."""
    ledger = history.ledger
    every, live = [], []
    for p, first in enumerate(earliest):
        times = np.asarray(ledger.append_us[p], np.int64)
        preloaded = int(np.searchsorted(times, 0, "right"))  # appends at time 0
        if preloaded == len(times):
            every.append(first)
            continue
        ends = ledger.append_ends[p]
        start = ends[preloaded - 1] if preloaded else 0
        counts = np.subtract(ends[preloaded:], [start, *ends[preloaded:-1]])  # per append
        waited = first[start:] - np.repeat(times[preloaded:], counts)
        waited[first[start:] == NEVER] = NEVER
        every += [first[:start], waited]
        live.append(waited)
    return _latency(every), _latency(live)
