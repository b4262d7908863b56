"""The checker: reads a finished ledger and the sink, after the run, never inside the model.

It reports the anomalies per record with their witnesses (`sim.anomalies`), the run's metrics,
and cross-checks. A cross-check compares two records that were kept independently (the sink
against the ledger's effects, effects against deliveries, commits against the log), so a
failure means the simulator, not the strategy, is broken: `ok` is False and the CLI exits 1.
"""

from __future__ import annotations

import bisect
from dataclasses import asdict, dataclass, field

import numpy as np

from sim.anomalies import Anomaly, find_duplicates, find_gaps, find_lost, find_regressions
from sim.ledger import Ledger
from sim.witness import History

ANOMALY_KINDS = (
    "lost",
    "duplicate",
    "concurrent-duplicate",
    "offset-regression",
    "skip",
    "reorder",
)


@dataclass(frozen=True, slots=True)
class CrossCheck:
    name: str
    passed: bool
    message: str


@dataclass(frozen=True, slots=True)
class Metrics:
    """The numbers of `offsim run --json` (DESIGN.md, Command line), in that order."""

    produced: int
    effects: int
    unique_processed: int
    lost: int
    duplicated_records: int
    duplicate_effects: int
    concurrent_duplicates: int
    offset_regressions: int
    skips: int
    reorders: int
    over_commits: int
    commits: int
    failed_commits: int
    rebalances: int
    crashes: int
    rebalance_downtime_ms: float
    records_per_sim_s: float
    sim_time_ms: float
    events: int
    trace_digest: str
    quiesced: bool


@dataclass(frozen=True)
class CheckReport:
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

    def summary(self) -> dict:
        out = asdict(self.metrics)
        out["cross_checks_ok"] = self.ok
        out["cross_check_failures"] = self.failures
        return out


def check(ledger: Ledger, sink) -> CheckReport:
    history = History(ledger)
    lost = find_lost(history)
    duplicate, extra, concurrent = find_duplicates(history)
    regression = find_regressions(history)
    skip, reorder = find_gaps(history)
    anomalies = dict(
        zip(ANOMALY_KINDS, (lost, duplicate, concurrent, regression, skip, reorder), strict=True)
    )
    effects = sum(int(ledger.effects_per_offset(p).sum(dtype=np.int64)) for p in _parts(ledger))
    unique = sum(int(np.count_nonzero(ledger.effects_per_offset(p))) for p in _parts(ledger))
    end_us = history.end_us
    commits = ledger.commits.values()
    metrics = Metrics(
        produced=sum(ledger.log_end),
        effects=effects,
        unique_processed=unique,
        lost=lost.count,
        duplicated_records=duplicate.count,
        duplicate_effects=extra,
        concurrent_duplicates=concurrent.count,
        offset_regressions=regression.count,
        skips=skip.count,
        reorders=reorder.count,
        over_commits=over_commits(history),
        commits=len(ledger.commits),
        failed_commits=sum(1 for c in commits if c.outcome is not None and c.outcome != "ok"),
        rebalances=len(ledger.rebalances),
        crashes=sum(1 for s in ledger.stops.values() if s.how == "crash"),
        rebalance_downtime_ms=round(rebalance_downtime_us(history) / 1000, 3),
        records_per_sim_s=round(effects * 1e6 / end_us, 1) if end_us > 0 else 0.0,
        sim_time_ms=round(end_us / 1000, 3),
        events=ledger.events,
        trace_digest=ledger.trace_digest,
        quiesced=ledger.quiesced,
    )
    return CheckReport(metrics, anomalies, cross_checks(history, sink), history)


def _parts(ledger: Ledger) -> range:
    return range(ledger.partitions)


# ---- metrics ---------------------------------------------------------------------------------
def earliest_effect_us(history: History, partition: int) -> np.ndarray:
    """When each offset was first finished by anyone (NEVER if not): the first-recorded time,
    lowered by repeat segments recorded later with earlier times."""
    earliest = history.ledger.first_effect_us(partition).copy()
    for seg in history.segments[partition]:
        if seg.times is not None:
            window = earliest[seg.start : seg.end]
            np.minimum(window, seg.times, out=window)
    return earliest


def over_commits(history: History) -> int:
    """Applied (commit, partition) offsets above the processed frontier when applied: some record
    below the committed offset had not finished processing by then (or does not exist)."""
    count = 0
    for p in _parts(history.ledger):
        if not history.applied[p]:
            continue
        frontier = np.maximum.accumulate(
            earliest_effect_us(history, p)[: history.ledger.log_end[p]]
        )
        for commit, offset in history.applied[p]:
            if offset > len(frontier) or (offset > 0 and frontier[offset - 1] > commit.applied_us):
                count += 1
    return count


def rebalance_downtime_us(history: History) -> int:
    """Partition-time, from each partition's first assignment to the end of the run, during which
    no live instance held it in an open tenure."""
    end_us = history.end_us
    spans: dict[int, list[tuple[int, int]]] = {}
    for t in history.ledger.tenures:
        stop = end_us if t.end_us is None else t.end_us
        spans.setdefault(t.partition, []).append((t.start_us, stop))
    down = 0
    for p in sorted(spans):
        covered, reach = 0, None
        first = min(s for s, _ in spans[p])
        for start, stop in sorted(spans[p]):
            if reach is None or start > reach:
                covered += stop - start
                reach = stop
            elif stop > reach:
                covered += stop - reach
                reach = stop
        down += max(end_us - first - covered, 0)
    return down


# ---- cross-checks ----------------------------------------------------------------------------
def cross_checks(history: History, sink) -> tuple[CrossCheck, ...]:
    return (
        _sink_matches(history, sink),
        _effects_within_deliveries(history),
        _processed_was_delivered(history),
        _commits_within_log_end(history),
        _committed_within_appended(history),
    )


def _verdict(name: str, problems: list[str], fine: str) -> CrossCheck:
    if not problems:
        return CrossCheck(name, True, fine)
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    return CrossCheck(name, False, "; ".join(problems[:3]) + more)


def _sink_matches(history: History, sink) -> CrossCheck:
    """plain: the sink shows every effect the ledger saw; idempotent: each processed record once."""
    ledger, name = history.ledger, "sink-matches-ledger"
    kind = getattr(sink, "kind", None)
    if kind not in ("plain", "idempotent"):
        return CrossCheck(name, False, f"unknown sink kind {kind!r}")
    problems, total = [], 0
    for p in _parts(ledger):
        effects = ledger.effects_per_offset(p).astype(np.int64)
        expected = effects if kind == "plain" else np.minimum(effects, 1)
        total += int(expected.sum())
        visible = np.asarray(sink.visible(p), dtype=np.int64)
        n = max(len(expected), len(visible))
        expected = np.pad(expected, (0, n - len(expected)))
        visible = np.pad(visible, (0, n - len(visible)))
        wrong = np.flatnonzero(expected != visible)
        if len(wrong):
            o = int(wrong[0])
            problems.append(
                f"partition {p}: {len(wrong)} offsets differ, first {o}: sink shows "
                f"{visible[o]}, ledger expects {expected[o]} ({kind})"
            )
    if not problems and sink.total_effects != total:
        problems.append(f"sink counts {sink.total_effects} effects, ledger expects {total}")
    return _verdict(name, problems, f"{kind} sink agrees with the ledger on every record")


def _effects_within_deliveries(history: History) -> CrossCheck:
    """A record cannot be processed more often than poll() returned it."""
    ledger, problems = history.ledger, []
    for p in _parts(ledger):
        effects, deliveries = ledger.effects_per_offset(p), ledger.deliveries_per_offset(p)
        wrong = np.flatnonzero(effects > deliveries)
        if len(wrong):
            o = int(wrong[0])
            problems.append(
                f"partition {p}: {len(wrong)} offsets processed more often than "
                f"delivered, first {o} ({effects[o]} > {deliveries[o]})"
            )
    return _verdict("effects-within-deliveries", problems, "no record processed unread")


def _processed_was_delivered(history: History) -> CrossCheck:
    """Every processed segment lies within records delivered earlier to the same instance."""
    ledger, problems = history.ledger, []
    streams: dict[tuple[int, int], list] = {}
    for d in ledger.deliveries:
        streams.setdefault((d.instance, d.partition), []).append((d.seq, d.start, d.end, True))
    for s in ledger.segments:
        streams.setdefault((s.instance, s.partition), []).append((s.seq, s.start, s.end, False))
    for (instance, p), events in sorted(streams.items()):
        read: list[list[int]] = []  # merged [start, end) intervals delivered so far
        for seq, start, end, is_delivery in sorted(events):
            if is_delivery:
                read = _merge(read, start, end)
            elif not any(s <= start and end <= e for s, e in read):
                problems.append(
                    f"event {seq}: {history.name(instance)} processed offsets "
                    f"[{start}, {end}) of partition {p} it was never delivered"
                )
    return _verdict("processed-was-delivered", problems, "every segment was delivered first")


def _merge(intervals: list[list[int]], start: int, end: int) -> list[list[int]]:
    out, placed = [], False
    for s, e in intervals:
        if e < start or s > end:
            out.append([s, e])
        else:
            start, end = min(s, start), max(e, end)
    for i, (s, _) in enumerate(out):
        if s > start:
            out.insert(i, [start, end])
            placed = True
            break
    if not placed:
        out.append([start, end])
    return out


def _commits_within_log_end(history: History) -> CrossCheck:
    """An applied committed offset is at most the log end at the moment it was applied."""
    ledger, problems = history.ledger, []
    seqs = [[s for s, _ in ledger.appends[p]] for p in _parts(ledger)]
    for request_id in ledger.applied:
        commit = ledger.commits[request_id]
        for p, offset in commit.offsets:
            if not 0 <= p < ledger.partitions:
                problems.append(f"commit {request_id} names partition {p}, which does not exist")
                continue
            i = bisect.bisect_left(seqs[p], commit.applied_seq) - 1
            log_end = ledger.appends[p][i][1] if i >= 0 else 0
            if offset > log_end:
                problems.append(
                    f"commit {request_id} stored offset {offset} for partition {p} at "
                    f"{commit.applied_us} us, log end {log_end}"
                )
    return _verdict("commits-within-log-end", problems, "every applied offset was in the log")


def _committed_within_appended(history: History) -> CrossCheck:
    """The final committed offsets (last write wins) and every read stay within what was ever
    appended: nothing refers to a record that never existed."""
    ledger, problems = history.ledger, []
    final: dict[int, int] = {}
    for request_id in ledger.applied:
        final.update(ledger.commits[request_id].offsets)
    for p, offset in sorted(final.items()):
        if 0 <= p < ledger.partitions and offset > ledger.log_end[p]:
            problems.append(
                f"partition {p} ends committed at {offset}, "
                f"only {ledger.log_end[p]} records appended"
            )
    for p in _parts(ledger):
        if ledger.touched[p] > ledger.log_end[p]:
            problems.append(
                f"partition {p}: offsets up to {ledger.touched[p] - 1} read or "
                f"processed, only {ledger.log_end[p]} appended"
            )
    return _verdict("committed-within-appended", problems, "commits and reads within the log")
