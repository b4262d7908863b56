"""The poll-loop driver: each consumer incarnation's application loop as a simpy process.

It owns starting a consumer (its model, strategy, connections and process), running the model's
generator and carrying out each command it yields (requests, processing, waits, hand-offs, loop
points), the client's background commands (`Later` timers, `Send`), waking a waiting loop, and a
process's end. It never decides what the consumer does (the model does), never answers a request
(the coordinator host does) and never fires a timed fault (`firing`).
"""

from __future__ import annotations

from functools import partial

import simpy

from sim.model.commands import (
    AwaitWorker,
    Call,
    HandOff,
    Later,
    LoopPoint,
    Process,
    ReadLog,
    Send,
    Stopped,
    Wait,
)
from sim.model.txn_producer import TransactionalProducer
from sim.strategies import make_strategy

from .clock import Relay
from .draws import FETCH_RACE, LOOKUP_RACE, OPS_RACE, shared_generator
from .faults import OWNER
from .instance import Crash, Instance, Observer
from .network import Connection

# Commands that block the application: the moment a client thread serves queued operations.
BLOCKING = frozenset({Process, Wait, Call, AwaitWorker})
LOOKUP_CONNECTIONS = 1 << 30  # latency keys of the FindCoordinator connections: number + this


class PollLoop:
    """The poll loops' part of `Simulation` (its environment, model settings, ledger and the
    other parts' methods)."""

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
        observer = Observer(
            self.ledger, number, self._coordinator_unknown_of, self._heartbeat_thread_of
        )
        instance_id = f"instance-{slot}" if self.scenario.group.static_membership else None
        consumer = self.client_model(
            number, member_id, self.config, strategy, observer, instance_id
        )
        consumer.loop_points = any(key[0] in (slot, OWNER) for key in self.faults.points)
        consumer.read_log = self._read_log
        consumer.topic_hash = self.topic_hash  # orders the Java clients' fetches
        consumer.external_store = self.sink  # read and claimed on assignment (external-offsets)
        if self.txn_coordinator is not None:  # transactional.id per slot: a restart fences
            client = self.scenario.consumer.client
            producer = TransactionalProducer(f"app-{slot}", self.txn_timeout_us, client)
            consumer.txn_producer = producer
            consumer.require_stable = self.txn_require_stable
        lookup_conn = Connection(self.latency_draws, LOOKUP_CONNECTIONS + number)
        conn = Connection(self.latency_draws, number)
        inst = Instance(number, slot, incarnation, consumer, conn, lookup_conn)
        if self.scenario.consumer.client == "librdkafka":  # its two threads' races, drawn
            consumer.fetch_race = partial(self._fetch_race, number)
            consumer.lookup_race = partial(self._lookup_race, number)
            consumer.read_log = partial(self._read_log_racing, inst)
        self.instances.append(inst)
        self.slots[slot] = inst
        self.down.pop(slot, None)
        self.by_member[member_id] = inst
        self.ledger.instance_started(self.env.now, number, slot, incarnation, member_id)
        inst.process = self.env.process(self._drive(inst))
        self._arm_poll_timer(inst, self.env.now + self.config.rebalance_timeout_us)
        if self.consumer_protocol:
            consumer.heartbeat_wake = partial(self._heartbeat_check, inst)
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
                    if command.point is not None:  # a loop point while the request is out
                        self._loop_point(inst, LoopPoint(command.point, consumer.batch_number))
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

    def _heartbeat_thread_of(self, number: int, enabled: bool) -> None:
        self._heartbeat_thread(self.instances[number], enabled)

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
        # `wake | timeout(delay)` without simpy's Condition machinery: the gate opens when the
        # timer fires or when someone wakes the consumer (`_wake`), whichever comes first. An
        # idle poll's timer is the idle clock's (`idle_polls`).
        env = self.env
        inst.wake = relay = Relay(env.event())
        if command.idle:
            self._idle_wait(inst, relay, command.until_us)
        else:
            env.timeout(delay).callbacks.append(relay)
        yield relay.gate
        inst.wake = None
        if inst.paused_until > env.now:
            yield from self._frozen(inst)

    def _wake(self, inst: Instance) -> None:
        relay = inst.wake
        if relay is not None and not relay.woken:
            relay.woken = True
            relay(None)

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

    def _lookup_race(self, number: int) -> float:
        """librdkafka: the share of a held Fetch a FindCoordinator on the same connection waits
        for (uniform), drawn per instance and lookup."""
        count = self.lookup_races[number] = self.lookup_races.get(number, 0) + 1
        return float(shared_generator(self.seed, LOOKUP_RACE, number, count).random())

    def _restart(self, slot: int) -> None:
        """A stopped consumer's restart delay ended: its slot starts a new incarnation."""
        if self.slots[slot] is None:
            self._start(slot)
