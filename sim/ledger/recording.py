"""The ledger: ground truth of a run, recorded as it happens, judged only afterwards.

The engine calls the ledger for every fact (an append, a delivery, a processing and what the sink
absorbed of it, a commit sent, applied and completed, a tenure begun and ended, a crash); the
ledger never decides anything and never changes the run. `sim.ledger.checker` reads it after
the run.

Two rules:
- **Determinism.** Every call is one event, fed at once into an incremental sha256 as a compact
  binary record (a kind code, its integer fields as int64, then its strings as length-prefixed
  utf-8 and its sequences with a count; `processed` adds its raw times), so equal runs have
  equal `trace_digest`s byte for byte. An optional `listener(kind, values)` sees every event
  too, with `values` in the order of `EVENT_FIELDS[kind]`: the hook for a trace writer.
- **Per-record facts stay in numpy.** Deliveries, effects and the first effect's time are
  per-partition arrays that grow by doubling; everything else (segments, tenures, positions,
  commits) is one small record per call. `delivered` and `processed` run once per batch slice
  and use slice operations only. Memory: about 16 bytes per record in the log, plus 8 bytes per
  re-processed record (its times are kept for the concurrency check).

Event order is call order (`seq`); times are integer microseconds and nondecreasing, except
that `processed` carries per-record times that may precede events recorded just before it (a
batch's effects are recorded when it ends or is cut short).
"""

from __future__ import annotations

import hashlib

import numpy as np

from sim.ledger.encoding import (
    ABSORBED,
    APPENDED,
    APPLIED,
    ASSIGNED,
    COMPLETED,
    COUNT,
    DELIVERED,
    FAULT,
    FINISH,
    GENERATION,
    POSITION,
    PROCESSED,
    REBALANCE,
    REVOKED,
    SENT,
    STARTED,
    STOPPED,
    encode_ints,
    encode_text,
)
from sim.ledger.records import (
    Absorbed,
    Commit,
    Delivery,
    Fault,
    Instance,
    Position,
    Segment,
    Stop,
    Tenure,
)
from sim.ledger.txn_recording import TxnRecording

NEVER = np.iinfo(np.int64).max  # first_us of a record never processed
_TIME = np.dtype("<i8")
_MIN_CAPACITY = 1024


class LedgerError(RuntimeError):
    """The engine broke the ledger's contract: a bug of ours, named with its event number."""


class Ledger(TxnRecording):
    """Records a run's events; see the module docstring for the rules it keeps."""

    def __init__(self, partitions: int, listener=None):
        self.partitions = partitions
        self.listener = listener  # listener(kind, values) for every event, or None
        self._sha = hashlib.sha256(b"offsim-ledger-1" + encode_ints((partitions,)))
        self._seq = 0
        self.last_us = 0
        self.log_end = [0] * partitions
        # Per partition: the seq and time of every append, and the log end after it.
        self.append_seqs: list[list[int]] = [[] for _ in range(partitions)]
        self.append_us: list[list[int]] = [[] for _ in range(partitions)]
        self.append_ends: list[list[int]] = [[] for _ in range(partitions)]
        self._delivery_counts = [np.zeros(0, np.int32) for _ in range(partitions)]
        self._effect_counts = [np.zeros(0, np.int32) for _ in range(partitions)]
        self._first_us = [np.zeros(0, _TIME) for _ in range(partitions)]
        self.touched = [0] * partitions  # one past the highest offset delivered or processed
        self._effects_end = [0] * partitions  # one past the highest offset processed
        self.deliveries: list[Delivery] = []
        self.segments: list[Segment] = []
        self.positions: list[Position] = []
        self.tenures: list[Tenure] = []
        self._open: dict[int, dict[int, Tenure]] = {}  # instance -> partition -> open tenure
        self.instances: dict[int, Instance] = {}
        self.stops: dict[int, Stop] = {}
        self.rebalances: list[tuple[int, int]] = []  # (at_us, generation)
        self.generations: list[tuple[int, int, dict[int, tuple[int, ...]]]] = []
        self.commits: dict[int, Commit] = {}  # by request id
        self.applied: list[int] = []  # request ids in the order the coordinator applied them
        self.faults: list[Fault] = []
        self.absorbed_writes: list[Absorbed] = []
        self.end_us: int | None = None
        self.quiesced = False
        self.not_quiesced_reason: str | None = None  # why a bound ended the run
        self._txn_lists()

    # ---- the digest -------------------------------------------------------------------------
    @property
    def trace_digest(self) -> str:
        return self._sha.hexdigest()

    @property
    def events(self) -> int:
        return self._seq

    def _emit(self, kind: str, values: tuple, record: bytes) -> int:
        """Count, digest and announce one event; returns its sequence number."""
        self._seq += 1
        self._sha.update(record)
        if self.listener is not None:
            self.listener(kind, values)
        return self._seq

    def _room(self, partition: int, end: int) -> None:
        """Grow a partition's per-record arrays (doubling) to hold offsets below `end`."""
        have = len(self._effect_counts[partition])
        if end <= have:
            return
        size = max(end, 2 * have, _MIN_CAPACITY)
        for arrays, fill in (
            (self._delivery_counts, 0),
            (self._effect_counts, 0),
            (self._first_us, NEVER),
        ):
            grown = np.full(size, fill, dtype=arrays[partition].dtype)
            grown[:have] = arrays[partition]
            arrays[partition] = grown

    # ---- the log ----------------------------------------------------------------------------
    def appended(self, at_us: int, partition: int, count: int) -> None:
        values = (at_us, partition, count)
        seq = self._emit("appended", values, APPENDED(*values))
        self.last_us = at_us
        end = self.log_end[partition] + count
        self.log_end[partition] = end
        self.append_seqs[partition].append(seq)
        self.append_us[partition].append(at_us)
        self.append_ends[partition].append(end)
        self._room(partition, end)

    # ---- consumers and the group ------------------------------------------------------------
    def instance_started(self, at_us, instance, slot, incarnation, member_id: str) -> None:
        values = (at_us, instance, slot, incarnation, member_id)
        record = STARTED(at_us, instance, slot, incarnation) + encode_text(member_id)
        seq = self._emit("instance_started", values, record)
        self.last_us = at_us
        if instance in self.instances:
            raise LedgerError(f"event {seq}: instance {instance} started twice")
        self.instances[instance] = Instance(seq, at_us, slot, incarnation, member_id)

    def instance_stopped(self, at_us, instance, how: str) -> None:
        """The instance is gone (crash | close | error | leave); its open tenures end with it."""
        seq = self._emit(
            "instance_stopped", (at_us, instance, how), STOPPED(at_us, instance) + encode_text(how)
        )
        self.last_us = at_us
        self.stops[instance] = Stop(seq, at_us, how)
        self._close(seq, at_us, instance, sorted(self._open.get(instance, ())), how)

    def rebalance_started(self, at_us, generation) -> None:
        """The group went to PREPARING_REBALANCE from `generation`."""
        self._emit("rebalance_started", (at_us, generation), REBALANCE(at_us, generation))
        self.last_us = at_us
        self.rebalances.append((at_us, generation))

    def generation(self, at_us, generation, assignment: dict[int, tuple[int, ...]]) -> None:
        """The group became STABLE in `generation` with this instance -> partitions map."""
        normal = {int(i): tuple(map(int, parts)) for i, parts in sorted(assignment.items())}
        tail = b"".join(encode_ints((i, *parts)) for i, parts in normal.items())
        record = GENERATION(at_us, generation) + COUNT.pack(len(normal)) + tail
        self._emit("generation", (at_us, generation, normal), record)
        self.last_us = at_us
        self.generations.append((at_us, generation, normal))

    def assigned(self, at_us, instance, generation, partitions) -> None:
        """The instance learned its assignment: a tenure starts on every partition it did not
        already hold (a cooperative member keeps the tenures it retains)."""
        partitions = tuple(partitions)
        values = (at_us, instance, generation, partitions)
        seq = self._emit(
            "assigned", values, ASSIGNED(at_us, instance, generation) + encode_ints(partitions)
        )
        self.last_us = at_us
        held = self._open.setdefault(instance, {})
        for p in partitions:
            if p not in held:
                tenure = Tenure(instance, p, generation, seq, at_us)
                held[p] = tenure
                self.tenures.append(tenure)

    def revoked(self, at_us, instance, partitions, lost: bool) -> None:
        """onPartitionsRevoked / onPartitionsLost: the tenures end (nothing left to end after the
        instance stopped)."""
        partitions = tuple(partitions)
        values = (at_us, instance, partitions, lost)
        seq = self._emit(
            "revoked", values, REVOKED(at_us, instance, lost) + encode_ints(partitions)
        )
        self.last_us = at_us
        self._close(seq, at_us, instance, partitions, "lost" if lost else "revoked")

    def _close(self, seq, at_us, instance, partitions, why: str) -> None:
        held = self._open.get(instance)
        if not held:
            return
        for p in partitions:
            tenure = held.pop(p, None)
            if tenure is not None:
                tenure.end_seq, tenure.end_us, tenure.ended_by = seq, at_us, why

    def position(self, at_us, instance, partition, offset, source: str) -> None:
        """Where the instance starts reading: committed | reset | seek."""
        values = (at_us, instance, partition, offset, source)
        record = POSITION(at_us, instance, partition, offset) + encode_text(source)
        seq = self._emit("position", values, record)
        self.last_us = at_us
        self.positions.append(Position(seq, at_us, instance, partition, offset, source))

    # ---- the hot path: once per batch slice -------------------------------------------------
    def delivered(self, at_us, instance, partition, start, end) -> None:
        """poll() returned offsets [start, end) of `partition` to `instance`."""
        values = (at_us, instance, partition, start, end)
        seq = self._emit("delivered", values, DELIVERED(*values))
        self.last_us = at_us
        if end > len(self._delivery_counts[partition]):
            self._room(partition, end)
        self._delivery_counts[partition][start:end] += 1
        if end > self.touched[partition]:
            self.touched[partition] = end
        self.deliveries.append(Delivery(seq, at_us, instance, partition, start, end))

    def processed(self, instance, generation, partition, start, end, done_us) -> None:
        """Records start + i of `partition` finished processing at done_us[i] (nondecreasing)."""
        done = np.ascontiguousarray(done_us, dtype=_TIME)
        if len(done) != end - start:
            raise LedgerError(
                f"event {self._seq + 1}: {len(done)} times for offsets [{start}, {end})"
            )
        values = (instance, generation, partition, start, end, done)
        seq = self._emit(
            "processed", values, PROCESSED(instance, generation, partition, start, end)
        )
        self._sha.update(done)  # the record's tail: its per-record times, raw little-endian int64
        if end <= start:
            return
        if end > len(self._effect_counts[partition]):
            self._room(partition, end)
        counts = self._effect_counts[partition][start:end]
        first = self._first_us[partition][start:end]
        times = None
        if start < self._effects_end[partition] and np.count_nonzero(counts):
            # Some record was processed before: keep this segment's own times for the checker.
            np.copyto(first, done, where=counts == 0)
            times = done.copy()
        else:
            first[:] = done
        counts += 1
        if end > self._effects_end[partition]:
            self._effects_end[partition] = end
            if end > self.touched[partition]:
                self.touched[partition] = end
        first_us, last_us = int(done[0]), int(done[-1])
        self.segments.append(
            Segment(seq, instance, generation, partition, start, end, first_us, last_us, times)
        )

    def absorbed(self, instance, partition, start, end, count, reason: str) -> None:
        """The sink absorbed `count` of the records [start, end) just recorded as `processed`:
        they left no new visible effect (reason: applied-before | not-newer | fenced)."""
        values = (instance, partition, start, end, count, reason)
        head = ABSORBED(instance, partition, start, end, count)
        seq = self._emit("absorbed", values, head + encode_text(reason))
        self.absorbed_writes.append(Absorbed(seq, instance, partition, start, end, count, reason))

    def effects_end(self, partition: int) -> int:
        """One past the highest offset of `partition` processed so far (0 if none)."""
        return self._effects_end[partition]

    def effect_counts(self, partition: int, start: int, end: int) -> np.ndarray:
        """How many times each of offsets [start, end) was processed so far (a copy): the
        engine keys a record's processing-time draw by this attempt number."""
        counts = self._effect_counts[partition][start:end]
        if len(counts) == end - start:
            return counts.copy()
        out = np.zeros(end - start, np.int32)
        out[: len(counts)] = counts
        return out

    # ---- commits ----------------------------------------------------------------------------
    def commit_sent(self, at_us, instance, request_id, generation, offsets, kind: str) -> None:
        """An OffsetCommit request left the client (kind: sync | async | auto)."""
        offsets = tuple((int(p), int(o)) for p, o in offsets)
        values = (at_us, instance, request_id, generation, offsets, kind)
        flat = encode_ints([x for pair in offsets for x in pair])
        record = SENT(at_us, instance, request_id, generation) + flat + encode_text(kind)
        seq = self._emit("commit_sent", values, record)
        self.last_us = at_us
        if request_id in self.commits:
            raise LedgerError(f"event {seq}: commit request {request_id} sent twice")
        self.commits[request_id] = Commit(
            request_id, instance, generation, offsets, kind, seq, at_us
        )

    def commit_applied(self, at_us, request_id) -> None:
        """The coordinator stored the request's offsets (last write wins)."""
        seq = self._emit("commit_applied", (at_us, request_id), APPLIED(at_us, request_id))
        self.last_us = at_us
        commit = self._commit(seq, request_id)
        if commit.applied_seq is not None:
            raise LedgerError(f"event {seq}: commit request {request_id} applied twice")
        commit.applied_seq, commit.applied_us = seq, at_us
        self.applied.append(request_id)

    def commit_completed(self, at_us, request_id, outcome: str) -> None:
        """The client learned the outcome: ok, a Kafka error code, or unknown."""
        values = (at_us, request_id, outcome)
        record = COMPLETED(at_us, request_id) + encode_text(outcome)
        seq = self._emit("commit_completed", values, record)
        self.last_us = at_us
        commit = self._commit(seq, request_id)
        commit.completed_us, commit.outcome = at_us, outcome

    def _commit(self, seq: int, request_id: int) -> Commit:
        commit = self.commits.get(request_id)
        if commit is None:
            raise LedgerError(f"event {seq}: commit request {request_id} was never sent")
        return commit

    # ---- faults and the end -----------------------------------------------------------------
    def fault(self, at_us, kind: str, instance: int, detail: str = "") -> None:
        """An injected fault took effect."""
        values = (at_us, kind, instance, detail)
        seq = self._emit(
            "fault", values, FAULT(at_us, instance) + encode_text(kind) + encode_text(detail)
        )
        self.last_us = at_us
        self.faults.append(Fault(seq, at_us, kind, instance, detail))

    def finish(self, at_us, quiesced: bool) -> None:
        self._emit("finish", (at_us, quiesced), FINISH(at_us, bool(quiesced)))
        self.last_us = at_us
        self.end_us = at_us
        self.quiesced = bool(quiesced)

    # ---- per-record facts, for the checker --------------------------------------------------
    def _upto(self, arrays, partition: int) -> np.ndarray:
        view = arrays[partition][: max(self.log_end[partition], self.touched[partition])]
        view.flags.writeable = False
        return view

    def deliveries_per_offset(self, partition: int) -> np.ndarray:
        """Deliveries per offset, up to the log end (or beyond, if something read past it)."""
        return self._upto(self._delivery_counts, partition)

    def effects_per_offset(self, partition: int) -> np.ndarray:
        """Effects (processings) per offset, up to the log end (or beyond)."""
        return self._upto(self._effect_counts, partition)

    def first_effect_us(self, partition: int) -> np.ndarray:
        """When each offset's first-*recorded* processing finished (NEVER if none). Segments are
        recorded when a batch ends, so an earlier processing may be recorded later: the
        earliest time is the minimum with the repeat segments' `times`."""
        return self._upto(self._first_us, partition)
