"""One scenario on the real side: a worker process per consumer, the scenario's faults, the
drain, and the outcome once the group has settled.

Time runs from the start of the workers, in milliseconds as the scenario writes them. Loop-point
crashes are the workers' own (they SIGKILL themselves, so the kill cannot race a commit); a
crash at `at_ms` is a SIGKILL from here, a `leave` a SIGTERM (the loop's `finally` and
close()), a `join` a new worker, a `stall` a SIGUSR1 (the loop sleeps; the client's threads run
on). At `run.duration_ms` the drain starts, as in the model: every
consumer that crashed is started again, and the run ends once every partition's owner has
consumed to the log end and the committed offsets have stopped moving.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sim.conformance.backend import ERROR_CODES, consumer_protocol
from sim.conformance.children import die_with_parent, kill
from sim.conformance.outcome import Outcome, effects_outcome
from sim.conformance.spec import worker_spec

STRATEGIES = (
    "auto", "auto-store-after-process", "sync-per-batch", "sync-per-record", "async-per-batch",
    "async-then-sync", "async-then-sync-processed", "per-partition-sync",
    "commit-before-process", "off-by-one", "transactional",
)  # fmt: skip
# The real clients: the worker module that runs each, and the model client it is compared with.
CLIENTS = {
    "confluent-kafka": ("sim.conformance.worker", "librdkafka"),
    "kafka-python": ("sim.conformance.worker_kafka_python", "java"),
}
TICK_S = 0.05
STOP_S = 10  # a worker closing at the end of a run is killed after this
SETTLE_S = 2.5  # unchanged commits and effects for this long: settled (a rediscovery takes ~1 s)


class Unsupported(Exception):
    """The scenario says something the real side cannot do (said what)."""


def model_client(scenario, client: str = "confluent-kafka") -> str:
    """The model's client compared with this real one (`CLIENTS`), in every protocol."""
    return CLIENTS[client][1]


def check_supported(scenario, backend, client: str = "confluent-kafka") -> None:
    s = scenario
    if s.strategy.name not in STRATEGIES:
        raise Unsupported(f"strategy {s.strategy.name!r} has no confluent-kafka worker")
    if client == "kafka-python" and s.strategy.name == "auto-store-after-process":
        raise Unsupported("auto-store-after-process is librdkafka's offset store")
    if s.consumer.processing_ms.dist != "constant" or s.consumer.processing != "sync":
        raise Unsupported("the real side processes synchronously, for a constant processing_ms")
    if client == "kafka-python" and consumer_protocol(s):
        raise Unsupported("kafka-python has no client of the consumer group protocol")
    if client == "kafka-python" and s.group.static_membership:
        raise Unsupported("kafka-python speaks Kafka 2.0's protocol here: no static membership")
    if s.topic.produce_rate_per_s or s.strategy.on_commit_error:
        raise Unsupported("live production and on_commit_error are not run")
    allowed = ("crash", "leave", "join", "commit-error", "coordinator-outage", "stall")
    for i, fault in enumerate(s.faults):
        if fault.kind not in allowed:
            raise Unsupported(f"faults[{i}]: a {fault.kind} fault is not run on the real side")
        if fault.kind == "crash":
            if fault.consumer == "random" or getattr(fault, "rate_per_min", None):
                raise Unsupported(f"faults[{i}]: a drawn crash has no real counterpart")
            if fault.at_ms is not None and fault.owner_of is not None:
                raise Unsupported(f"faults[{i}]: owner_of at a time: the controller cannot see")
        if fault.kind == "stall" and fault.consumer == "random":
            raise Unsupported(f"faults[{i}]: a drawn stall has no real counterpart")
    if sum(f.kind == "commit-error" for f in s.faults) > 1:
        raise Unsupported("more than one commit-error fault")
    why = backend.unsupported(s)
    if why:
        raise Unsupported(why)


@dataclass
class _Slot:
    process: subprocess.Popen | None = None
    incarnation: int = 0
    left: bool = False  # closed cleanly: not restarted by the drain
    restart_at: float | None = None


@dataclass
class RealRun:
    """The state of one real run; `outcome()` drives it to the end."""

    scenario: object
    backend: object
    folder: Path
    worker: str = "sim.conformance.worker"  # the module a worker process runs
    topic: str = field(default_factory=lambda: f"conform-{uuid.uuid4().hex[:12]}")
    slots: list[_Slot] = field(default_factory=list)
    fired: set[int] = field(default_factory=set)

    @property
    def group(self) -> str:
        return self.topic + "-group"

    def outcome(self) -> Outcome:
        s = self.scenario
        ends = _spread(s.topic.initial_records, s.topic.partitions)
        delay = s.broker.initial_rebalance_delay_ms
        self.backend.create_topic(self.topic, s.topic.partitions, self.group, delay)
        if consumer_protocol(s):
            b = s.broker
            self.backend.group_consumer_timeouts(
                b.group_consumer_session_timeout_ms, b.group_consumer_heartbeat_interval_ms
            )
        interrupted = False
        try:
            self._produce(ends)
            committed = self._run(ends)
        except KeyboardInterrupt:
            interrupted = True  # Ctrl-C stops at once: nothing that waits on the broker
            raise
        finally:
            self._stop_workers(0 if interrupted else STOP_S)
            if not interrupted:
                self.backend.commit_errors([])
                self.backend.cleanup(self.topic, self.group)
        lines = []
        for path in sorted(self.folder.glob("effects-*")):
            lines += path.read_text().splitlines()
        return effects_outcome(lines, ends, committed)

    def _produce(self, ends: list[int]) -> None:
        from confluent_kafka import Producer

        producer = Producer({"bootstrap.servers": self.backend.bootstrap, "linger.ms": 5})
        for p, count in enumerate(ends):
            for offset in range(count):
                producer.produce(self.topic, value=str(offset).encode(), partition=p)
        if producer.flush(30):
            raise RuntimeError("records not produced within 30 s")

    # ---- the run -----------------------------------------------------------------------------
    def _run(self, ends: list[int]) -> tuple[int | None, ...]:
        s = self.scenario
        monitor = _Monitor(self.backend.bootstrap, self.group, self.topic, len(ends))
        monitor.start_at_zero()
        for fault in s.faults:  # pushed after our own commit: the stack counts every request
            if fault.kind == "commit-error":
                code = ERROR_CODES[fault.error]
                self.backend.commit_errors([0] * (fault.nth - 1) + [code] * (fault.times or 1))
        start = time.monotonic()
        events = self._timed_events(start)
        for slot in range(s.group.consumers):
            self._start(slot)
        end_s = s.run.duration_ms / 1000
        timeout_s = s.conformance.timeout_s if s.conformance else 60
        deadline = start + end_s + timeout_s
        settle_s = SETTLE_S + (s.strategy.auto_commit_interval_ms / 1000 if _auto(s) else 0)
        drained = False
        last, still_since = None, None
        try:
            while True:
                now = time.monotonic() - start
                while events and events[0][0] <= now:
                    _, action = events.pop(0)
                    action()
                self._reap(now)
                if not drained and now >= end_s:
                    drained = True
                    self._drain(now)
                if drained:
                    committed = monitor.committed()
                    at_end = self._all_at_end(ends, committed)
                    seen = (committed, self._effect_count(), at_end)
                    if seen != last:
                        last, still_since = seen, now
                    elif seen[2] and now - still_since >= settle_s:
                        return seen[0]
                if time.monotonic() > deadline:
                    raise TimeoutError(f"not settled {timeout_s} s after the run's end")
                time.sleep(TICK_S)
        finally:
            monitor.close()

    def _timed_events(self, start: float) -> list:
        events = []
        for i, fault in enumerate(self.scenario.faults):
            kind = fault.kind
            if kind == "crash" and fault.at_ms is not None:
                events.append((fault.at_ms, lambda f=fault, i=i: self._kill_slot(f, i)))
            elif kind == "leave":
                events.append((fault.at_ms, lambda f=fault: self._leave(f, start)))
            elif kind == "join":
                events.append((fault.at_ms, lambda: self._start(len(self.slots))))
            elif kind == "stall":
                events.append((fault.at_ms, lambda f=fault: self._stall(f)))
            elif kind == "coordinator-outage":
                events.append((fault.at_ms, lambda: self.backend.coordinator_down(self.group)))
                up = fault.at_ms + fault.duration_ms
                events.append((up, lambda: self.backend.coordinator_up(self.group)))
        return sorted(((at / 1000, action) for at, action in events), key=lambda e: e[0])

    def _start(self, slot: int) -> None:
        while len(self.slots) <= slot:
            self.slots.append(_Slot())
        state = self.slots[slot]
        state.restart_at = None
        spec = worker_spec(self.scenario, self, slot, state.incarnation)
        path = self.folder / f"spec-{slot}-{state.incarnation}.json"
        path.write_text(json.dumps(spec))
        command = [sys.executable, "-m", self.worker, str(path)]
        state.process = subprocess.Popen(
            command, stderr=subprocess.DEVNULL, preexec_fn=die_with_parent
        )
        state.incarnation += 1

    def _reap(self, now: float) -> None:
        """Notice workers that died at their crash point; restart them when the fault says."""
        for path in self.folder.glob("fired-*"):
            index = int(path.name.removeprefix("fired-"))
            if index not in self.fired:
                self.fired.add(index)
        for slot, state in enumerate(self.slots):
            if state.process is not None and state.process.poll() is not None:
                code = state.process.returncode
                state.process = None
                _clear_status(self.folder, slot)
                if code == -signal.SIGKILL:
                    restart = self._restart_of_last_crash(slot)
                    if restart is not None:
                        state.restart_at = now + restart / 1000
            if state.process is None and state.restart_at is not None and now >= state.restart_at:
                self._start(slot)

    def _restart_of_last_crash(self, slot: int) -> int | None:
        for index in sorted(self.fired, reverse=True):
            fault = self.scenario.faults[index]
            claimed = (self.folder / f"fired-{index}").read_text().strip()
            if claimed == str(slot):
                return fault.restart_after_ms
        return None

    def _kill_slot(self, fault, index: int) -> None:
        state = self.slots[fault.consumer] if fault.consumer < len(self.slots) else None
        if state is None or state.process is None:
            return
        (self.folder / f"fired-{index}").write_text(str(fault.consumer))
        kill(state.process)

    def _stall(self, fault) -> None:
        """The slot's poll loop stops for the fault's duration: the worker's SIGUSR1 handler
        sleeps what the stall file says (librdkafka's threads run on)."""
        state = self.slots[fault.consumer] if fault.consumer < len(self.slots) else None
        if state is None or state.process is None:
            return
        (self.folder / f"stall-{fault.consumer}").write_text(str(fault.duration_ms))
        state.process.send_signal(signal.SIGUSR1)

    def _leave(self, fault, start: float) -> None:
        state = self.slots[fault.consumer]
        if state.process is None:
            return
        state.process.send_signal(signal.SIGTERM)
        state.process.wait(30)
        state.process = None
        _clear_status(self.folder, fault.consumer)
        if fault.restart_after_ms is None:
            state.left = True
        else:
            state.restart_at = time.monotonic() - start + fault.restart_after_ms / 1000

    def _drain(self, now: float) -> None:
        """As the model's drain: every consumer down but not by a clean close starts again."""
        down = [st for st in self.slots if st.process is None]
        for state in down:
            if not state.left or len(down) == len(self.slots):
                state.restart_at = now

    def _stop_workers(self, patience_s: float) -> None:
        """Close every live worker (SIGTERM: its loop's `finally`, then close(), which leaves the
        group, so the group is empty and can be deleted); SIGKILL one that has not closed in
        `patience_s`. The outcome is read before: a close processes no record."""
        live = [slot.process for slot in self.slots if slot.process is not None]
        for process in live:
            if process.poll() is None and patience_s:
                process.send_signal(signal.SIGTERM)
        for process in live:
            try:
                process.wait(patience_s)
            except subprocess.TimeoutExpired:
                kill(process)

    def _effect_count(self) -> int:
        return sum(path.stat().st_size for path in self.folder.glob("effects-*"))

    def _all_at_end(self, ends: list[int], committed) -> bool:
        """Every partition is held by a live worker whose last empty poll found it at the end
        (one it has read nothing from is at the end when the committed offset is)."""
        covered: set[int] = set()
        for slot, state in enumerate(self.slots):
            if state.process is None:
                continue
            path = self.folder / f"status-{slot}"
            try:
                status = json.loads(path.read_text())
            except (OSError, ValueError):
                return False
            positions = {int(p): o for p, o in status["positions"].items()}
            for p, offset in positions.items():
                if offset < 0 and committed:
                    offset = committed[p]
                if offset != ends[p]:
                    return False
            covered.update(positions)
        return covered == set(range(len(ends)))


class _Monitor:
    """Reads the group's committed offsets without joining it."""

    def __init__(self, bootstrap: str, group: str, topic: str, partitions: int):
        from confluent_kafka import Consumer, TopicPartition

        self.consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": group,
                "enable.auto.commit": False,
                "log_level": 0,
            }  # fmt: skip
        )
        self.partitions = [TopicPartition(topic, p) for p in range(partitions)]

    def start_at_zero(self) -> None:
        """Commit offset 0 on every partition before the workers start. With no committed offset
        librdkafka resolves auto.offset.reset per partition on its own timers, and its first
        fetch holds whichever partitions resolved first (a race the model does not draw); from
        committed offsets every partition is fetchable at once, in partition order, as in the
        model. Reported as None (never committed), as the model has it."""
        self.consumer.commit(offsets=self.partitions_at(0), asynchronous=False)

    def partitions_at(self, offset: int) -> list:
        from confluent_kafka import TopicPartition

        return [TopicPartition(tp.topic, tp.partition, offset) for tp in self.partitions]

    def committed(self) -> tuple[int | None, ...]:
        try:
            found = self.consumer.committed(self.partitions, timeout=5)
        except Exception:  # the coordinator is down or moving: not settled
            return ()
        return tuple(tp.offset if tp.offset > 0 else None for tp in found)

    def close(self) -> None:
        self.consumer.close()


def _auto(scenario) -> bool:
    return scenario.strategy.name in ("auto", "auto-store-after-process")


def _spread(records: int, partitions: int) -> list[int]:
    """As the model's log: evenly, the first partitions taking the remainder."""
    base, extra = divmod(records, partitions)
    return [base + (1 if p < extra else 0) for p in range(partitions)]


def _clear_status(folder: Path, slot: int) -> None:
    (folder / f"status-{slot}").unlink(missing_ok=True)


def run_real(scenario, backend, client: str = "confluent-kafka") -> Outcome:
    """One real run of the scenario on the backend with this client's workers, in a scratch
    folder removed after."""
    check_supported(scenario, backend, client)
    with tempfile.TemporaryDirectory(prefix="offsim-conform-") as folder:
        return RealRun(scenario, backend, Path(folder), CLIENTS[client][0]).outcome()
