"""Cross-checks of a transactional run (the `transactional` strategy, docs/exactly-once.md): the
downstream reader's view against the ledger's transaction events, and the invariants a finished
transactional run keeps. Like every cross-check, a failure is the simulator's bug.
"""

from __future__ import annotations

import numpy as np

READ_COMMITTED = "read_committed"  # sim.model.output_log's name of the isolation level


def expected_visible(ledger, partitions: int, isolation: str) -> list[np.ndarray]:
    """Per input partition, the effects per offset a reader with `isolation` should see, from
    the ledger alone: every produced result (read_uncommitted); or (read_committed) the results
    whose producer's next marker in that partition is a COMMIT, below the first offset of a
    transaction with no marker yet (the last stable offset)."""
    markers: dict[tuple[int, int], list] = {}
    for m in ledger.markers:
        if m.partition >= 0:
            markers.setdefault((m.partition, m.producer_id), []).append(m)
    visible, lso = [], {}
    for b in ledger.produced_batches:
        mine = markers.get((b.partition, b.producer_id), ())
        ending = next((m for m in mine if m.seq > b.seq), None)
        if ending is None:
            lso[b.partition] = min(lso.get(b.partition, b.start), b.start)
        visible.append((b, ending is not None and ending.commit))
    out = [np.zeros(ledger.log_end[p], np.int64) for p in range(partitions)]
    for b, committed in visible:
        stable = b.start < lso.get(b.partition, b.end)
        if isolation == READ_COMMITTED and not (committed and stable):
            continue
        end = b.source_start + b.end - b.start
        if end > len(out[b.partition]):
            grown = np.zeros(end, np.int64)
            grown[: len(out[b.partition])] = out[b.partition]
            out[b.partition] = grown
        out[b.partition][b.source_start : end] += 1
    return out


def transactions_consistent(history, sink) -> tuple[str, list[str], str]:
    """(name, problems, message if none): markers are never read as records; no transaction is
    open after a finished drain; every output record is the result of a record its producer
    processed."""
    ledger = history.ledger
    problems = []
    if sink.read_records != sink.total_effects:
        problems.append(
            f"the reader returned {sink.read_records} records and counted "
            f"{sink.total_effects} effects"
        )
    written = sum(1 for m in ledger.markers if m.partition >= 0)
    controls = sum(1 for log in sink.topic.logs for b in log.batches if b.control is not None)
    if written != controls:
        problems.append(f"{written} markers recorded, {controls} control records in the topic")
    if ledger.quiesced:
        open_in = [p for p, log in enumerate(sink.topic.logs) if log.open_txns]
        if open_in:
            problems.append(f"transactions still open after the drain in partitions {open_in}")
    by_instance: dict[tuple[int, int], list] = {}
    for s in ledger.segments:
        by_instance.setdefault((s.instance, s.partition), []).append(s)
    for b in ledger.produced_batches:
        end = b.source_start + b.end - b.start
        segments = by_instance.get((b.instance, b.partition), ())
        if not any(s.start <= b.source_start and end <= s.end for s in segments):
            problems.append(
                f"output {b.partition}:{b.start}..{b.end - 1} is the result of input "
                f"{b.source_start}..{end - 1}, which instance {b.instance} never processed"
            )
            break
    return "transactions-consistent", problems, "markers, open transactions and sources agree"
