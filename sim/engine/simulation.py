"""The simpy driver: the only part of offsim that knows time.

It runs each consumer's poll loop as a simpy process, carries requests and responses over
order-keeping connections, hands requests to the coordinator at their arrival time, turns the
model's timer requests into simpy timeouts, draws processing times and latencies from keyed
streams, injects the scenario's faults, and records everything in the ledger. After the window
it drains: faults stop, crashed consumers restart, and the group consumes to the end of the log.
"""

from __future__ import annotations

import numpy as np
import simpy
from simpy.events import PENDING

from sim.ledger import Ledger
from sim.model import coordinator as co
from sim.model.commands import Call, LoopPoint, Process, Processed, ReadLog, Send, Stopped, Wait
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
from sim.strategies import make_strategy

from .draws import HEARTBEAT, LATENCY, PROCESSING, KeyedDraws
from .faults import Action, plan_faults
from .network import Connection

US = 1000
PRODUCE_TICK_US = 50_000  # the producer appends every 50 ms
CLOSE_TIMEOUT_US = 30_000_000  # KafkaConsumer.close() default
RETRY_BACKOFF_MAX_US = 1_000_000  # retry.backoff.max.ms default


class Crash(Exception):
    """A fault pinned to a loop point killed the consumer."""


class Instance:
    """One incarnation of a consumer slot, as the driver sees it."""

    def __init__(self, number: int, slot: int, incarnation: int, consumer: Consumer, conn):
        self.number = number
        self.slot = slot
        self.incarnation = incarnation
        self.consumer = consumer
        self.conn = conn
        self.alive = True
        self.process: simpy.Process | None = None
        self.pending: dict[int, simpy.Event] = {}  # request id -> the Call waiting for it
        self.wake: simpy.Event | None = None  # set while in a wakeable Wait
        self.heartbeat_phase_us: int | None = None  # when its heartbeat thread last (re)started
        self.processing: tuple | None = None  # (done_us array, first record index) mid-batch
        self.error_next = False  # a timed processing error waiting for the next record
        self.leaving = False  # a leave fault asked it to close
        self.restart_after_us: int | None = None  # set by the fault that stops it
        self.member_ids: list[str] = [consumer.member_id]


class Simulation:
    def __init__(self, scenario, seed: int, strategy, listener=None):
        self.scenario = scenario
        self.seed = seed
        self.strategy = strategy
        self.env = simpy.Environment()
        s = scenario
        self.duration_us = int(s.run.duration_ms * US)
        self.log = TopicLog(s.topic.partitions)
        self.ledger = Ledger(s.topic.partitions, listener)  # listener: e.g. a trace writer
        self.sink = make_sink(s.sink.kind, s.topic.partitions)
        self.coordinator = co.GroupCoordinator(
            s.topic.partitions, int(s.broker.initial_rebalance_delay_ms * US)
        )
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
        )
        self.heartbeat_interval_us = int(s.group.heartbeat_interval_ms * US)
        self.request_timeout_us = int(s.broker.request_timeout_ms * US)
        self.instances: list[Instance] = []
        self.by_member: dict[str, Instance] = {}
        self.slots: list[Instance | None] = []  # the live instance of each slot
        self.down: dict[int, str] = {}  # slot -> why it is down ("crash" | "error" | "leave")
        self.draining = False
        self.done = self.env.event()

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
        if self.scenario.run.drain:
            self._at(self.duration_us, self._start_drain)
            limit = self.duration_us + int(self.scenario.run.max_drain_ms * US)
            env.run(until=self.done | env.timeout(limit))
        else:
            env.run(until=self.duration_us)
        quiesced = self.done.triggered or not self.scenario.run.drain
        self.ledger.finish(env.now, quiesced)
        return self.ledger, self.sink

    def _at(self, at_us: int, fn, *args) -> None:
        event = self.env.timeout(max(at_us - self.env.now, 0))
        event.callbacks.append(lambda _event: fn(*args))

    def _produce(self):
        """A steady producer during the window, round-robin over the partitions."""
        rate = self.scenario.topic.produce_rate_per_s
        partitions = self.log.partitions
        produced = 0
        next_partition = 0
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
            for inst in self.instances:
                if inst.alive and inst.wake is not None and inst.consumer.assignment:
                    self._wake(inst)

    # ---- consumers ---------------------------------------------------------------------------
    def _start(self, slot: int) -> None:
        while len(self.slots) <= slot:
            self.slots.append(None)
        incarnation = sum(1 for i in self.instances if i.slot == slot)
        number = len(self.instances)
        member_id = f"consumer-{slot}-{incarnation}"
        strategy = make_strategy(self.strategy)
        observer = _Observer(self.ledger, number)
        instance_id = f"instance-{slot}" if self.scenario.group.static_membership else None
        consumer = Consumer(number, member_id, self.config, strategy, observer, instance_id)
        consumer.loop_points = any(key[0] == slot for key in self.faults.points)
        consumer.read_log = self._read_log
        inst = Instance(number, slot, incarnation, consumer, Connection(self.latency_draws, number))
        self.instances.append(inst)
        self.slots[slot] = inst
        self.down.pop(slot, None)
        self.by_member[member_id] = inst
        self.ledger.instance_started(self.env.now, number, slot, incarnation, member_id)
        inst.process = self.env.process(self._drive(inst))

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
                if kind is Call:
                    reply = yield from self._call(inst, command)
                elif kind is Process:
                    reply = yield from self._process(inst, command)
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

    def _read_log(self, partitions) -> tuple[int, ...]:
        ends = self.log.end_offsets
        return tuple(ends[p] for p in partitions)

    def _call(self, inst: Instance, command: Call):
        event = self.env.event()
        inst.pending[command.request_id] = event
        self._transmit(inst, command.request, command.request_id)
        return (yield event)

    def _wait(self, inst: Instance, command: Wait):
        delay = max(command.until_us - self.env.now, 0)
        if not command.wakeable:
            yield self.env.timeout(delay)
            return
        if self.draining and self._quiescent(inst):
            self.done.succeed()
        # `wake | timeout(delay)` without simpy's Condition machinery: whichever fires first
        # triggers the gate, with the same scheduling (one hop from either event to the gate).
        env = self.env
        inst.wake = wake = env.event()
        timer = env.timeout(delay)
        gate = env.event()
        relay = _Relay(gate)
        wake.callbacks.append(relay)
        timer.callbacks.append(relay)
        yield gate
        inst.wake = None

    def _wake(self, inst: Instance) -> None:
        if inst.wake is not None and not inst.wake.triggered:
            inst.wake.succeed()

    def _process(self, inst: Instance, command: Process):
        """Process slices as one timeout; a crash or error at time t finds how far it got with
        one searchsorted on the cumulative processing times (DESIGN.md, Architecture)."""
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
        pinned = self.faults.mid_batch.get((inst.slot, command.batch))
        if pinned is not None:
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
        inst.processing = (done_us, command)
        try:
            if limit:
                yield env.timeout(int(done_us[limit - 1]) - env.now)
        except simpy.Interrupt as interrupt:
            finished = int(done_us.searchsorted(env.now, side="right"))
            self._effects(inst, command, done_us, min(finished, limit))
            inst.processing = None
            if interrupt.cause == "processing-error":
                return Processed(min(finished, limit), True)
            raise
        inst.processing = None
        self._effects(inst, command, done_us, limit)
        if outcome is None:
            return Processed(limit, False)
        if outcome.index >= 0:
            del self.faults.mid_batch[(inst.slot, command.batch)]
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

    def _effects(self, inst: Instance, command: Process, done_us, records: int) -> None:
        generation = inst.consumer.generation
        index = 0
        for p, start, end in command.slices:
            if records <= 0:
                break
            n = min(records, end - start)
            self.ledger.processed(
                inst.number, generation, p, start, start + n, done_us[index : index + n]
            )
            self.sink.apply(p, start, start + n)
            index += n
            records -= n

    def _loop_point(self, inst: Instance, command: LoopPoint) -> None:
        action = self.faults.points.pop((inst.slot, command.name, command.batch), None)
        if action is None:
            return
        detail = f"at {command.name} of batch {command.batch}"
        self.ledger.fault(self.env.now, "crash", inst.number, detail)
        inst.restart_after_us = action.restart_after_us
        raise Crash

    def _stopped(self, inst: Instance, how: str) -> None:
        inst.alive = False
        inst.wake = None
        if self.slots[inst.slot] is inst:
            self.slots[inst.slot] = None
            self.down[inst.slot] = "leave" if inst.leaving else how
            if inst.restart_after_us is not None:
                self._at(self.env.now + inst.restart_after_us, self._restart, inst.slot)
        self.ledger.instance_stopped(self.env.now, inst.number, how)
        consumer = inst.consumer
        if consumer.assignment:
            self.ledger.revoked(self.env.now, inst.number, consumer.assignment, True)
        if how == "crash":
            # No LeaveGroup: the member stays a ghost until its session expires (SEMANTICS.md §4a).
            last = self._last_heartbeat(inst)
            self._apply(self.coordinator.heartbeats_stopped(self.env.now, consumer.member_id, last))
        if self.draining:
            self._restart_down()

    def _last_heartbeat(self, inst: Instance) -> int:
        phase = inst.heartbeat_phase_us
        now = self.env.now
        if phase is None:
            return now
        return now - (now - phase) % self.heartbeat_interval_us

    def _restart(self, slot: int) -> None:
        if self.slots[slot] is None:
            self._start(slot)

    def _restart_down(self) -> None:
        for slot in sorted(self.down):
            if self.down[slot] != "leave":
                self._start(slot)
        if not any(inst is not None for inst in self.slots):
            for slot in sorted(self.down):
                self._start(slot)

    # ---- faults ------------------------------------------------------------------------------
    def _fire(self, action: Action) -> None:
        if self.draining:
            return
        if action.kind == "join":
            self.ledger.fault(self.env.now, "join", len(self.instances))
            self._start(action.slot)
            return
        inst = self.slots[action.slot] if action.slot < len(self.slots) else None
        if inst is None:
            return  # already down: nothing to crash
        self.ledger.fault(self.env.now, action.kind, inst.number)
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

    def _start_drain(self) -> None:
        """Heal every fault, restart crashed consumers, and consume to the end."""
        self.draining = True
        self._restart_down()

    def _quiescent(self, waiting: Instance) -> bool:
        """Drained: a stable group whose every partition's owner is idle at the log end."""
        coordinator = self.coordinator
        if coordinator.state != co.STABLE:
            return False
        owned = 0
        for member_id in coordinator.members:
            inst = self.by_member.get(member_id)
            if inst is None or not inst.alive:
                return False
            consumer = inst.consumer
            if inst is not waiting and inst.wake is None:
                return False
            if consumer.state != STABLE or consumer.rejoin_needed or consumer.inflight_async:
                return False
            for p in consumer.assignment:
                if consumer.positions.get(p) != self.log.end_offsets[p]:
                    return False
            owned += len(consumer.assignment)
        return owned == self.log.partitions

    # ---- the network and the coordinator -----------------------------------------------------
    def _transmit(self, inst: Instance, request, request_id: int) -> None:
        """Bytes sent arrive even if the sender dies meanwhile (DESIGN.md, Architecture)."""
        arrival = inst.conn.request_arrival(self.env.now)
        self._at(arrival, self._at_coordinator, inst, request, request_id, self.env.now)

    def _at_coordinator(self, inst: Instance, request, request_id: int, sent_us: int) -> None:
        now = self.env.now
        coordinator = self.coordinator
        kind = type(request)
        lost = False
        if kind is OffsetCommit:
            hit = self.faults.window_hit("commit-error", inst.slot, now, request_id, self.seed)
            if hit is not None:
                self.ledger.fault(now, "commit-error", inst.number, hit[1].error)
                outputs = [co.Reply(request_id, CommitResponse(hit[1].error))]
            else:
                outputs = coordinator.commit(now, request_id, request)
            hit = self.faults.window_hit("lost-response", inst.slot, now, request_id, self.seed)
            if hit is not None:
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
            elif kind is co.SetTimer:
                self._at(out.at_us, self._coordinator_timer, out.token)
            elif kind is co.CommitApplied:
                self.ledger.commit_applied(now, out.request_id)
            elif kind is co.NotifyRebalance:
                self._notify_rebalance(self.by_member.get(out.member_id))
            elif kind is co.RebalanceStarted:
                self.ledger.rebalance_started(now, out.generation)
            elif kind is co.GroupStable:
                assignment = {self.by_member[m].number: parts for m, parts in out.assignment}
                self.ledger.generation(now, out.generation, assignment)

    def _coordinator_timer(self, token: tuple) -> None:
        self._apply(self.coordinator.timer(self.env.now, token))

    def _respond(self, request_id: int, response, lost: bool) -> None:
        inst = self.instances[request_id >> 32]
        conn = inst.conn
        if lost or conn.hung_until > self.env.now:
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
        self._at(conn.response_arrival(self.env.now), self._arrive, inst, request_id, response)

    def _arrive(self, inst: Instance, request_id: int, response) -> None:
        if not inst.alive:
            return
        if type(response) is SyncResponse and response.error is None:
            inst.heartbeat_phase_us = self.env.now
            self._missed_rebalance(inst)
        event = inst.pending.pop(request_id, None)
        if event is not None:
            event.succeed(response)
        elif request_id in inst.consumer.inflight_async:
            inst.consumer.now = self.env.now
            inst.consumer.on_response(request_id, response)
            self._wake(inst)
        elif request_id == inst.consumer.group_request:
            inst.consumer.on_group_response(request_id, response)
            self._wake(inst)

    def _notify_rebalance(self, inst: Instance | None) -> None:
        """The member hears of the rebalance in the response to its next heartbeat."""
        if inst is None or not inst.alive or inst.heartbeat_phase_us is None:
            return
        now, phase, interval = self.env.now, inst.heartbeat_phase_us, self.heartbeat_interval_us
        tick = -(-(now - phase) // interval)
        subject = (inst.number,)
        round_trip = self.heartbeat_draws.one(subject, 2 * tick) + self.heartbeat_draws.one(
            subject, 2 * tick + 1
        )
        self._at(phase + tick * interval + round_trip, self._rebalance_notice, inst)

    def _missed_rebalance(self, inst: Instance) -> None:
        """A member whose SyncGroup response was on its way when the next rebalance started (a
        cooperative follow-up starts within milliseconds) ignored or never got that notice: its
        first heartbeat as a stable member gets REBALANCE_IN_PROGRESS."""
        coordinator = self.coordinator
        member = coordinator.members.get(inst.consumer.member_id)
        if coordinator.state == co.PREPARING_REBALANCE and member and member.join_request is None:
            self._notify_rebalance(inst)

    def _rebalance_notice(self, inst: Instance) -> None:
        if inst.alive:
            inst.consumer.on_rebalance_notice()
            self._wake(inst)


class _Relay:
    """Succeeds its gate when the first of the events it is attached to is processed."""

    __slots__ = ("gate",)

    def __init__(self, gate: simpy.Event):
        self.gate = gate

    def __call__(self, _event) -> None:
        gate = self.gate
        if gate._value is PENDING:
            gate.succeed()


class _Observer:
    """Binds a consumer's observations to its instance number in the ledger."""

    __slots__ = ("ledger", "instance")

    def __init__(self, ledger: Ledger, instance: int):
        self.ledger = ledger
        self.instance = instance

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

    def commit_completed(self, at_us, request_id, outcome):
        self.ledger.commit_completed(at_us, request_id, outcome)
