"""The simpy driver: the only part of offsim that knows time.

It runs each consumer's poll loop as a simpy process, carries requests and responses over
order-keeping connections, hands requests to the coordinator at their arrival time, turns the
model's timer requests into simpy timeouts, draws processing times and latencies from keyed
streams, injects the scenario's faults, and records everything in the ledger. After the window
it drains: faults stop, crashed consumers restart, and the group consumes to the end of the log.
"""

from __future__ import annotations

from collections import deque
from functools import partial

import numpy as np
import simpy
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import NORMAL, PENDING, URGENT

from sim.ledger import Ledger
from sim.model import coordinator as co
from sim.model.clients import CLIENT_MODELS
from sim.model.commands import (
    AwaitWorker,
    Call,
    HandOff,
    Later,
    LoopPoint,
    Process,
    Processed,
    ReadLog,
    Send,
    Stopped,
    Wait,
)
from sim.model.consumer import STABLE, ClientConfig, Consumer
from sim.model.log import TopicLog
from sim.model.messages import (
    CommitResponse,
    JoinGroup,
    LeaveGroup,
    ListOffsets,
    ListOffsetsResponse,
    OffsetCommit,
    OffsetFetch,
    SyncGroup,
    SyncResponse,
)
from sim.model.sink import make_sink
from sim.strategies import make_strategy, strategy_class

from .draws import (
    FETCH_RACE,
    HEARTBEAT,
    LATENCY,
    OPS_RACE,
    PROCESSING,
    KeyedDraws,
    shared_generator,
)
from .faults import OWNER, Action, plan_faults
from .faults import pinned as pinned_action
from .liveness import Liveness
from .network import Connection

US = 1000
PRODUCE_TICK_US = 50_000  # the producer appends every 50 ms
CLOSE_TIMEOUT_US = 30_000_000  # KafkaConsumer.close() default
RETRY_BACKOFF_MAX_US = 1_000_000  # retry.backoff.max.ms default
# Commands that block the application: the moment a client thread serves queued operations.
BLOCKING = frozenset({Process, Wait, Call, AwaitWorker})
LOOKUP_CONNECTIONS = 1 << 30  # latency keys of the FindCoordinator connections: number + this
# The bounds that end a run which cannot make progress (docs/scenarios.md, [run]): events are
# stepped in chunks, and the budget and the clock are looked at between chunks.
STEP_CHUNK = 10_000
STALLED_STEPS = 500_000  # this many events at one simulated instant: time has stopped
DRAIN_RESTARTS = 100  # a consumer the drain restarted this many times stops at once each time


class Crash(Exception):
    """A fault pinned to a loop point killed the consumer."""


class Instance:
    """One incarnation of a consumer slot, as the driver sees it."""

    def __init__(
        self, number: int, slot: int, incarnation: int, consumer: Consumer, conn, lookup_conn
    ):
        self.number = number
        self.slot = slot
        self.incarnation = incarnation
        self.consumer = consumer
        self.conn = conn
        self.alive = True
        self.process: simpy.Process | None = None
        self.pending: dict[int, simpy.Event] = {}  # request id -> the Call waiting for it
        self.wake: _Relay | None = None  # set while in a wakeable Wait
        self.heartbeat_phase_us: int | None = None  # when its heartbeat thread last (re)started
        self.processing: tuple | None = None  # (done_us array, first record index) mid-batch
        self.error_next = False  # a timed processing error waiting for the next record
        self.leaving = False  # a leave fault asked it to close
        self.restart_after_us: int | None = None  # set by the fault that stops it
        self.paused_until = -1  # a pause fault froze the whole process until then
        self.cut_until = -1  # a network cut keeps it from the coordinator until then
        self.stall_next_us = 0  # a stall that hit outside processing: the next record's delay
        self.poll_timer_at: int | None = None  # the one armed max.poll.interval.ms check
        self.blocked_heartbeat_us = 0  # its last heartbeat before a pause or cut stopped them
        self.member_ids: list[str] = [consumer.member_id]
        # Coordinator rediscovery: a FindCoordinator goes to any broker, over its own connection.
        self.lookup_conn = lookup_conn
        self.no_coordinator = False  # marked unknown; no heartbeat until found and resumed
        self.looking_up = False  # a lookup (FindCoordinator) is under way
        self.lookups = 0
        self.worker: Worker | None = None  # async processing: started at the first hand-off


class Slice:
    """The slice the worker is processing: the generation it was handed off in, its per-record
    finish times, and how many of them were reported (to the ledger and the consumer) so far."""

    __slots__ = ("partition", "start", "generation", "done_us", "reported")

    def __init__(self, partition: int, start: int, generation: int, done_us):
        self.partition = partition
        self.start = start
        self.generation = generation
        self.done_us = done_us
        self.reported = 0


class Worker:
    """The application's worker thread and its queue (async processing): slices waiting, the one
    in progress, and the records handed over and not finished."""

    __slots__ = ("queue", "current", "unfinished", "stopped", "idle", "changed")

    def __init__(self):
        self.queue: deque[tuple[int, int, int, int]] = deque()  # (p, start, end, generation)
        self.current: Slice | None = None
        self.unfinished = 0
        self.stopped = False  # the process died or exited: the thread ends at its next step
        self.idle: simpy.Event | None = None  # set while the queue is empty
        self.changed: simpy.Event | None = None  # set while someone waits for progress


class Simulation(Liveness):
    def __init__(self, scenario, seed: int, strategy, listener=None):
        self.scenario = scenario
        self.seed = seed
        self.strategy = strategy
        self.env = simpy.Environment()
        s = scenario
        self.duration_us = int(s.run.duration_ms * US)
        self.log = TopicLog(s.topic.partitions)
        self.ledger = Ledger(s.topic.partitions, listener)  # listener: e.g. a trace writer
        brought = strategy_class(strategy)
        if brought.sink is not None:  # the external-offsets strategies bring their store
            self.sink = make_sink(brought.sink, s.topic.partitions, fenced=brought.fenced)
        else:
            key, keys = s.sink.key or "record", s.sink.keys_per_partition or 0
            self.sink = make_sink(s.sink.kind, s.topic.partitions, key, keys)
        self.coordinator = co.GroupCoordinator(
            s.topic.partitions,
            int(s.broker.initial_rebalance_delay_ms * US),
            offsets_retention_us=int(s.broker.offsets_retention_ms * US),
            retention_check_interval_us=int(s.broker.offsets_retention_check_interval_ms * US),
        )
        self.timer_term = 0  # bumped when the coordinator cancels its timers (a failover)
        self.failovers = 0  # a failover's later phases belong to the latest one only
        self.fetch_races: dict[int, int] = {}  # librdkafka: assignments drawn per instance
        self.processing_draws = KeyedDraws(seed, PROCESSING, s.consumer.processing_ms)
        self.latency_draws = KeyedDraws(seed, LATENCY, s.network.latency_ms)
        self.heartbeat_draws = KeyedDraws(seed, HEARTBEAT, s.network.latency_ms)
        self.faults = plan_faults(s, seed)
        self.config = ClientConfig(
            partitions=s.topic.partitions,
            max_poll_records=s.consumer.max_poll_records,
            poll_timeout_us=int(s.consumer.poll_timeout_ms * US),
            retry_backoff_us=int(s.consumer.retry_backoff_ms * US),
            retry_backoff_max_us=RETRY_BACKOFF_MAX_US,
            api_timeout_us=int(s.consumer.default_api_timeout_ms * US),
            close_timeout_us=CLOSE_TIMEOUT_US,
            session_timeout_us=int(s.group.session_timeout_ms * US),
            rebalance_timeout_us=int(s.group.max_poll_interval_ms * US),
            auto_commit_interval_us=int(s.strategy.auto_commit_interval_ms * US),
            auto_offset_reset=s.group.auto_offset_reset,
            assignor=s.group.assignor,
            error_policy=s.strategy.on_commit_error,
            processing=s.consumer.processing,
            worker_queue_records=s.consumer.worker_queue_records,
            rebalance_callback=s.consumer.rebalance_callback,
        )
        self.client_model = CLIENT_MODELS[s.consumer.client]
        self.heartbeat_interval_us = int(s.group.heartbeat_interval_ms * US)
        self.request_timeout_us = int(s.broker.request_timeout_ms * US)
        self.instances: list[Instance] = []
        self.by_member: dict[str, Instance] = {}
        self.slots: list[Instance | None] = []  # the live instance of each slot
        self.down: dict[int, str] = {}  # slot -> why it is down ("crash" | "error" | "leave")
        self.draining = False
        self.producing = False  # the producer's last tick (at the window's end) is still to come
        self.done = self.env.event()  # the drain finished: the group is quiescent
        self.halted = self.env.event()  # a bound ended the run (`not_quiesced_reason`)
        self.not_quiesced_reason: str | None = None
        self.steps = 0  # simulated events stepped (`_run_bounded`)
        self.incarnations: list[int] = []  # per slot: instances started so far
        self.drain_restarts: list[int] = []  # per slot: restarts during the drain

    # ---- the run -----------------------------------------------------------------------------
    def run(self):
        env = self.env
        for p, count in enumerate(self.log.spread(self.scenario.topic.initial_records)):
            if count:
                self.log.append(p, count)
                self.ledger.appended(0, p, count)
        for slot in range(self.scenario.group.consumers):
            self._start(slot)
        if self.scenario.topic.produce_rate_per_s > 0:
            env.process(self._produce())
        for at_us, action in self.faults.timed:
            self._at(at_us, self._fire, action)
        for at_us, unavailable_us, loading_us in self.faults.failovers:
            self._at(at_us, self._failover, unavailable_us, loading_us)
        if self.scenario.run.drain:
            self._at(self.duration_us, self._start_drain)
            limit = self.duration_us + int(self.scenario.run.max_drain_ms * US)
            self._run_bounded(self.done | self.halted | env.timeout(limit))
            if not self.done.triggered and self.not_quiesced_reason is None:
                blocker = self._drain_blocker(None) or "the group never settled"
                self.not_quiesced_reason = (
                    f"the drain did not finish within run.max_drain_ms "
                    f"({self.scenario.run.max_drain_ms} ms): {blocker}"
                )
        else:
            # As env.run(until=duration): an event before every regular one at that instant.
            until = simpy.Event(env)
            until._ok, until._value = True, None
            env.schedule(until, URGENT, self.duration_us)
            self._run_bounded(until | self.halted)
        self.ledger.finish(env.now, self.not_quiesced_reason is None)
        self.ledger.not_quiesced_reason = self.not_quiesced_reason
        return self.ledger, self.sink

    def _run_bounded(self, until: simpy.Event) -> None:
        """env.run(until), stepped in chunks so that a run which cannot make progress ends: past
        run.max_steps events, or after STALLED_STEPS events at one simulated instant (a retry
        loop with no time passing). Either sets `not_quiesced_reason`."""
        env = self.env
        until.callbacks.append(StopSimulation.callback)
        step = env.step
        max_steps = self.scenario.run.max_steps
        steps, instant, at_instant = 0, env.now, 0
        try:
            while steps < max_steps:
                chunk = min(STEP_CHUNK, max_steps - steps)
                for _ in range(chunk):
                    step()
                steps += chunk
                if env.now != instant:
                    instant, at_instant = env.now, 0
                    continue
                at_instant += chunk
                if at_instant >= STALLED_STEPS:
                    self.not_quiesced_reason = (
                        f"simulated time stopped at {env.now // US:,} ms: over {STALLED_STEPS:,} "
                        "events at that instant (a retry loop with no time passing, e.g. zero "
                        "network latency with retry_backoff_ms = 0)"
                    )
                    return
        except (StopSimulation, EmptySchedule):
            return
        finally:
            self.steps = steps  # events stepped, but for those of the last, unfinished chunk
        reason = f"the run reached run.max_steps ({max_steps:,} events) at {env.now // US:,} ms"
        blocker = self._drain_blocker(None) if self.draining else None
        self.not_quiesced_reason = f"{reason}, draining: {blocker}" if blocker else reason

    def _halt(self, reason: str) -> None:
        """End the run now: it cannot make progress (`not_quiesced_reason`)."""
        if not self.halted.triggered:
            self.not_quiesced_reason = reason
            self.halted.succeed()

    def _at(self, at_us: int, fn, *args) -> None:
        """Call fn(*args) at `at_us` (now if it has passed), scheduled as a timeout would be."""
        env = self.env
        env.schedule(_Call(fn, args), NORMAL, max(at_us - env.now, 0))

    def _produce(self):
        """A steady producer during the window, round-robin over the partitions."""
        rate = self.scenario.topic.produce_rate_per_s
        partitions = self.log.partitions
        produced = 0
        next_partition = 0
        self.producing = True
        while self.env.now < self.duration_us:
            yield self.env.timeout(PRODUCE_TICK_US)
            total = int(rate * self.env.now / 1_000_000)
            base, extra = divmod(total - produced, partitions)
            for i in range(partitions):
                p = (next_partition + i) % partitions
                count = base + (1 if i < extra else 0)
                if count:
                    self.log.append(p, count)
                    self.ledger.appended(self.env.now, p, count)
            next_partition = (next_partition + extra) % partitions
            produced = total
            self.producing = self.env.now < self.duration_us
            for inst in self.instances:
                if inst.alive and inst.wake is not None and inst.consumer.assignment:
                    self._wake(inst)

    # ---- consumers ---------------------------------------------------------------------------
    def _start(self, slot: int) -> None:
        while len(self.slots) <= slot:
            self.slots.append(None)
            self.incarnations.append(0)
            self.drain_restarts.append(0)
        incarnation = self.incarnations[slot]
        self.incarnations[slot] += 1
        number = len(self.instances)
        member_id = f"consumer-{slot}-{incarnation}"
        strategy = make_strategy(self.strategy)
        observer = _Observer(self.ledger, number, self._coordinator_unknown_of)
        instance_id = f"instance-{slot}" if self.scenario.group.static_membership else None
        consumer = self.client_model(
            number, member_id, self.config, strategy, observer, instance_id
        )
        consumer.loop_points = any(key[0] in (slot, OWNER) for key in self.faults.points)
        consumer.read_log = self._read_log
        consumer.external_store = self.sink  # read and claimed on assignment (external-offsets)
        lookup_conn = Connection(self.latency_draws, LOOKUP_CONNECTIONS + number)
        conn = Connection(self.latency_draws, number)
        inst = Instance(number, slot, incarnation, consumer, conn, lookup_conn)
        if self.scenario.consumer.client == "librdkafka":  # its two threads' races, drawn
            consumer.fetch_race = partial(self._fetch_race, number)
            consumer.read_log = partial(self._read_log_racing, inst)
        self.instances.append(inst)
        self.slots[slot] = inst
        self.down.pop(slot, None)
        self.by_member[member_id] = inst
        self.ledger.instance_started(self.env.now, number, slot, incarnation, member_id)
        inst.process = self.env.process(self._drive(inst))
        self._arm_poll_timer(inst, self.env.now + self.config.rebalance_timeout_us)
        if consumer.auto_commit_on_timer and strategy.auto_commit:
            self.env.process(self._auto_commit_timer(inst))

    def _drive(self, inst: Instance):
        """Run the consumer's generator, carrying out each command it yields."""
        consumer = inst.consumer
        env = self.env
        loop = consumer.run()
        reply = None
        try:
            while True:
                consumer.now = env.now
                command = loop.send(reply)
                kind = type(command)
                reply = None
                if consumer.ops_queue and (kind in BLOCKING or self._thread_first(inst)):
                    # librdkafka: the client's thread serves the application's commit()
                    # operations at the latest when the application blocks (`serve_ops`).
                    self._carry_out(inst, consumer.serve_ops())
                if kind is Call:  # send the request and wait for its response
                    event = inst.pending[command.request_id] = env.event()
                    self._transmit(inst, command.request, command.request_id)
                    reply = yield event
                elif kind is Process:
                    reply = yield from self._process(inst, command)
                elif kind is HandOff:
                    self._hand_off(inst, command.slices)
                elif kind is AwaitWorker:
                    yield from self._await_worker(inst, command.max_unfinished)
                elif kind is ReadLog:
                    reply = self._read_log(command.partitions)
                elif kind is Wait:
                    yield from self._wait(inst, command)
                elif kind is Send:
                    self._transmit(inst, command.request, command.request_id)
                elif kind is LoopPoint:
                    self._loop_point(inst, command)
                elif kind is Stopped:
                    self._stopped(inst, command.how)
                    return
        except (simpy.Interrupt, Crash):
            self._stopped(inst, "crash")

    def _coordinator_unknown_of(self, number: int) -> None:
        self._coordinator_unknown(self.instances[number])

    def _auto_commit_timer(self, inst: Instance):
        """A background auto-commit timer (librdkafka; the Java new consumer before KAFKA-18641):
        every interval from the start, the consumer says what to commit, with the progress of a
        batch being processed, and the commit goes out while the application works on."""
        interval = self.config.auto_commit_interval_us
        while True:
            yield self.env.timeout(interval)
            if not inst.alive:
                return
            inst.consumer.now = self.env.now
            self._carry_out(inst, inst.consumer.auto_commit_tick(self._progress(inst)))

    def _progress(self, inst: Instance):
        """(slices, records finished) of the batch being processed now, or None."""
        if inst.processing is None:
            return None
        done_us, command = inst.processing
        return command.slices, int(done_us.searchsorted(self.env.now, side="right"))

    def _carry_out(self, inst: Instance, commands) -> None:
        """What a client's background thread asked for: requests to send (`Send`) and timers
        (`Later`), one command or a list (None: nothing)."""
        if commands is None:
            return
        if type(commands) is not list:
            commands = [commands]
        for command in commands:
            if type(command) is Later:
                self._at(command.at_us, self._consumer_timer, inst, command.key)
            else:
                self._transmit(inst, command.request, command.request_id)

    def _consumer_timer(self, inst: Instance, key) -> None:
        if inst.alive:
            inst.consumer.now = self.env.now
            self._carry_out(inst, inst.consumer.on_timer(key))
            self._wake(inst)

    def _read_log(self, partitions) -> tuple[int, ...]:
        ends = self.log.end_offsets
        return tuple([ends[p] for p in partitions])

    def _wait(self, inst: Instance, command: Wait):
        delay = max(command.until_us - self.env.now, 0)
        if not command.wakeable:
            yield self.env.timeout(delay)
            if inst.paused_until > self.env.now:
                yield from self._frozen(inst)
            return
        self._check_drained(inst)
        # `wake | timeout(delay)` without simpy's Condition machinery: whichever fires first
        # triggers the gate, with the same scheduling (one hop from either event to the gate).
        # The wake event is made only when someone wakes the consumer (`_wake`).
        env = self.env
        inst.wake = relay = _Relay(env.event())
        timer = env.timeout(delay)
        if command.idle:
            timer.callbacks.append(lambda _timer: self._idle_timeout(inst, relay))
        else:
            timer.callbacks.append(relay)
        yield relay.gate
        inst.wake = None
        if inst.paused_until > env.now:
            yield from self._frozen(inst)

    def _check_drained(self, inst: Instance) -> None:
        """A wakeable wait starts: the run ends if the group is drained."""
        if self.draining and not self.done.triggered and self._drain_blocker(inst) is None:
            # Several members can find the group drained at the same instant (their poll
            # timeouts end together): the first one ends the run.
            self.done.succeed()

    def _idle_timeout(self, inst: Instance, relay: _Relay) -> None:
        """The timeout of an idle poll's wait (`Wait.idle`) fired. The gate would resume the
        loop one hop later; when no other event of this instant is queued, that resumption would
        be the very next event, so the consumer can repoll here (`Consumer.repoll_idle`) and its
        next wait start here, as `_wait` starts it: the same events in the same order, without
        the gate and a round trip through the loop. Otherwise (woken, paused, stopped, another
        event due now, or the loop must run) the gate opens as for any wait."""
        env = self.env
        now = env.now
        if relay.woken or not inst.alive or inst.paused_until > now or env.peek() <= now:
            relay(None)
            return
        consumer = inst.consumer
        consumer.now = now
        until = consumer.repoll_idle()
        if until is None:
            relay(None)
            return
        self._check_drained(inst)
        env.timeout(until - now).callbacks.append(lambda _timer: self._idle_timeout(inst, relay))

    def _wake(self, inst: Instance) -> None:
        relay = inst.wake
        if relay is not None and not relay.woken:
            relay.woken = True
            wake = self.env.event()
            wake.callbacks.append(relay)
            wake.succeed()

    def _process(self, inst: Instance, command: Process):
        """Process slices as one timeout; a crash or error at time t finds how far it got with
        one searchsorted on the cumulative processing times (docs/model.md, The network)."""
        env = self.env
        slices = command.slices
        if len(slices) == 1:
            p, start, end = slices[0]
            durations = self._processing_us(p, start, end)
        else:
            durations = np.concatenate([self._processing_us(p, a, b) for p, a, b in slices])
        done_us = durations.cumsum()
        done_us += env.now
        total = len(done_us)
        limit, outcome = total, None
        mid_batch = self.faults.mid_batch  # usually empty: no lookup
        pinned_key, pinned = (
            pinned_action(mid_batch, inst, command.batch) if mid_batch else (None, None)
        )
        if pinned:
            # A crash right after the k-th record finishes, before any per-record commit; a
            # poison record k throws. A batch too short for k fails at its end (a crash) or at
            # its last record (a processing error).
            first, last = command.first_index, command.first_index + total
            if pinned.kind == "crash":
                k = min(pinned.after_records, command.batch_records)
                hit = first < k <= last or k == first == 0
            else:
                k = min(pinned.after_records, command.batch_records - 1)
                hit = first <= k < last
            if hit:
                limit, outcome = k - first, pinned
        if inst.error_next:
            limit, outcome = 0, Action(-1, "processing-error", inst.slot)
        if inst.stall_next_us and limit:
            done_us += inst.stall_next_us  # a stall waiting for the next record: it starts late
            inst.stall_next_us = 0
        inst.processing = (done_us, command)
        # The generation the batch was delivered under: a zombie's records keep it, since the
        # application does not know its member left the group meanwhile.
        generation = inst.consumer.generation
        while True:
            try:
                if limit:
                    yield env.timeout(int(done_us[limit - 1]) - env.now)
                break
            except simpy.Interrupt as interrupt:
                finished = int(done_us.searchsorted(env.now, side="right"))
                if type(interrupt.cause) is int:
                    # A stall or a pause: the record in progress takes that much longer.
                    done_us[finished:] += interrupt.cause
                    continue
                self._effects(inst, command, done_us, min(finished, limit), generation)
                inst.processing = None
                if interrupt.cause == "processing-error":
                    return Processed(min(finished, limit), True)
                raise
        inst.processing = None
        self._effects(inst, command, done_us, limit, generation)
        if outcome is None:
            return Processed(limit, False)
        if outcome.index >= 0:
            del self.faults.mid_batch[pinned_key]
            self.ledger.fault(env.now, outcome.kind, inst.number, f"after record {limit}")
        inst.error_next = False
        if outcome.index >= 0:
            inst.restart_after_us = outcome.restart_after_us
        if outcome.kind == "crash":
            raise Crash
        return Processed(limit, True)

    def _processing_us(self, partition: int, start: int, end: int):
        if start >= self.ledger.effects_end(partition):
            # Nothing at or after `start` was processed yet: every record's first attempt.
            return self.processing_draws.range((partition, 0), start, end)
        attempts = self.ledger.effect_counts(partition, start, end)
        first = int(attempts[0])
        if (attempts == first).all():
            return self.processing_draws.range((partition, first), start, end)
        out = self.processing_draws.range((partition, 0), start, end).copy()
        for attempt in sorted(set(attempts.tolist()) - {0}):
            mask = attempts == attempt
            out[mask] = self.processing_draws.range((partition, attempt), start, end)[mask]
        return out

    def _effects(self, inst: Instance, command: Process, done_us, records: int, generation) -> None:
        if len(command.slices) == 1 and records == len(done_us):  # one slice, all of it
            p, start, end = command.slices[0]
            self.ledger.processed(inst.number, generation, p, start, end, done_us)
            self._apply_effects(inst, p, start, end, generation)
            return
        index = 0
        for p, start, end in command.slices:
            if records <= 0:
                break
            n = min(records, end - start)
            self.ledger.processed(
                inst.number, generation, p, start, start + n, done_us[index : index + n]
            )
            self._apply_effects(inst, p, start, start + n, generation)
            index += n
            records -= n

    def _apply_effects(self, inst: Instance, p: int, start: int, end: int, generation) -> None:
        """Records just recorded as processed reach the sink (under the generation they were
        delivered in); what it absorbed is recorded too, so the trace shows what the sink did."""
        absorbed = self.sink.apply(p, start, end, generation)
        if absorbed:
            self.ledger.absorbed(inst.number, p, start, end, absorbed, self.sink.absorbed_reason)

    # ---- async processing: the worker thread ---------------------------------------------------
    def _hand_off(self, inst: Instance, slices) -> None:
        worker = inst.worker
        if worker is None:
            worker = inst.worker = Worker()
            self.env.process(self._work(inst, worker))
        generation = inst.consumer.generation
        worker.queue.extend((p, start, end, generation) for p, start, end in slices)
        worker.unfinished += sum(end - start for _, start, end in slices)
        worker.idle = _signal(worker.idle)

    def _work(self, inst: Instance, worker: Worker):
        """One timeout per queued slice, in FIFO order; processing times are drawn when the
        slice starts, keyed as in sync processing (common random numbers hold)."""
        env = self.env
        while not worker.stopped:
            if not worker.queue:
                worker.idle = env.event()
                yield worker.idle
                continue
            p, start, end, generation = worker.queue.popleft()
            done_us = self._processing_us(p, start, end).cumsum()
            done_us += env.now
            current = worker.current = Slice(p, start, generation, done_us)
            worker.changed = _signal(worker.changed)
            yield env.timeout(int(done_us[-1]) - env.now)
            if worker.stopped:
                return  # the process died or exited: the thread and its queue are gone
            self._report(inst, current, len(done_us))
            worker.current = None

    def _report(self, inst: Instance, current: Slice, upto: int) -> None:
        """The worker finished the current slice's records up to `upto`: effects into the
        ledger and the sink, as sync processing records them (under the generation the records
        were delivered in), and progress to the consumer."""
        done = current.reported
        if upto <= done:
            return
        p, start, generation = current.partition, current.start, current.generation
        times = current.done_us[done:upto]
        self.ledger.processed(inst.number, generation, p, start + done, start + upto, times)
        self._apply_effects(inst, p, start + done, start + upto, generation)
        current.reported = upto
        worker = inst.worker
        worker.unfinished -= upto - done
        inst.consumer.on_worker_progress(upto - done)
        worker.changed = _signal(worker.changed)

    def _await_worker(self, inst: Instance, max_unfinished: int):
        """Block the poll loop until at most `max_unfinished` handed-over records are unfinished.
        What the slice in progress finished by now is found with searchsorted; when the needed
        record lies in that slice, one timeout to its finish time; otherwise wait for the worker's
        next step."""
        env = self.env
        worker = inst.worker
        while worker.unfinished > max_unfinished:
            current = worker.current
            if current is not None:  # records of the slice already finished count at once
                self._report(inst, current, int(current.done_us.searchsorted(env.now, "right")))
            excess = worker.unfinished - max_unfinished
            if excess <= 0:
                break
            if current is not None and current.reported + excess <= len(current.done_us):
                upto = current.reported + excess
                yield env.timeout(int(current.done_us[upto - 1]) - env.now)
                self._report(inst, current, upto)
            else:
                worker.changed = env.event()
                yield worker.changed

    def _stop_worker(self, inst: Instance) -> None:
        """The process is gone: the records the worker finished by now are effects (found with
        one searchsorted on the slice's cumulative times); the queue, in memory, is lost."""
        worker = inst.worker
        if worker is None:
            return
        current = worker.current
        if current is not None:
            finished = int(current.done_us.searchsorted(self.env.now, side="right"))
            self._report(inst, current, finished)
        worker.queue.clear()
        worker.current = None
        worker.unfinished = 0
        worker.stopped = True
        worker.idle = _signal(worker.idle)

    def _loop_point(self, inst: Instance, command: LoopPoint) -> None:
        key, action = pinned_action(self.faults.points, inst, command.name, command.batch)
        if action is None:
            return
        del self.faults.points[key]
        detail = f"at {command.name} of batch {command.batch}"
        self.ledger.fault(self.env.now, "crash", inst.number, detail)
        inst.restart_after_us = action.restart_after_us
        raise Crash

    def _stopped(self, inst: Instance, how: str) -> None:
        self._stop_worker(inst)
        inst.alive = False
        inst.wake = None
        if self.slots[inst.slot] is inst:
            self.slots[inst.slot] = None
            self.down[inst.slot] = "leave" if inst.leaving else how
            if inst.restart_after_us is not None:
                self._at(self.env.now + inst.restart_after_us, self._restart, inst.slot)
        self.ledger.instance_stopped(self.env.now, inst.number, how)
        consumer = inst.consumer
        held = consumer.held_partitions()
        if held:
            self.ledger.revoked(self.env.now, inst.number, held, True)
        # The heartbeat thread dies with the process. A crashed member, and a static member even
        # after a clean close (it sends no LeaveGroup), stays a ghost until its session expires
        # (docs/semantics.md §10); a dynamic member's LeaveGroup removes it before that.
        last = self._last_heartbeat(inst)
        self._apply(self.coordinator.heartbeats_stopped(self.env.now, consumer.member_id, last))
        if self.draining:
            self._restart_down()

    def _last_heartbeat(self, inst: Instance) -> int:
        if self._heartbeats_blocked(inst):
            return inst.blocked_heartbeat_us
        phase = inst.heartbeat_phase_us
        now = self.env.now
        if phase is None:
            return now
        return now - (now - phase) % self.heartbeat_interval_us

    def _read_log_racing(self, inst: Instance, partitions):
        """librdkafka's consume() reads the queue without blocking: a queued commit() the
        client's thread won the race to serve goes out before (and reads the stored offsets
        before this read stores the next batch's)."""
        if inst.consumer.ops_queue and self._thread_first(inst):
            self._carry_out(inst, inst.consumer.serve_ops())
        return self._read_log(partitions)

    def _thread_first(self, inst: Instance) -> bool:
        """librdkafka: did the client's main thread serve the last queued commit() before the
        application's next step? The two threads race (rd_kafka_commit0 only enqueues); drawn
        once per operation, so the answer holds until the application blocks."""
        key = (self.seed, OPS_RACE, inst.number, inst.consumer.commit_sequence)
        return bool(shared_generator(*key).random() < 0.5)

    def _fetch_race(self, number: int, partitions: int) -> int:
        """librdkafka: how many of a new assignment's highest partitions the broker thread's
        first pass finds started (1..partitions), drawn per instance and assignment."""
        count = self.fetch_races[number] = self.fetch_races.get(number, 0) + 1
        return int(shared_generator(self.seed, FETCH_RACE, number, count).integers(partitions)) + 1

    def _restart(self, slot: int) -> None:
        if self.slots[slot] is None:
            self._start(slot)

    def _restart_down(self) -> None:
        for slot in sorted(self.down):
            if self.down[slot] != "leave":
                self._restart_in_drain(slot)
        if not any(inst is not None for inst in self.slots):
            for slot in sorted(self.down):
                self._restart_in_drain(slot)

    def _restart_in_drain(self, slot: int) -> None:
        """The drain restarts a stopped consumer; one that keeps stopping by itself (a reset
        policy of `none` with nothing committed) ends the run instead of restarting forever."""
        if self.halted.triggered:
            return
        if self.drain_restarts[slot] >= DRAIN_RESTARTS:
            self._halt(
                f"consumer {slot} stopped {DRAIN_RESTARTS} times in the drain (it cannot "
                f'consume: e.g. auto_offset_reset = "none" with no committed offset)'
            )
            return
        self.drain_restarts[slot] += 1
        self._start(slot)

    # ---- faults ------------------------------------------------------------------------------
    def _fire(self, action: Action) -> None:
        if self.draining:
            return
        if action.kind == "join":
            self.ledger.fault(self.env.now, "join", len(self.instances))
            self._start(action.slot)
            return
        if action.slot == OWNER:
            inst = self._owner(action.partition)
        else:
            inst = self.slots[action.slot] if action.slot < len(self.slots) else None
        if inst is None:
            return  # already down: nothing to crash
        detail = f"for {action.duration_us // 1000} ms" if action.duration_us else ""
        self.ledger.fault(self.env.now, action.kind, inst.number, detail)
        inst.restart_after_us = action.restart_after_us
        if action.kind == "crash":
            inst.process.interrupt("crash")
        elif action.kind == "leave":
            inst.leaving = True
            inst.consumer.close_requested = True
            self._wake(inst)
        elif action.kind == "processing-error":
            if inst.processing is not None:
                inst.process.interrupt("processing-error")
            else:
                inst.error_next = True
        elif action.kind == "stall":
            self._delay_processing(inst, action.duration_us)
        elif action.kind == "pause":
            self._pause(inst, action.duration_us)
        elif action.kind == "network-cut":
            self._cut(inst, action.duration_us)

    def _owner(self, partition: int) -> Instance | None:
        """The live instance whose assignment holds `partition` (the first, by slot), or None."""
        for inst in self.slots:
            if inst is not None and inst.alive and partition in inst.consumer.assignment:
                return inst
        return None

    def _failover(self, unavailable_us: int, loading_us: int) -> None:
        """The coordinator moves: unavailable, then loading, then serving the persisted group.
        Once begun, a failover runs its course even into the drain. A failover that starts
        before the previous one ended moves the group again: the previous one's remaining
        phases are void (the broker that was to load it no longer hosts the partition)."""
        if self.draining:
            return
        now = self.env.now
        detail = f"unavailable {unavailable_us // US} ms, loading {loading_us // US} ms"
        self.ledger.fault(now, "coordinator-failover", -1, detail)
        self.failovers += 1
        self._apply(self.coordinator.failover(now))
        for inst in self.instances:  # their next heartbeat is answered NOT_COORDINATOR
            if inst.alive and inst.heartbeat_phase_us is not None:
                at_us = self._next_heartbeat_reply_us(inst)
                self._at(at_us, self._heartbeat_not_coordinator, inst, inst.consumer.member_id)
        term = self.failovers
        start_loading, loaded = self.coordinator.start_loading, self.coordinator.loaded
        self._at(now + unavailable_us, self._coordinator_phase, start_loading, term)
        self._at(now + unavailable_us + loading_us, self._coordinator_phase, loaded, term)

    def _heartbeat_not_coordinator(self, inst: Instance, member_id: str) -> None:
        """A heartbeat sent while no broker serves the group (HeartbeatResponseHandler:
        NOT_COORDINATOR marks the coordinator unknown)."""
        if self.coordinator.status == co.UNAVAILABLE:
            self._heartbeat_reply(inst, member_id, "NOT_COORDINATOR")

    def _coordinator_phase(self, phase, term: int) -> None:
        if term == self.failovers:
            self._apply(phase(self.env.now))

    def _start_drain(self) -> None:
        """Heal every fault, restart crashed consumers, and consume to the end."""
        self.draining = True
        self._restart_down()

    def _drain_blocker(self, waiting: Instance | None) -> str | None:
        """Why the group is not drained yet (None: drained, a stable group whose every
        partition's owner is idle at the log end, with nothing more to come: production over,
        and no live consumer outside the group about to join it). `waiting`: the instance whose
        wait is starting, idle though not yet waiting."""
        coordinator = self.coordinator
        if self.producing:
            return "records are still being produced"
        if coordinator.status != co.ACTIVE:
            return "no broker serves the group (a coordinator failover)"
        if coordinator.state != co.STABLE:
            return f"the group is {coordinator.state}"
        for inst in self.slots:
            if inst is not None and inst.consumer.member_id not in coordinator.members:
                return f"{inst.consumer.member_id} is not in the group yet"
        owned = 0
        for member_id in coordinator.members:
            inst = self.by_member.get(member_id)
            if inst is None or not inst.alive:
                return f"member {member_id} is not running"
            consumer = inst.consumer
            if inst is not waiting and inst.wake is None:
                return f"{member_id} is busy"
            if consumer.state != STABLE or consumer.rejoin_needed:
                return f"{member_id} is rejoining"
            if consumer.inflight_async and not self._commits_change_nothing(consumer):
                return f"{member_id} has a commit in flight"
            if not consumer.coordinator_known:
                return f"{member_id} is looking for the coordinator"
            if inst.worker is not None and inst.worker.unfinished:
                return f"{member_id}'s worker has records to finish"
            for p in consumer.assignment:
                if consumer.positions.get(p) != self.log.end_offsets[p]:
                    return f"{member_id} has not reached the end of partition {p}"
            owned += len(consumer.assignment)
        if owned != self.log.partitions:
            return f"{self.log.partitions - owned} partitions have no owner"
        return None

    def _commits_change_nothing(self, consumer) -> bool:
        """Every commit the consumer has in flight was sent without anyone waiting for it (an
        async or auto commit) and names only offsets already committed: landing it changes no
        offset, so the drain need not wait for it (a loop that commits on every empty poll, or
        an auto commit every few ms, always has one in flight). A synchronous one (librdkafka
        keeps its operations in the same table) holds the application."""
        committed = self.coordinator.committed
        commits = self.ledger.commits
        for request_id in consumer.inflight_async:
            commit = commits.get(request_id)  # a librdkafka operation not yet sent has none
            if commit is None or commit.kind == "sync":
                return False
            if any(committed[p] != o for p, o in commit.offsets):
                return False
        return True

    # ---- the network and the coordinator -----------------------------------------------------
    def _transmit(self, inst: Instance, request, request_id: int) -> None:
        """Bytes sent arrive even if the sender dies meanwhile (docs/model.md, The network)."""
        arrival = inst.conn.request_arrival(self.env.now)
        self._at(arrival, self._at_coordinator, inst, request, request_id, self.env.now)

    def _at_coordinator(self, inst: Instance, request, request_id: int, sent_us: int) -> None:
        now = self.env.now
        coordinator = self.coordinator
        kind = type(request)
        lost = False
        if inst.cut_until > now and kind is not ListOffsets:  # ListOffsets goes to a leader
            if inst.cut_until < sent_us + self.request_timeout_us:
                # TCP retransmits: the request arrives once the link is back.
                self._at(inst.cut_until, self._at_coordinator, inst, request, request_id, sent_us)
            else:
                self._lost_in_cut(inst, request, request_id, sent_us)
            return
        refused = coordinator.refuse(request_id, request) if kind is not ListOffsets else None
        if refused is not None:
            outputs = refused  # no broker serves the group (a failover)
        elif kind is OffsetCommit:
            windows = self.faults.windows  # none in most scenarios: no lookups
            hit = windows and self.faults.window_hit(
                "commit-error", inst.slot, now, request_id, self.seed
            )
            if hit:
                self.ledger.fault(now, "commit-error", inst.number, hit[1].error)
                outputs = [co.Reply(request_id, CommitResponse(hit[1].error))]
            else:
                outputs = coordinator.commit(now, request_id, request)
            hit = windows and self.faults.window_hit(
                "lost-response", inst.slot, now, request_id, self.seed
            )
            if hit:
                self.ledger.fault(now, "lost-response", inst.number)
                inst.conn.hang(sent_us + self.request_timeout_us)
                lost = True
        elif kind is JoinGroup:
            self._note_member(inst, request.member_id)
            outputs = coordinator.join(now, request_id, request)
            if not inst.alive:
                outputs += coordinator.heartbeats_stopped(now, request.member_id, now)
        elif kind is SyncGroup:
            outputs = coordinator.sync(now, request_id, request)
        elif kind is OffsetFetch:
            outputs = coordinator.offset_fetch(now, request_id, request)
        elif kind is ListOffsets:
            ends = tuple(self.log.end_offsets[p] for p in request.partitions)
            outputs = [co.Reply(request_id, ListOffsetsResponse(ends))]
        elif kind is LeaveGroup:
            outputs = coordinator.leave(now, request)
        else:
            raise TypeError(f"unknown request {request!r}")
        self._apply(outputs, lost_request=request_id if lost else None)

    def _note_member(self, inst: Instance, member_id: str) -> None:
        """A client that reset its member id rejoins as a new member; the old id stops
        heartbeating and expires one session later."""
        if member_id not in self.by_member:
            old = inst.member_ids[-1]
            inst.member_ids.append(member_id)
            self.by_member[member_id] = inst
            self._apply(self.coordinator.heartbeats_stopped(self.env.now, old, self.env.now))

    def _apply(self, outputs, lost_request: int | None = None) -> None:
        now = self.env.now
        for out in outputs:
            kind = type(out)
            if kind is co.Reply:
                self._respond(out.request_id, out.response, lost=out.request_id == lost_request)
            elif kind is co.CommitApplied:  # with Reply, what every accepted commit outputs
                self.ledger.commit_applied(now, out.request_id)
            elif kind is co.SetTimer:
                self._at(out.at_us, self._coordinator_timer, out.token, self.timer_term)
            elif kind is co.CancelTimers:
                self.timer_term += 1
            elif kind is co.OffsetsExpired:
                detail = "partitions " + ",".join(map(str, out.partitions))
                self.ledger.fault(now, "offsets-expired", -1, detail)
            elif kind is co.NotifyRebalance:
                self._notify_rebalance(self.by_member.get(out.member_id))
            elif kind is co.MemberRemoved:
                if out.reason != "leave":
                    self._member_removed(out.member_id)
            elif kind is co.RebalanceStarted:
                self.ledger.rebalance_started(now, out.generation)
            elif kind is co.GroupStable:
                assignment = {self.by_member[m].number: parts for m, parts in out.assignment}
                self.ledger.generation(now, out.generation, assignment)

    def _coordinator_timer(self, token: tuple, term: int) -> None:
        if term == self.timer_term:
            self._apply(self.coordinator.timer(self.env.now, token))

    def _respond(self, request_id: int, response, lost: bool) -> None:
        inst = self.instances[request_id >> 32]
        conn = inst.conn
        now = self.env.now
        if lost or conn.hung_until > now:
            # The connection hangs; when it fails, commits in flight have an unknown outcome, and
            # other requests are re-sent by the client on the new connection (an approximation).
            if isinstance(response, CommitResponse):
                response = CommitResponse("UNKNOWN")
                self._at(conn.hung_until, self._arrive, inst, request_id, response)
            else:
                self._at(
                    conn.response_arrival(conn.hung_until), self._arrive, inst, request_id, response
                )
            return
        if inst.cut_until > now:  # answered during a cut: it arrives once the link is back
            arrival = conn.response_arrival(inst.cut_until)
            self._at(arrival, self._arrive, inst, request_id, response)
            return
        self._at(conn.response_arrival(now), self._arrive, inst, request_id, response)

    def _arrive(self, inst: Instance, request_id: int, response) -> None:
        if not inst.alive:
            return
        if inst.paused_until > self.env.now:  # a frozen process reads it when the pause ends
            self._at(inst.paused_until, self._arrive, inst, request_id, response)
            return
        if type(response) is SyncResponse and response.error is None:
            inst.heartbeat_phase_us = self.env.now
            self._missed_rebalance(inst)
        event = inst.pending.pop(request_id, None)
        if event is not None:
            event.succeed(response)
        elif request_id in inst.consumer.inflight_async:
            inst.consumer.now = self.env.now
            self._carry_out(inst, inst.consumer.on_response(request_id, response))
            self._wake(inst)
        elif request_id == inst.consumer.group_request:
            inst.consumer.now = self.env.now
            self._carry_out(inst, inst.consumer.on_group_response(request_id, response))
            self._wake(inst)

    def _notify_rebalance(self, inst: Instance | None) -> None:
        """The member hears of the rebalance in the response to its next heartbeat."""
        if inst is None or not inst.alive or inst.heartbeat_phase_us is None:
            return
        self._at(self._next_heartbeat_reply_us(inst), self._rebalance_notice, inst)

    def _next_heartbeat_reply_us(self, inst: Instance) -> int:
        """When the response to the member's next heartbeat arrives: next tick + round trip."""
        now, phase, interval = self.env.now, inst.heartbeat_phase_us, self.heartbeat_interval_us
        tick = -(-(now - phase) // interval)
        return phase + tick * interval + self._heartbeat_round_trip(inst, tick)

    def _heartbeat_round_trip(self, inst: Instance, tick: int) -> int:
        subject = (inst.number,)
        draws = self.heartbeat_draws
        return draws.one(subject, 2 * tick) + draws.one(subject, 2 * tick + 1)

    def _missed_rebalance(self, inst: Instance) -> None:
        """A member whose SyncGroup response was on its way when the next rebalance started (a
        cooperative follow-up starts within milliseconds) ignored or never got that notice: its
        first heartbeat as a stable member gets REBALANCE_IN_PROGRESS."""
        coordinator = self.coordinator
        member = coordinator.members.get(inst.consumer.member_id)
        if coordinator.state == co.PREPARING_REBALANCE and member and member.join_request is None:
            self._notify_rebalance(inst)

    def _rebalance_notice(self, inst: Instance) -> None:
        if inst.alive and not self._heartbeats_blocked(inst):
            inst.consumer.now = self.env.now
            self._carry_out(inst, inst.consumer.on_rebalance_notice())
            self._wake(inst)


def _signal(event: simpy.Event | None) -> None:
    """Succeed a waiter's event if there is one; returns None, the slot's new value."""
    if event is not None and not event.triggered:
        event.succeed()


class _Relay:
    """Succeeds its gate when the first of the events it is attached to is processed: a
    wakeable wait's timer, and its wake event once the consumer is woken (`woken`)."""

    __slots__ = ("gate", "woken")

    def __init__(self, gate: simpy.Event):
        self.gate = gate
        self.woken = False

    def __call__(self, _event) -> None:
        gate = self.gate
        if gate._value is PENDING:
            gate.succeed()


class _Call:
    """A function call at a simulated time: what `env.timeout(delay)` with one callback appended
    does, without building the Timeout and a closure (two of them per batch's commit). Scheduled
    with `env.schedule(call, NORMAL, delay)` it takes the place a timeout made at that moment
    would take among the events of its instant. simpy's `Environment.step` needs of an event
    only its `callbacks` (called with the event, then set to None) and `_ok` (a false one crashes
    the run)."""

    __slots__ = ("callbacks", "_ok", "fn", "args")

    def __init__(self, fn, args: tuple):
        self.callbacks = _CALL_CALLBACKS
        self._ok = True
        self.fn = fn
        self.args = args


def _call_now(call: _Call) -> None:
    call.fn(*call.args)


_CALL_CALLBACKS = (_call_now,)  # shared: step() only iterates it and resets the attribute


class _Observer:
    """Binds a consumer's observations to its instance number in the ledger."""

    __slots__ = ("ledger", "instance", "commit_completed", "_coordinator_unknown")

    def __init__(self, ledger: Ledger, instance: int, coordinator_unknown):
        self.ledger = ledger
        self.instance = instance
        self.commit_completed = ledger.commit_completed  # names no instance: no binding needed
        self._coordinator_unknown = coordinator_unknown

    def coordinator_unknown(self, at_us):
        """Not a record: the driver starts the consumer's coordinator lookup."""
        self._coordinator_unknown(self.instance)

    def assigned(self, at_us, generation, partitions):
        self.ledger.assigned(at_us, self.instance, generation, partitions)

    def revoked(self, at_us, partitions, lost):
        self.ledger.revoked(at_us, self.instance, partitions, lost)

    def position(self, at_us, partition, offset, source):
        self.ledger.position(at_us, self.instance, partition, offset, source)

    def delivered(self, at_us, partition, start, end):
        self.ledger.delivered(at_us, self.instance, partition, start, end)

    def commit_sent(self, at_us, request_id, generation, offsets, kind):
        self.ledger.commit_sent(at_us, self.instance, request_id, generation, offsets, kind)
