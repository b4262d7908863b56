"""The simulation: the composition of the engine's parts, and the run that steps their events.

The engine is the only part of offsim that knows time. Its parts, one concern each: the poll
loops (`driver`), sync processing (`processing`) and the async worker (`worker`), the network
(`network`), the coordinator host with its failover (`coordinator_host`), the heartbeat thread
and the faults that make zombies (`liveness`), fault firing (`firing`, over the plan of
`faults`), and the drain (`drain`). `Simulation` holds the state they share (the environment, the
model's log and coordinator, the ledger, the sink, the draws, the instances), starts the run,
produces records, and steps events within the run's bounds. It never handles a consumer command,
a request or a fault itself.
"""

from __future__ import annotations

import simpy
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import NORMAL, URGENT

from sim.ledger import Ledger
from sim.model import coordinator as co
from sim.model.client_config import ClientConfig
from sim.model.clients import CLIENT_MODELS, CONSUMER_GROUP_MODELS
from sim.model.consumer_group.coordinator import ConsumerGroupCoordinator
from sim.model.log import TopicLog
from sim.model.output_log import READ_COMMITTED
from sim.model.sink import make_sink
from sim.model.transactions import TransactionCoordinator
from sim.model.txn_sink import DEFAULT_ISOLATION, TransactionalSink
from sim.strategies import strategy_class

from .clock import US, Call
from .coordinator_host import CoordinatorHost
from .drain import Drain
from .draws import HEARTBEAT, LATENCY, PROCESSING, TOPIC_NAME, KeyedDraws, shared_generator
from .driver import PollLoop
from .faults import plan_faults
from .firing import FaultFiring
from .group_heartbeats import GroupHeartbeats
from .idle_polls import IdlePolls
from .instance import Instance
from .liveness import Liveness
from .network import Network
from .processing import Processing
from .txn_host import TxnHost
from .worker import AsyncWorker

DEFAULT_TXN_TIMEOUT_MS = 60_000  # transaction.timeout.ms (ProducerConfig, rdkafka_conf.c)
PRODUCE_TICK_US = 50_000  # the producer appends every 50 ms
CLOSE_TIMEOUT_US = 30_000_000  # KafkaConsumer.close() default
RETRY_BACKOFF_MAX_US = 1_000_000  # retry.backoff.max.ms default
CLIENT_SESSION_TIMEOUT_MS = 45_000  # session.timeout.ms default
# The bounds that end a run which cannot make progress (docs/scenarios.md, [run]): events are
# stepped in chunks, and the budget and the clock are looked at between chunks.
STEP_CHUNK = 10_000
STALLED_STEPS = 500_000  # this many events at one simulated instant: time has stopped


class Simulation(
    PollLoop,
    IdlePolls,
    Processing,
    AsyncWorker,
    Network,
    CoordinatorHost,
    Liveness,
    GroupHeartbeats,
    FaultFiring,
    Drain,
    TxnHost,
):
    """One run of a scenario at a seed under a strategy: `Simulation(...).run()` returns the
    ledger and the sink. Each base class is one part of the engine over this shared state; a
    part calls another's methods through `self`, never by importing it."""

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
        refusal = brought.unsupported(scenario)
        if refusal is not None:
            raise ValueError(f"{scenario.name}: {refusal}")
        self.txn_coordinator: TransactionCoordinator | None = None
        if brought.sink == "transactional":  # the output topic, read downstream at the end
            txn = s.transactions
            isolation = (txn and txn.isolation) or DEFAULT_ISOLATION[s.consumer.client]
            self.sink = TransactionalSink(s.topic.partitions, isolation)
            # The consumers' isolation.level too: librdkafka asks for stable offsets only with
            # read_committed (rdkafka_assignment.c rd_kafka_assignment_serve_pending), Java always.
            librdkafka = s.consumer.client == "librdkafka"
            self.txn_require_stable = isolation == READ_COMMITTED or not librdkafka
            self.txn_coordinator = TransactionCoordinator()
            timeout_ms = txn.transaction_timeout_ms if txn else DEFAULT_TXN_TIMEOUT_MS
            self.txn_timeout_us = int(timeout_ms * US)
        elif brought.sink is not None:  # the external-offsets strategies bring their store
            self.sink = make_sink(brought.sink, s.topic.partitions, fenced=brought.fenced)
        else:
            key, keys = s.sink.key or "record", s.sink.keys_per_partition or 0
            self.sink = make_sink(s.sink.kind, s.topic.partitions, key, keys)
        # KIP-848: the consumer group coordinator, its session and heartbeat the broker's.
        self.consumer_protocol = s.group.consumer_protocol
        self.stable_epoch = 0  # the last target epoch the consumer group was stable at
        if self.consumer_protocol:
            session_ms = s.broker.group_consumer_session_timeout_ms
            heartbeat_ms = s.broker.group_consumer_heartbeat_interval_ms
            self.coordinator = ConsumerGroupCoordinator(
                s.topic.partitions, int(session_ms * US), int(heartbeat_ms * US)
            )
            # The client's own session.timeout.ms (unused by the Java client here), its default.
            client_session_ms = CLIENT_SESSION_TIMEOUT_MS
            self.client_model = CONSUMER_GROUP_MODELS[s.consumer.client]
        else:
            self.coordinator = co.GroupCoordinator(
                s.topic.partitions,
                int(s.broker.initial_rebalance_delay_ms * US),
                offsets_retention_us=int(s.broker.offsets_retention_ms * US),
                retention_check_interval_us=int(s.broker.offsets_retention_check_interval_ms * US),
            )
            session_ms = client_session_ms = s.group.session_timeout_ms
            heartbeat_ms = s.group.heartbeat_interval_ms
            self.client_model = CLIENT_MODELS[s.consumer.client]
        self.timer_term = 0  # bumped when the coordinator cancels its timers (a failover)
        self.failovers = 0  # a failover's later phases belong to the latest one only
        self.fetch_races: dict[int, int] = {}  # librdkafka: assignments drawn per instance
        self.lookup_races: dict[int, int] = {}  # librdkafka: coordinator lookups drawn per instance
        # The topic has no name: its String.hashCode, which orders the Java fetch, is drawn.
        self.topic_hash = int(shared_generator(seed, TOPIC_NAME).integers(1 << 32))
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
            session_timeout_us=int(client_session_ms * US),
            rebalance_timeout_us=int(s.group.max_poll_interval_ms * US),
            auto_commit_interval_us=int(s.strategy.auto_commit_interval_ms * US),
            auto_offset_reset=s.group.auto_offset_reset,
            assignor=s.group.assignor,
            error_policy=s.strategy.on_commit_error,
            processing=s.consumer.processing,
            worker_queue_records=s.consumer.worker_queue_records,
            rebalance_callback=s.consumer.rebalance_callback,
            remote_assignor=s.group.remote_assignor,
        )
        self.heartbeat_interval_us = int(heartbeat_ms * US)
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
        self.idle_waits: list = []  # the idle-poll clock (`idle_polls`)
        self.idle_order = 0
        self.idle_armed: int | None = None
        self.idle_term = 0
        # Without pause faults nothing holds a response at its arrival: a blocking request's
        # response resumes its waiter in one hop (`Network._respond`).
        self.pausing = any(action.kind == "pause" for _, action in self.faults.timed)

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
        if self.txn_coordinator is not None:
            self._start_transactions()
            for at_us, unavailable_us, loading_us in self.faults.txn_failovers:
                self._at(at_us, self._txn_failover, unavailable_us, loading_us)
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
        if self.txn_coordinator is not None:
            self.sink.read()  # the downstream reader, over the final output topic
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

    def _at(self, at_us: int, fn, *args) -> None:
        """Call fn(*args) at `at_us` (now if it has passed), scheduled as a timeout would be."""
        env = self.env
        env.schedule(Call(fn, args), NORMAL, max(at_us - env.now, 0))

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
