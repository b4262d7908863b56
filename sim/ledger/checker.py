"""The checker: reads a finished ledger and the sink, after the run, never inside the model.

It reports the anomalies per record with their witnesses (`sim.ledger.anomalies`), the run's
metrics, and cross-checks. A cross-check compares two records that were kept independently (the sink
against the ledger's effects, effects against deliveries, commits against the log), so a
failure means the simulator, not the strategy, is broken: `ok` is False and the CLI exits 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from sim.ledger import Ledger
from sim.ledger.anomalies import Anomaly, find_duplicates, find_gaps, find_lost, find_regressions
from sim.ledger.cross_checks import CrossCheck, cross_checks
from sim.ledger.metrics import (
    PartitionLag,
    consumer_lag,
    group_stall_us,
    latency,
    rebalance_downtime_us,
)
from sim.ledger.witness import History, Witness

ANOMALY_KINDS = (
    "lost",
    "duplicate",
    "concurrent-duplicate",
    "offset-regression",
    "skip",
    "reorder",
)


@dataclass(frozen=True, slots=True)
class Metrics:
    """The numbers of `offsim run --json`, in that order; docs/metrics.md defines each."""

    produced: int
    deliveries: int  # records poll() returned, repeats counted
    effects: int  # visible effects in the sink
    unique_processed: int
    lost: int
    duplicated_records: int
    duplicate_effects: int  # the sink's effects beyond the first, per record
    lost_effects: int  # records of the log with no visible effect (see `sink_counts`)
    concurrent_duplicates: int
    offset_regressions: int
    skips: int
    reorders: int
    over_commits: int
    commits: int
    failed_commits: int
    rebalances: int
    crashes: int
    rebalance_downtime_ms: float  # partition-milliseconds
    group_stall_ms: float
    lag_records_max: int
    lag_records_mean: float
    lag_max_ms: float
    lag_mean_ms: float
    latency_p50_ms: float | None
    latency_p99_ms: float | None
    latency_max_ms: float | None
    live_latency_p50_ms: float | None
    live_latency_p99_ms: float | None
    live_latency_max_ms: float | None
    records_per_sim_s: float
    sim_time_ms: float
    events: int
    trace_digest: str
    quiesced: bool
    not_quiesced_reason: str | None  # which bound ended a run that did not quiesce
    lag_by_partition: tuple[PartitionLag, ...]


# Plain values, copied as they are; the per-partition lag becomes a list of dicts.
_METRIC_NAMES = tuple(f.name for f in fields(Metrics) if f.name != "lag_by_partition")


@dataclass(frozen=True)
class CheckReport:
    """What a run did: anomalies with witnesses, metrics, and the cross-checks' verdicts."""

    metrics: Metrics
    anomalies: dict[str, Anomaly]  # keyed by ANOMALY_KINDS, in that order
    cross_checks: tuple[CrossCheck, ...]
    history: History = field(repr=False)  # for witnesses of any record (`offsim explain`)

    @property
    def ok(self) -> bool:
        """Every cross-check passed."""
        return all(c.passed for c in self.cross_checks)

    @property
    def failures(self) -> list[str]:
        return [f"{c.name}: {c.message}" for c in self.cross_checks if not c.passed]

    def explain(self, partition: int, offset: int) -> tuple[Witness, ...]:
        """The events behind one record, whatever happened to it (`offsim explain`)."""
        return self.history.explain(partition, offset)

    def summary(self) -> dict:
        """The metrics as plain values, plus the cross-checks' verdict and failures."""
        out = {name: getattr(self.metrics, name) for name in _METRIC_NAMES}
        out["lag_by_partition"] = [lag._asdict() for lag in self.metrics.lag_by_partition]
        out["cross_checks_ok"] = self.ok
        out["cross_check_failures"] = self.failures
        return out


def check(ledger: Ledger, sink) -> CheckReport:
    """Judge a finished run from its ledger and its sink. Loops go over segments, commits and
    anomaly groups; per-record work is numpy over the ledger's arrays."""
    history = History(ledger)
    lost = find_lost(history)
    duplicate, concurrent = find_duplicates(history)
    regression = find_regressions(history)
    skip, reorder = find_gaps(history)
    anomalies = dict(
        zip(ANOMALY_KINDS, (lost, duplicate, concurrent, regression, skip, reorder), strict=True)
    )
    processings = unique = deliveries = 0
    for p in range(ledger.partitions):
        counts = ledger.effects_per_offset(p)
        processings += int(counts.sum(dtype=np.int64))
        unique += int(np.count_nonzero(counts))
        deliveries += int(ledger.deliveries_per_offset(p).sum(dtype=np.int64))
    effects, duplicate_effects, lost_effects = sink_counts(ledger, sink)
    end_us = history.end_us
    commits = ledger.commits.values()
    earliest = [earliest_effect_us(history, p)[:end] for p, end in enumerate(ledger.log_end)]
    lags = tuple(consumer_lag(history))
    every, live = latency(history, earliest)
    metrics = Metrics(
        produced=sum(ledger.log_end),
        deliveries=deliveries,
        effects=effects,
        unique_processed=unique,
        lost=lost.count,
        duplicated_records=duplicate.count,
        duplicate_effects=duplicate_effects,
        lost_effects=lost_effects,
        concurrent_duplicates=concurrent.count,
        offset_regressions=regression.count,
        skips=skip.count,
        reorders=reorder.count,
        over_commits=over_commits(history, earliest),
        commits=len(ledger.commits),
        failed_commits=sum(1 for c in commits if c.outcome is not None and c.outcome != "ok"),
        rebalances=len(ledger.rebalances),
        crashes=sum(1 for s in ledger.stops.values() if s.how == "crash"),
        rebalance_downtime_ms=round(rebalance_downtime_us(history) / 1000, 3),
        group_stall_ms=round(group_stall_us(history) / 1000, 3),
        lag_records_max=max(lag.lag_records_max for lag in lags),
        lag_records_mean=round(sum(lag.lag_records_mean for lag in lags) / len(lags), 3),
        lag_max_ms=max(lag.lag_max_ms for lag in lags),
        lag_mean_ms=round(sum(lag.lag_mean_ms for lag in lags) / len(lags), 3),
        latency_p50_ms=every.p50_ms,
        latency_p99_ms=every.p99_ms,
        latency_max_ms=every.max_ms,
        live_latency_p50_ms=live.p50_ms,
        live_latency_p99_ms=live.p99_ms,
        live_latency_max_ms=live.max_ms,
        records_per_sim_s=processing_rate(ledger, processings),
        sim_time_ms=round(end_us / 1000, 3),
        events=ledger.events,
        trace_digest=ledger.trace_digest,
        quiesced=ledger.quiesced,
        not_quiesced_reason=ledger.not_quiesced_reason,
        lag_by_partition=lags,
    )
    return CheckReport(metrics, anomalies, cross_checks(history, sink), history)


# ---- metrics ---------------------------------------------------------------------------------
def sink_counts(ledger: Ledger, sink) -> tuple[int, int, int]:
    """(effects, duplicate effects, lost effects) as the sink shows them: its visible effects,
    those beyond the first per record, and the records of the log with no visible effect. For a
    business-key sink a record whose key's row holds a newer record is not missing: the upsert's
    state already covers it."""
    duplicates = lost = 0
    versions = getattr(sink, "versions", None)
    for p in range(ledger.partitions):
        end = ledger.log_end[p]
        visible = sink.visible(p)
        duplicates += int(np.maximum(visible.astype(np.int64) - 1, 0).sum())
        missing = np.ones(end, dtype=bool)
        shown = visible[:end]
        missing[: len(shown)] = shown == 0
        if versions is not None:
            offsets = np.arange(end, dtype=np.int64)
            missing &= versions(p)[offsets % sink.keys_per_partition] < offsets
        lost += int(np.count_nonzero(missing))
    return sink.total_effects, duplicates, lost


def earliest_effect_us(history: History, partition: int) -> np.ndarray:
    """When each offset was first finished by anyone (NEVER if not): the first-recorded time,
    lowered by repeat segments recorded later with earlier times."""
    earliest = history.ledger.first_effect_us(partition).copy()
    for seg in history.segments[partition]:
        if seg.times is not None:
            window = earliest[seg.start : seg.end]
            np.minimum(window, seg.times, out=window)
    return earliest


def processing_rate(ledger: Ledger, processings: int) -> float:
    """Records processed (repeats counted) per simulated second from the first processing to the
    last: the group's throughput while it works, not diluted by the window's idle tail or the
    initial join delay."""
    if not ledger.segments:
        return 0.0
    first = min(s.first_us for s in ledger.segments)
    last = max(s.last_us for s in ledger.segments)
    return round(processings * 1e6 / max(last - first, 1), 1)


def over_commits(history: History, earliest: list[np.ndarray]) -> int:
    """Applied (commit, partition) offsets that moved the committed offset past a record that
    had not finished processing by then (or does not exist). Counted where the committed offset
    first covers such a record, so one loss does not make every later commit count. `earliest`:
    per partition, `earliest_effect_us` up to the log end."""
    count = 0
    for p, entries in enumerate(history.applied):
        if not entries:
            continue
        end = history.ledger.log_end[p]
        previous = 0
        for commit, offset in entries:
            if offset > previous:
                newly = earliest[p][previous : min(offset, end)]
                if offset > end or (len(newly) and int(newly.max()) > commit.applied_us):
                    count += 1
            previous = offset
    return count
