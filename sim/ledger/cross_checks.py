"""Cross-checks: records kept independently must agree, or the simulator itself is broken.

Each check compares two things the engine recorded separately (the sink against the ledger's
effects, effects against deliveries, processing against what was delivered, commits against the
log), so none is true by construction. A failure is our bug, not the strategy's: the report is
not `ok` and the CLI exits 1.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from sim.ledger.txn_checks import expected_visible, transactions_consistent
from sim.ledger.witness import History


@dataclass(frozen=True, slots=True)
class CrossCheck:
    name: str
    passed: bool
    message: str


def cross_checks(history: History, sink) -> tuple[CrossCheck, ...]:
    checks = (
        sink_matches_ledger(history, sink),
        effects_within_deliveries(history),
        processed_was_delivered(history),
        commits_within_log_end(history),
        committed_within_appended(history),
    )
    if getattr(sink, "kind", None) == "transactional":
        checks += (_verdict(*transactions_consistent(history, sink)),)
    return checks


def _verdict(name: str, problems: list[str], fine: str) -> CrossCheck:
    if not problems:
        return CrossCheck(name, True, fine)
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    return CrossCheck(name, False, "; ".join(problems[:3]) + more)


def _differ(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Offsets where two per-offset count arrays differ, the shorter read as zeros beyond."""
    n = min(len(a), len(b))
    wrong = np.flatnonzero(a[:n] != b[:n])
    longer = a if len(a) > n else b
    if len(longer) > n:
        wrong = np.concatenate([wrong, n + np.flatnonzero(longer[n:])])
    return wrong


def _at(a: np.ndarray, offset: int) -> int:
    return int(a[offset]) if offset < len(a) else 0


def sink_matches_ledger(history: History, sink) -> CrossCheck:
    """What the sink shows agrees with what the ledger saw processed and absorbed, per sink kind:
    plain, every processing; idempotent by record, each processed record once; idempotent by
    business key, at most once and each key's row at its newest processed record; external
    offsets, every write the ledger did not see refused, and the stored offset where the last
    one ended. And the sink absorbed exactly what the ledger recorded as absorbed."""
    ledger, name = history.ledger, "sink-matches-ledger"
    kind = getattr(sink, "kind", None)
    key = getattr(sink, "key", "record")
    if kind not in ("plain", "idempotent", "external-offsets", "transactional"):
        return CrossCheck(name, False, f"unknown sink kind {kind!r}")
    written = _external_writes(ledger) if kind == "external-offsets" else None
    read = None
    if kind == "transactional":
        read = expected_visible(ledger, ledger.partitions, sink.isolation)
    problems, total = [], 0
    for p in range(ledger.partitions):
        effects = ledger.effects_per_offset(p)
        visible = sink.visible(p)
        if kind == "plain":
            expected = effects
        elif kind == "transactional":  # what the reader should see, from the ledger's events
            expected = read[p]
        elif kind == "external-offsets":
            expected = written[0][p]
        elif key == "record":
            expected = np.minimum(effects, 1)
        else:
            expected = None
            problems += _business_problems(p, effects, visible, sink)
            total += int(visible.sum(dtype=np.int64))
        if expected is None:
            continue
        total += int(expected.sum(dtype=np.int64))
        wrong = _differ(expected, visible)
        if len(wrong):
            o = int(wrong[0])
            problems.append(
                f"partition {p}: {len(wrong)} offsets differ, first {o}: sink shows "
                f"{_at(visible, o)}, ledger expects {_at(expected, o)} ({kind})"
            )
        if written is not None and written[1][p] != sink.stored[p]:
            problems.append(
                f"partition {p}: the store holds offset {sink.stored[p]}, the last write the "
                f"ledger saw land ended at {written[1][p]}"
            )
    if not problems and sink.total_effects != total:
        problems.append(f"sink counts {sink.total_effects} effects, ledger expects {total}")
    absorbed = sum(a.count for a in ledger.absorbed_writes)
    if sink.absorbed != absorbed:
        problems.append(f"sink absorbed {sink.absorbed} records, the ledger recorded {absorbed}")
    return _verdict(name, problems, f"{kind} sink agrees with the ledger on every record")


def _business_problems(p: int, effects: np.ndarray, visible: np.ndarray, sink) -> list[str]:
    """A business-key sink: no record shown unless processed, none twice, and each key's row at
    the newest processed record of that key."""
    problems = []
    n = len(visible)
    shown_unprocessed = np.flatnonzero(visible > np.minimum(effects[:n], 1))
    if len(shown_unprocessed):
        o = int(shown_unprocessed[0])
        shown, processed = int(visible[o]), _at(effects, o)
        problems.append(f"partition {p}: offset {o} shown {shown} times, processed {processed}")
    keys = sink.keys_per_partition
    newest = np.full(keys, -1, np.int64)
    done = np.flatnonzero(effects).astype(np.int64)
    np.maximum.at(newest, done % keys, done)
    wrong = np.flatnonzero(newest != sink.versions(p))
    if len(wrong):
        k = int(wrong[0])
        problems.append(
            f"partition {p}: key {k}'s row holds offset {int(sink.versions(p)[k])}, the newest "
            f"processed record of that key is {int(newest[k])}"
        )
    return problems


def _external_writes(ledger) -> tuple[list[np.ndarray], list[int | None]]:
    """Replays the ledger's segments against its absorbed events (a refused write is absorbed
    whole): per partition, the writes landed per offset, and where the last landed one ended."""
    refused = {a.seq - 1 for a in ledger.absorbed_writes}
    counts = [np.zeros(0, np.int32) for _ in range(ledger.partitions)]
    stored: list[int | None] = [None] * ledger.partitions
    for seg in ledger.segments:
        if seg.seq in refused or seg.end <= seg.start:
            continue
        p = seg.partition
        if seg.end > len(counts[p]):
            grown = np.zeros(seg.end, np.int32)
            grown[: len(counts[p])] = counts[p]
            counts[p] = grown
        counts[p][seg.start : seg.end] += 1
        stored[p] = seg.end
    return counts, stored


def effects_within_deliveries(history: History) -> CrossCheck:
    """A record cannot be processed more often than poll() returned it."""
    ledger, problems = history.ledger, []
    for p in range(ledger.partitions):
        effects, deliveries = ledger.effects_per_offset(p), ledger.deliveries_per_offset(p)
        wrong = np.flatnonzero(effects > deliveries)
        if len(wrong):
            o = int(wrong[0])
            problems.append(
                f"partition {p}: {len(wrong)} offsets processed more often than "
                f"delivered, first {o} ({effects[o]} > {deliveries[o]})"
            )
    return _verdict("effects-within-deliveries", problems, "no record processed unread")


def processed_was_delivered(history: History) -> CrossCheck:
    """Every processed segment lies within records delivered earlier to the same instance.
    Usually the last delivery holds it (a batch is processed before the next poll); otherwise
    the union of all earlier deliveries must cover it."""
    ledger, problems = history.ledger, []
    last: dict[tuple[int, int], tuple[int, int]] = {}
    earlier: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    deliveries = iter(ledger.deliveries)
    delivery = next(deliveries, None)
    for seg in ledger.segments:
        while delivery is not None and delivery.seq < seg.seq:
            key = (delivery.instance, delivery.partition)
            last[key] = (delivery.start, delivery.end)
            earlier.setdefault(key, []).append((delivery.start, delivery.end, delivery.seq))
            delivery = next(deliveries, None)
        key = (seg.instance, seg.partition)
        held = last.get(key)
        if held is not None and held[0] <= seg.start and seg.end <= held[1]:
            continue
        if not _covered(earlier.get(key, []), seg.start, seg.end):
            problems.append(
                f"event {seg.seq}: {history.name(seg.instance)} processed offsets "
                f"[{seg.start}, {seg.end}) of partition {seg.partition} it was never delivered"
            )
    return _verdict("processed-was-delivered", problems, "every segment was delivered first")


def _covered(intervals: list[tuple[int, int, int]], start: int, end: int) -> bool:
    reach = start
    for s, e, _ in sorted(intervals):
        if s > reach:
            break
        reach = max(reach, e)
        if reach >= end:
            return True
    return reach >= end


def commits_within_log_end(history: History) -> CrossCheck:
    """An applied committed offset is at most the log end at the moment it was applied."""
    ledger, problems = history.ledger, []
    for p, entries in enumerate(history.applied):
        seqs, ends, found = ledger.append_seqs[p], ledger.append_ends[p], 0
        for commit, offset in entries:
            appends = bisect.bisect_left(seqs, commit.applied_seq)  # the appends before it
            log_end = ends[appends - 1] if appends else 0
            if offset > log_end and found < 3:
                found += 1
                problems.append(
                    f"commit {commit.request_id} stored offset {offset} for partition {p} at "
                    f"{commit.applied_us} us, log end {log_end}"
                )
    for commit, p, _ in history.foreign[:3]:
        problems.append(f"commit {commit.request_id} names partition {p}, which does not exist")
    return _verdict("commits-within-log-end", problems, "every applied offset was in the log")


def committed_within_appended(history: History) -> CrossCheck:
    """The final committed offsets (last write wins) and every read stay within what was ever
    appended: nothing refers to a record that never existed."""
    ledger, problems = history.ledger, []
    for p, entries in enumerate(history.applied):
        if entries and entries[-1][1] > ledger.log_end[p]:
            problems.append(
                f"partition {p} ends committed at {entries[-1][1]}, "
                f"only {ledger.log_end[p]} records appended"
            )
    for p in range(ledger.partitions):
        if ledger.touched[p] > ledger.log_end[p]:
            problems.append(
                f"partition {p}: offsets up to {ledger.touched[p] - 1} read or "
                f"processed, only {ledger.log_end[p]} appended"
            )
    return _verdict("committed-within-appended", problems, "commits and reads within the log")
