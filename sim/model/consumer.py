"""One Java consumer instance (classic protocol, eager or cooperative rebalancing, dynamic or static
membership): the poll loop, its position, the commit calls and the group membership as the client
sees it.

Everything the consumer decides lives here; everything that takes time is a command yielded to
the driver (`sim.model.commands`). `run()` is the application's main loop, written once for every
strategy, as tutorials write it:

    try { while (running) { records = poll(); process(records); commit... } }
    finally { commit...; close(); }

With `processing = "async"` the loop hands each batch to a worker thread behind a bounded queue
instead of processing it (`hand_off`), and the driver reports the worker's progress
(`on_worker_progress`).

The strategy answers the loop's questions; the client rules (auto commit inside poll, commitSync's
retries, commitAsync's callbacks, the commit gate, onJoinPrepare, close) follow the Java client's
ConsumerCoordinator (docs/semantics.md §2, §6, §8, §9). The driver sets `now` before every
resumption. A crash is the driver dropping the generator: no `finally` runs, as when a process dies.

The heartbeat thread is not a generator: the driver calls its decisions (`on_poll_timeout`,
`on_heartbeat_error`, `on_rebalance_notice`) between the loop's steps, as the thread would run
beside the application (AbstractCoordinator.HeartbeatThread).

The protocol follows the assignor, as in the Java client (the highest protocol every configured
assignor supports): `cooperative-sticky` rebalances cooperatively. An eager rejoin blocks poll()
until the group is stable; a cooperative rejoin advances one step per poll() iteration (JoinGroup
and SyncGroup are sent, their responses handled at the next iteration) while poll() goes on
returning records of the partitions still owned.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .assignors import ASSIGNORS, COOPERATIVE_ASSIGNORS
from .commands import (
    AwaitWorker,
    Batch,
    Call,
    CommitAsync,
    CommitResult,
    CommitSync,
    DrainWorker,
    HandOff,
    LoopPoint,
    Pause,
    Process,
    ReadLog,
    Resume,
    Seek,
    Send,
    Stopped,
    Wait,
)
from .messages import (
    COORDINATOR_ERRORS,
    COORDINATOR_LOST_ERRORS,
    RETRIABLE_COMMIT_ERRORS,
    JoinGroup,
    JoinResponse,
    LeaveGroup,
    ListOffsets,
    OffsetCommit,
    OffsetFetch,
    Offsets,
    Subscription,
    SyncGroup,
)

NO_GENERATION = -1
# The client's own view of its membership (AbstractCoordinator.MemberState).
UNJOINED = "UNJOINED"
PREPARING_REBALANCE = "PREPARING_REBALANCE"
COMPLETING_REBALANCE = "COMPLETING_REBALANCE"
STABLE = "STABLE"


@dataclass(frozen=True)
class ClientConfig:
    """The client settings the model needs, in microseconds."""

    partitions: int
    max_poll_records: int
    poll_timeout_us: int
    retry_backoff_us: int  # retry.backoff.ms: the first retry's wait, doubling ...
    retry_backoff_max_us: int  # ... up to retry.backoff.max.ms
    api_timeout_us: int  # default.api.timeout.ms: commitSync's deadline
    close_timeout_us: int  # close()'s default timeout (30 s)
    session_timeout_us: int
    rebalance_timeout_us: int  # max.poll.interval.ms, sent with JoinGroup
    auto_commit_interval_us: int
    auto_offset_reset: str
    assignor: str
    error_policy: str | None  # overrides the strategy's policy for a failed commitSync
    processing: str = "sync"  # "async": records go to a worker thread through a bounded queue
    worker_queue_records: int = 1_000  # the worker queue's capacity (async processing)
    # librdkafka: the application registered a rebalance callback (confluent-kafka always does)
    rebalance_callback: bool = True


class NullObserver:
    """Records nothing: for driving a consumer by hand."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


class Consumer:
    # Whether to yield the LoopPoint commands: a driver that knows no fault is pinned to this
    # consumer's loop points sets it False and saves their round trips (nothing else changes).
    loop_points = True
    # A driver may answer ReadLog by a direct call instead (it takes no time): read_log(partitions)
    # -> their log end offsets.
    read_log = None
    # Java classic: auto commit runs inside poll(). A client whose auto commit runs on a background
    # timer sets it True; the driver then calls `auto_commit_tick` every interval instead.
    auto_commit_on_timer = False
    # Operations the application enqueued for a client thread to serve when it next blocks
    # (librdkafka's commit(): `serve_ops`); the Java client has none.
    ops_queue = ()
    # The application's own store of results and offsets (the external-offsets strategies read
    # and claim it on assignment); the driver sets it.
    external_store = None

    def __init__(
        self,
        instance: int,
        member_id: str,
        config: ClientConfig,
        strategy,
        observer,
        instance_id: str | None = None,
    ):
        self.instance = instance
        self.member_id = member_id
        self.instance_id = instance_id  # group.instance.id: a static member
        self.known_member = False  # the coordinator has accepted this member id
        self.cooperative = config.assignor in COOPERATIVE_ASSIGNORS
        self.group_request: int | None = None  # a cooperative rejoin's JoinGroup or SyncGroup
        self.group_reply = None  # its response, handled at the next poll() iteration
        self.retry_join_after_us = 0  # after a coordinator error: when to send the next JoinGroup
        # markCoordinatorUnknown: False from a coordinator error until the driver's lookup
        # (FindCoordinator) finds it again (`on_coordinator_found`); no heartbeat meanwhile.
        self.coordinator_known = True
        self.last_assignment: tuple[int, ...] = ()  # what `sticky` remembers across eager joins
        self.config = config
        self.strategy = strategy
        self.observer = observer
        self.error_policy = config.error_policy or strategy.error_policy
        self.now = 0
        self.state = UNJOINED
        self.generation = NO_GENERATION
        self.assignment: tuple[int, ...] = ()
        self.positions: dict[int, int] = {}  # next offset poll() returns, per assigned partition
        self.processed: dict[int, int] = {}  # last processed offset + 1, this tenure
        self.rejoin_needed = True
        self.needs_join_prepare = True
        self.close_requested = False
        self.failed = False  # an exception is unwinding the loop
        self.inflight_async: dict[int, tuple[Offsets, int, int, str]] = {}
        self.completed_async: deque[CommitResult] = deque()
        self.commit_sequence = 0
        self.next_auto_commit_us = 0
        self.batch_number = 0
        self.in_poll = False  # the application is inside poll(): the poll timer keeps resetting
        self.poll_deadline_us = 0  # when the current poll() times out
        # The last poll() returned no records, the strategy asked for nothing after it and the
        # worker (async processing) is idle: while nothing changes, the next poll's timeout
        # repeats that (`repoll_idle`).
        self.quiet = False
        self.last_poll_us = 0  # when the application last left poll()
        self.paused: set[int] = set()  # KafkaConsumer.pause(): poll() skips these partitions
        # Async processing: what was handed to the worker and is not finished, FIFO, as
        # [partition, start, end, tenure]; progress on an older tenure is no longer `processed`.
        self.worker_queue: deque[list[int]] = deque()
        self.worker_unfinished = 0
        self._tenure = 0
        self._cursor = 0
        self._requests = 0
        self._member_resets = 0

    # ---- the application ------------------------------------------------------------------------
    def run(self):
        """The application's poll loop, its `finally`, and close()."""
        self.next_auto_commit_us = self.now + self.config.auto_commit_interval_us
        self.last_poll_us = self.now
        strategy = self.strategy
        while not self.close_requested and not self.failed:
            self.in_poll = True
            batch = yield from self.poll()
            self.in_poll = False
            self.last_poll_us = self.now
            records = batch.records
            if self.failed or (self.close_requested and not records):
                break
            if records:
                self.batch_number += 1
                batch = Batch(self.batch_number, batch.slices, records)
                calls = strategy.before_process(self, batch)
                if calls and not (yield from self.call(calls)):
                    continue  # the error policy skipped this batch
                if self.loop_points:
                    yield LoopPoint("before-process", batch.number)
                yield from self.process(batch)
                if self.failed:
                    break
                if self.loop_points:
                    yield LoopPoint("after-process", batch.number)
            calls = strategy.after_batch(self, batch)
            # The strategy vouches that its answer to an empty batch holds while nothing changes;
            # only an idle worker keeps what it reads (`processed`) from moving.
            self.quiet = (
                strategy.idle_repeatable and not records and not calls and not self.worker_queue
            )
            if calls:
                yield from self.call(calls)
        # finally { ...; consumer.close(); }
        yield from self.call(strategy.on_close(self))
        yield from self.close()
        yield Stopped("error" if self.failed else "close")

    def process(self, batch: Batch):
        """Process the batch at the strategy's granularity, with its per-record or per-partition
        hook after each piece. With async processing each piece is handed to the worker instead,
        and the hook runs after the hand-off."""
        done = 0
        asynchronous = self.config.processing == "async"
        for piece, hook in self._pieces(batch):
            if asynchronous:
                yield from self.hand_off(piece)
                if hook is not None:
                    yield from self.call(hook())
                    if self.failed:
                        return
                continue
            result = yield Process(piece, batch.number, done, batch.records)
            self._mark_processed(piece, result.records)
            done += result.records
            if result.error:
                self.failed = True  # a poison record: the exception unwinds the loop
                return
            if hook is not None:
                yield from self.call(hook())
                if self.failed:
                    return

    def _pieces(self, batch: Batch):
        """(slices, hook) pieces: the whole batch without a hook (no generator for the common
        case), or one per partition or record with the strategy's hook after it."""
        strategy = self.strategy
        if strategy.granularity == "batch":
            return ((batch.slices, None),)
        if strategy.granularity == "partition":
            return (
                (((p, start, end),), (lambda p=p, end=end: strategy.after_partition(self, p, end)))
                for p, start, end in batch.slices
            )
        return (
            (((p, o, o + 1),), (lambda p=p, o=o: strategy.after_record(self, p, o)))
            for p, start, end in batch.slices
            for o in range(start, end)
        )

    # ---- async processing: a worker thread behind a bounded queue -----------------------------
    def hand_off(self, piece):
        """queue.put(record) for each record: the put blocks while the queue is full, so the
        loop goes on once the last record is in, i.e. once at most `worker_queue_records` are
        unfinished. The worker's timing does not depend on whether the tail still waits in the
        application's hand, so the whole piece is queued at once."""
        for p, start, end in piece:
            self.worker_queue.append([p, start, end, self._tenure])
            self.worker_unfinished += end - start
        yield HandOff(piece)
        capacity = self.config.worker_queue_records
        if self.worker_unfinished > capacity:
            yield AwaitWorker(capacity)

    def on_worker_progress(self, records: int) -> None:
        """The driver: the worker finished the next `records` queued records (FIFO)."""
        self.worker_unfinished -= records
        queue = self.worker_queue
        while records:
            entry = queue[0]
            p, start, end, tenure = entry
            taken = min(records, end - start)
            if tenure == self._tenure:
                self.processed[p] = start + taken
            records -= taken
            if start + taken == end:
                queue.popleft()
            else:
                entry[1] = start + taken

    def queued_records(self, partition: int | None = None) -> int:
        """Records handed to the worker and not finished (of one partition, or all)."""
        if partition is None:
            return self.worker_unfinished
        return sum(end - start for p, start, end, _ in self.worker_queue if p == partition)

    def drain_worker(self, partitions=None):
        """Wait until the worker has finished every queued record of `partitions` (None: all):
        with one FIFO worker, until the last such record is done."""
        behind = 0  # unfinished records queued after the last one of `partitions`
        for p, start, end, _ in reversed(self.worker_queue):
            if partitions is None or p in partitions:
                break
            behind += end - start
        else:
            return
        yield AwaitWorker(behind)

    def _mark_processed(self, piece, records: int) -> None:
        for p, start, end in piece:
            if records <= 0:
                return
            taken = min(records, end - start)
            self.processed[p] = start + taken
            records -= taken

    def held_partitions(self) -> tuple[int, ...]:
        """The partitions the application believes it holds (the driver ends their tenures
        when the process stops)."""
        return self.assignment

    # ---- what strategies read -------------------------------------------------------------------
    def position_offsets(self) -> Offsets:
        return tuple((p, self.positions[p]) for p in self.assignment if p in self.positions)

    def processed_offsets(self, partitions=None) -> Offsets:
        parts = self.assignment if partitions is None else partitions
        return tuple((p, self.processed[p]) for p in sorted(parts) if p in self.processed)

    # ---- KafkaConsumer.poll() -------------------------------------------------------------------
    def poll(self):
        """Callbacks, rejoin if needed, auto commit if due, then records (or an empty batch when
        the poll timeout passes). Order of ConsumerCoordinator.poll() (docs/semantics.md §2)."""
        self.poll_deadline_us = self.now + self.config.poll_timeout_us
        # Whether the strategy's answer to the last empty batch still holds: no hook runs here.
        quiet = self.quiet
        while True:
            if self.completed_async:
                quiet = False
                yield from self.invoke_callbacks()
            rejoining = False
            if self.cooperative:
                if self.group_reply is not None or self.rejoin_needed or self.state != STABLE:
                    quiet = False
                joined = yield from self.cooperative_rejoin()
                if not joined or self.failed:
                    return Batch(0, (), 0)
                # ensureActiveGroup did not complete: no auto commit in this iteration
                rejoining = self.rejoin_needed or self.state != STABLE
            elif self.rejoin_needed or self.state != STABLE:
                quiet = False
                joined = yield from self.join_group()
                if not joined:
                    return Batch(0, (), 0)
            auto_commit = (
                self.strategy.auto_commit and not self.auto_commit_on_timer and not rejoining
            )
            if auto_commit and self.now >= self.next_auto_commit_us:
                # Java classic: auto commit at the start of poll(), async, not awaited
                self.next_auto_commit_us = self.now + self.config.auto_commit_interval_us
                yield from self.commit_async(None, kind="auto")
            if self.close_requested:
                # wakeup() from a shutdown hook: poll() throws WakeupException before returning
                # records, so positions stay at what was processed.
                return Batch(0, (), 0)
            if self.read_log is not None:
                ends = self.read_log(self.assignment)
            else:
                ends = yield ReadLog(self.assignment)
            slices = self._take(ends)
            if slices or self.now >= self.poll_deadline_us:
                return Batch(0, slices, sum(end - start for _, start, end in slices))
            if auto_commit:
                yield Wait(min(self.poll_deadline_us, max(self.next_auto_commit_us, self.now + 1)))
            else:
                yield Wait(self.poll_deadline_us, idle=quiet)

    def repoll_idle(self) -> int | None:
        """The driver, at the timeout of an idle wait (`Wait.idle`): the loop would return the
        empty batch, ask the strategy after it (which asked for nothing after the last one, and
        nothing it reads has changed: no hook ran, no record came, the worker is idle) and poll
        again, finding nothing. When nothing that poll() acts on has changed either, this does
        those steps' bookkeeping and returns the new poll's timeout; else None: the loop must
        run."""
        if (
            self.completed_async
            or self.rejoin_needed
            or self.state != STABLE
            or self.group_reply is not None
            or self.close_requested
            or self.failed
            or self.read_log is None
        ):
            return None
        ends = self.read_log(self.assignment)
        positions, paused = self.positions, self.paused
        for p, end in zip(self.assignment, ends, strict=True):
            if positions[p] < end and p not in paused:
                return None
        self._take(ends)  # the returning poll's read (it moves the fetch cursor on)
        self.last_poll_us = self.now
        self._take(ends)  # the next poll's first read
        self.poll_deadline_us = self.now + self.config.poll_timeout_us
        return self.poll_deadline_us

    def _take(self, ends: tuple[int, ...]) -> tuple[tuple[int, int, int], ...]:
        """Fill up to max.poll.records, draining one partition's fetched data before moving to
        the next, and starting where the last poll stopped (the fetcher's completed-fetch queue)."""
        budget = self.config.max_poll_records
        assignment, positions, paused = self.assignment, self.positions, self.paused
        cursor = self._cursor
        n = len(assignment)
        slices = []
        for i in range(n):
            k = (cursor + i) % n
            p = assignment[k]
            if p in paused:
                continue
            start = positions[p]
            end = min(ends[k], start + budget)
            if end > start:
                slices.append((p, start, end))
                positions[p] = end
                self.observer.delivered(self.now, p, start, end)
                budget -= end - start
                if budget == 0:
                    self._cursor = k if end < ends[k] else (k + 1) % n
                    break
        else:
            self._cursor = (cursor + 1) % max(n, 1)
        return tuple(slices)

    # ---- group membership -----------------------------------------------------------------------
    def join_group(self):
        """ensureActiveGroup, eager: onJoinPrepare once, then JoinGroup and SyncGroup until
        stable."""
        while True:
            if self.needs_join_prepare:
                self.needs_join_prepare = False
                yield from self.on_join_prepare()
            if self.now < self.retry_join_after_us:
                yield Wait(self.retry_join_after_us, wakeable=False)
            yield from self._await_coordinator()
            self.state = PREPARING_REBALANCE
            response = yield Call(self._join_request(), self._request_id())
            if self._join_failed(response):
                if self.failed:
                    return False
                continue
            sync = self._sync_request(response)
            response = yield Call(sync, self._request_id())
            if response.error is None:
                break
            self._sync_failed(response)
            if self.failed:
                return False
        self.state = STABLE
        self.rejoin_needed = False
        self.needs_join_prepare = True
        return (yield from self._assignment_received(response.assignment, response.assignment))

    def cooperative_rejoin(self):
        """ensureActiveGroup with a zero timer, as ConsumerCoordinator.poll() calls it: at most
        one step of the rejoin per poll() iteration, so records keep coming from the partitions
        still owned (none is pending revocation). Returns False when the completed join failed
        to find positions (auto.offset.reset=none)."""
        response, self.group_reply = self.group_reply, None
        if type(response) is JoinResponse:
            if not self._join_failed(response):
                self.group_request = self._request_id()
                yield Send(self._sync_request(response), self.group_request)
        elif response is not None:
            if response.error is not None:
                self._sync_failed(response)
            else:
                self.state = STABLE
                self.rejoin_needed = False
                self.needs_join_prepare = True
                if not (yield from self.on_join_complete(response.assignment)):
                    return False
        if self.failed or self.group_request is not None:
            return True
        if (
            (self.rejoin_needed or self.state != STABLE)
            and self.now >= self.retry_join_after_us
            and self.coordinator_known
        ):
            if self.needs_join_prepare:
                self.needs_join_prepare = False
                yield from self.on_join_prepare()
            self.state = PREPARING_REBALANCE
            self.group_request = self._request_id()
            yield Send(self._join_request(), self.group_request)
        return True

    def on_group_response(self, request_id: int, response) -> None:
        """A cooperative rejoin's JoinGroup or SyncGroup response arrived; poll() acts on it."""
        if request_id == self.group_request:
            self.group_request = None
            self.group_reply = response

    def _subscription(self) -> Subscription:
        """What the leader's assignor learns of this member (ConsumerCoordinator.metadata): the
        partitions it owns (cooperative); `sticky`'s user data carries its last assignment, since
        an eager member has revoked everything before it joins."""
        if self.cooperative:
            return Subscription(self.assignment, self.generation)
        if self.config.assignor == "sticky":
            return Subscription(self.last_assignment, self.generation)
        return Subscription()

    def _join_request(self) -> JoinGroup:
        config = self.config
        return JoinGroup(
            self.member_id,
            config.session_timeout_us,
            config.rebalance_timeout_us,
            self._subscription(),
            self.instance_id,
            self.known_member,
        )

    def _join_failed(self, response) -> bool:
        """JoinGroupResponseHandler: a coordinator error keeps the generation and retries once the
        coordinator is found again; FENCED_INSTANCE_ID is fatal (another instance took this
        group.instance.id); other errors reset the generation (and, for UNKNOWN_MEMBER_ID, the
        member id) before the next JoinGroup. On success, the new generation."""
        if response.error is None:
            self.known_member = True
            self.generation = response.generation
            self.state = COMPLETING_REBALANCE
            return False
        if response.error in COORDINATOR_ERRORS:
            self._coordinator_lost(response.error)
        elif response.error == "FENCED_INSTANCE_ID":
            self.failed = True
        else:
            self._reset_generation(reset_member=response.error == "UNKNOWN_MEMBER_ID")
        return True

    def _sync_request(self, response) -> SyncGroup:
        """The leader runs the assignor over every member's metadata, unless told to skip it
        (a static leader replaced in a stable group); followers send no plan."""
        plan = None
        if response.leader == self.member_id and not response.skip_assignment:
            subscriptions = dict(zip(response.members, response.subscriptions, strict=False))
            assign = ASSIGNORS[self.config.assignor]
            assigned = assign(list(response.members), self.config.partitions, subscriptions)
            plan = tuple(sorted(assigned.items()))
        return SyncGroup(self.member_id, self.generation, plan, self.instance_id)

    def _sync_failed(self, response) -> None:
        """SyncGroupResponseHandler: REBALANCE_IN_PROGRESS just rejoins, and so does a coordinator
        error once the coordinator is found again; FENCED_INSTANCE_ID is fatal; other errors
        reset the generation first."""
        if response.error in COORDINATOR_ERRORS:
            self._coordinator_lost(response.error)
        elif response.error == "FENCED_INSTANCE_ID":
            self.failed = True
        elif response.error != "REBALANCE_IN_PROGRESS":
            self._reset_generation(reset_member=response.error == "UNKNOWN_MEMBER_ID")

    def _assignment_received(self, assigned: tuple[int, ...], added: tuple[int, ...]):
        """The end of onJoinComplete: the new assignment, the auto-commit timer restarted,
        onPartitionsAssigned for the partitions added, then their positions."""
        self.assignment = assigned
        self.last_assignment = assigned
        self._cursor = 0
        # The auto-commit timer restarts at every completed join (onJoinComplete).
        self.next_auto_commit_us = self.now + self.config.auto_commit_interval_us
        self.observer.assigned(self.now, self.generation, self.assignment)
        yield from self.call(self.strategy.on_assigned(self, added))
        return (yield from self.refresh_positions())

    def on_join_prepare(self):
        """ConsumerCoordinator.onJoinPrepare: auto commit (sync, awaited, errors logged); then,
        when the generation was reset, onPartitionsLost for everything. Eager: otherwise
        onPartitionsRevoked and the whole assignment goes. Cooperative: nothing is revoked here
        (docs/semantics.md §2, §8)."""
        if self.strategy.auto_commit and self.generation != NO_GENERATION:
            deadline = self.now + self.config.rebalance_timeout_us
            yield from self.commit_sync(None, kind="auto", deadline_us=deadline)
        lost = self.generation == NO_GENERATION
        if self.assignment and (lost or not self.cooperative):
            yield from self.revoke(lost=lost)

    def on_join_complete(self, assigned: tuple[int, ...]):
        """ConsumerCoordinator.onJoinComplete, COOPERATIVE: onPartitionsRevoked for just the
        partitions no longer assigned (no auto commit first), and if there were any, a rejoin at
        once (the follow-up rebalance); onPartitionsAssigned for just the added ones; kept ones
        keep their positions."""
        revoked = tuple(p for p in self.assignment if p not in assigned)
        added = tuple(p for p in assigned if p not in self.assignment)
        if revoked:
            yield from self.revoke(lost=False, partitions=revoked)
            self.rejoin_needed = True
        return (yield from self._assignment_received(assigned, added))

    def revoke(self, lost: bool, partitions: tuple[int, ...] | None = None):
        """onPartitionsRevoked (or onPartitionsLost) for `partitions`, by default all owned;
        then they go, with their positions."""
        parts = self.assignment if partitions is None else partitions
        if self.loop_points:
            yield LoopPoint("in-revoke", self.batch_number)
        if lost:
            calls = self.strategy.on_lost(self, parts)
        else:
            calls = self.strategy.on_revoked(self, parts)
        yield from self.call(calls)
        self.observer.revoked(self.now, parts, lost)
        if partitions is None:
            self.assignment = ()
            self.positions = {}
            self.processed = {}
            self.paused = set()  # a rebalance does not keep the pause state
            self._tenure += 1  # the worker's progress on them no longer counts as processed
            return
        self.assignment = tuple(p for p in self.assignment if p not in parts)
        for p in parts:
            self.positions.pop(p, None)
            self.processed.pop(p, None)
            self.paused.discard(p)
        for entry in self.worker_queue:
            if entry[0] in parts:
                entry[3] = -1  # queued for the worker under a tenure that just ended

    def refresh_positions(self):
        """updateFetchPositions: committed offsets for partitions with no position, else
        auto.offset.reset. Returns False when the reset policy is `none` (an exception)."""
        need = tuple(p for p in self.assignment if p not in self.positions)
        if not need:
            return True
        response = yield from self._offset_fetch(need)
        missing = []
        for p, offset in zip(need, response.offsets, strict=True):
            if offset is None:
                missing.append(p)
            else:
                self._set_position(p, offset, "committed")
        if not missing:
            return True
        if self.config.auto_offset_reset == "none":
            self.failed = True  # NoOffsetForPartitionException out of poll()
            return False
        if self.config.auto_offset_reset == "latest":
            response = yield Call(ListOffsets(tuple(missing)), self._request_id())
            offsets = response.offsets
        else:
            offsets = (0,) * len(missing)
        for p, offset in zip(missing, offsets, strict=True):
            self._set_position(p, offset, "reset")
        return True

    def _offset_fetch(self, partitions: tuple[int, ...]):
        """OffsetFetch, retried after a coordinator error (fetchCommittedOffsets)."""
        while True:
            response = yield Call(OffsetFetch(partitions), self._request_id())
            if response.error not in COORDINATOR_ERRORS:
                return response
            self._coordinator_lost(response.error)
            yield from self._rediscover_coordinator()

    def _rediscover_coordinator(self):
        """A coordinator error: back off retry.backoff.ms, then wait until the coordinator is
        found again, keeping the generation (AbstractCoordinator.joinGroupIfNeeded, then
        ensureCoordinatorReady before the next request)."""
        yield Wait(self.retry_join_after_us, wakeable=False)
        yield from self._await_coordinator()

    def _coordinator_lost(self, error: str = "NOT_COORDINATOR") -> None:
        """A coordinator error on a group request: the next one waits retry.backoff.ms, and
        NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE or a lost connection mark the coordinator
        unknown (markCoordinatorUnknown); COORDINATOR_LOAD_IN_PROGRESS only backs off."""
        self.retry_join_after_us = self.now + self.config.retry_backoff_us
        if error in COORDINATOR_LOST_ERRORS and self.coordinator_known:
            self.coordinator_known = False
            self.observer.coordinator_unknown(self.now)

    def on_coordinator_found(self) -> list:
        """The driver's lookup found the coordinator (FindCoordinator answered): requests that
        waited for it may go. Returns the requests to send now (none for the Java client: its
        calls wait in `_await_coordinator`)."""
        self.coordinator_known = True
        return []

    def coordinator_lookup_delay_us(self) -> int:
        """When the next FindCoordinator goes after the coordinator was marked unknown (or a
        lookup failed): the heartbeat thread looks every retry.backoff.ms
        (HeartbeatThread.run: lookupCoordinator, then wait(retryBackoffMs))."""
        return self.config.retry_backoff_us

    def on_client_session_timeout(self) -> list:
        """No successful heartbeat for a whole session while the coordinator is unknown: the
        Java heartbeat thread only marks the coordinator unknown (it already is)."""
        return []

    def _await_coordinator(self, deadline_us: int | None = None):
        """ensureCoordinatorReady: block until the coordinator is known again (the driver wakes
        the consumer when its lookup succeeds). Returns False if `deadline_us` passed first."""
        while not self.coordinator_known:
            if deadline_us is not None and self.now >= deadline_us:
                return False
            until = self.now + self.config.session_timeout_us
            yield Wait(until if deadline_us is None else min(until, deadline_us))
        return True

    def _set_position(self, partition: int, offset: int, source: str) -> None:
        self.positions[partition] = offset
        self.observer.position(self.now, partition, offset, source)

    def _reset_generation(self, reset_member: bool) -> None:
        """resetGenerationOnResponseError: forget the generation (and, for UNKNOWN_MEMBER_ID,
        the member id) and rejoin."""
        self.generation = NO_GENERATION
        self.state = UNJOINED
        self.rejoin_needed = True
        if reset_member:
            self.known_member = False
            self._member_resets += 1
            self.member_id = f"{self.member_id.split('~')[0]}~{self._member_resets}"

    def on_rebalance_notice(self) -> None:
        """The heartbeat thread got REBALANCE_IN_PROGRESS: rejoin at the next poll()."""
        self.rejoin_needed = True

    # ---- the heartbeat thread -------------------------------------------------------------------
    def heartbeating(self) -> bool:
        """The heartbeat thread runs only once the member has joined (AbstractCoordinator
        HeartbeatThread: disabled while UNJOINED or PREPARING_REBALANCE)."""
        return self.state in (STABLE, COMPLETING_REBALANCE)

    def poll_timer_expired(self, now: int) -> bool:
        """max.poll.interval.ms passed since the application last left poll(). Inside poll() the
        timer keeps resetting (ConsumerCoordinator.poll -> pollHeartbeat at every iteration)."""
        return not self.in_poll and now - self.last_poll_us >= self.config.rebalance_timeout_us

    def on_poll_timeout(self) -> list[Send] | None:
        """The heartbeat thread found the poll timer expired (HeartbeatThread ->
        handlePollTimeoutExpiry -> maybeLeaveGroup): a dynamic member sends LeaveGroup, then the
        generation and member id are reset (resetGenerationOnLeaveGroup). The assignment stays
        until the next poll(), whose onJoinPrepare calls onPartitionsLost; meanwhile the
        application goes on with its batch, and its commits fail (docs/semantics.md §9). Returns
        the requests to send, or None when the timer has not expired or the thread is idle."""
        if not self.heartbeating() or not self.poll_timer_expired(self.now):
            return None
        sends = []
        if self.instance_id is None:  # a static member sends none (maybeLeaveGroup)
            sends.append(Send(LeaveGroup(self.member_id), self._request_id()))
        self._reset_generation(reset_member=True)
        return sends

    def on_heartbeat_error(self, error: str) -> None:
        """A heartbeat response with an error (AbstractCoordinator.HeartbeatResponseHandler):
        REBALANCE_IN_PROGRESS asks for a rejoin; UNKNOWN_MEMBER_ID (the coordinator removed the
        member) and ILLEGAL_GENERATION reset the generation, UNKNOWN_MEMBER_ID the member id too.
        The member rejoins at its next poll(), where onJoinPrepare calls onPartitionsLost."""
        if not self.heartbeating():
            return  # the heartbeat thread is not running: the response is not for this state
        if error == "REBALANCE_IN_PROGRESS":
            if self.state == STABLE:
                self.on_rebalance_notice()
        elif error in ("UNKNOWN_MEMBER_ID", "ILLEGAL_GENERATION"):
            self._reset_generation(reset_member=error == "UNKNOWN_MEMBER_ID")
        elif error in COORDINATOR_LOST_ERRORS:
            self._coordinator_lost(error)

    # ---- commits --------------------------------------------------------------------------------
    def call(self, calls):
        """Carry out a strategy's client calls. Returns False when a failed commitSync's error
        policy says not to go on with the batch."""
        go_on = True
        for c in calls or ():
            if isinstance(c, CommitSync):
                if self.loop_points:
                    yield LoopPoint("before-commit", self.batch_number)
                result = yield from self.commit_sync(c.offsets)
                if self.loop_points:
                    yield LoopPoint("after-commit", self.batch_number)
                if result.error is not None:
                    go_on = (yield from self._apply_error_policy()) and go_on
            elif isinstance(c, CommitAsync):
                if self.loop_points:
                    yield LoopPoint("before-commit", self.batch_number)
                yield from self.commit_async(c.offsets)
                if self.loop_points:
                    yield LoopPoint("after-commit", self.batch_number)
            elif isinstance(c, Seek):
                self._set_position(c.partition, c.offset, "seek")
            elif isinstance(c, Pause):
                self.paused.update(p for p in c.partitions if p in self.assignment)
            elif isinstance(c, Resume):
                self.paused.difference_update(c.partitions)
            elif isinstance(c, DrainWorker):
                yield from self.drain_worker(c.partitions)
            else:
                raise TypeError(f"a strategy returned {c!r}")
        return go_on

    def _apply_error_policy(self):
        policy = self.error_policy
        if policy == "proceed":
            return True
        if policy == "crash":
            self.failed = True
        elif policy == "seek-back" and self.assignment:
            response = yield from self._offset_fetch(self.assignment)
            for p, offset in zip(self.assignment, response.offsets, strict=True):
                if offset is not None:
                    self._set_position(p, offset, "seek")
        return False

    def _gate(self) -> str | None:
        """The client refuses to send a commit unless its member state is stable (docs/semantics.md
        §6): RebalanceInProgressException mid-rebalance, CommitFailedException when out."""
        if self.state == STABLE:
            return None
        if self.state in (PREPARING_REBALANCE, COMPLETING_REBALANCE):
            return "REBALANCE_IN_PROGRESS"
        return "COMMIT_FAILED"

    def commit_sync(self, offsets: Offsets | None, kind: str = "sync", deadline_us=None):
        """commitSync: retriable errors are retried with exponential backoff (retry.backoff.ms
        doubling up to retry.backoff.max.ms; Kafka's jitter left out) until the deadline, then a
        timeout whose outcome may be unknown; other errors are raised at once."""
        if self.completed_async:
            yield from self.invoke_callbacks()
        offsets = self.position_offsets() if offsets is None else offsets
        self.commit_sequence += 1
        sequence = self.commit_sequence
        if not offsets:
            return CommitResult(offsets, None, sequence)
        config = self.config
        deadline = self.now + config.api_timeout_us if deadline_us is None else deadline_us
        retries = 0
        while True:
            error = self._gate()
            if error is not None:
                break
            if not (yield from self._await_coordinator(deadline)):
                error = "TIMEOUT"  # ensureCoordinatorReady ran out of time
                break
            request_id = self._request_id()
            generation = self.generation
            self.observer.commit_sent(self.now, request_id, generation, offsets, kind)
            request = OffsetCommit(self.member_id, generation, offsets, self.instance_id)
            response = yield Call(request, request_id)
            error = response.error
            self.observer.commit_completed(self.now, request_id, error or "ok")
            if error is None:
                break
            if error in RETRIABLE_COMMIT_ERRORS:
                self._coordinator_lost(error)
                backoff = min(config.retry_backoff_us << retries, config.retry_backoff_max_us)
                retries += 1
                if self.now + backoff < deadline:
                    yield Wait(self.now + backoff, wakeable=False)
                    continue
                error = "TIMEOUT"
                break
            self._on_commit_error(error, generation)
            break
        # Earlier async commits were sent first on the same connection, so their callbacks run
        # before commitSync returns.
        if self.completed_async:
            yield from self.invoke_callbacks()
        return CommitResult(offsets, error, sequence)

    def commit_async(self, offsets: Offsets | None, kind: str = "async"):
        """commitAsync: sent once, never retried; the callback runs in a later poll or commit."""
        offsets = self.position_offsets() if offsets is None else offsets
        self.commit_sequence += 1
        if not offsets:
            return
        error = self._gate()
        if error is not None:
            if kind != "auto":
                self.completed_async.append(CommitResult(offsets, error, self.commit_sequence))
            return
        request_id = self._request_id()
        self.inflight_async[request_id] = (offsets, self.commit_sequence, self.generation, kind)
        self.observer.commit_sent(self.now, request_id, self.generation, offsets, kind)
        request = OffsetCommit(self.member_id, self.generation, offsets, self.instance_id)
        yield Send(request, request_id)

    def on_response(self, request_id: int, response) -> None:
        """An async commit's response arrived (the response handler runs at once; the user's
        callback waits for the consumer thread)."""
        offsets, sequence, generation, kind = self.inflight_async.pop(request_id)
        error = response.error
        self.observer.commit_completed(self.now, request_id, error or "ok")
        if error is not None and error not in RETRIABLE_COMMIT_ERRORS:
            self._on_commit_error(error, generation)
        elif error is not None:
            self._coordinator_lost(error)
        if kind == "auto":
            if error in RETRIABLE_COMMIT_ERRORS:  # re-armed after retry.backoff.ms
                self.next_auto_commit_us = self.now + self.config.retry_backoff_us
        else:
            self.completed_async.append(CommitResult(offsets, error, sequence))

    def _on_commit_error(self, error: str, sent_generation: int) -> None:
        """OffsetCommitResponseHandler (docs/semantics.md §6): REBALANCE_IN_PROGRESS asks for a
        rejoin, keeping the generation. FENCED_INSTANCE_ID is fatal only if the generation it
        was sent with is still the member's: once it changed, another rejoin is under way and
        the commit just fails. ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID reset the generation,
        unless the generation changed while the member is PREPARING_REBALANCE (it is already
        rejoining); in COMPLETING_REBALANCE they reset it too."""
        unchanged = sent_generation == self.generation
        if error == "REBALANCE_IN_PROGRESS":
            self.rejoin_needed = True
        elif error == "FENCED_INSTANCE_ID":
            if unchanged:
                self.failed = True  # FencedInstanceIdException: fatal, the loop unwinds
        elif error in ("ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID"):
            if unchanged or self.state != PREPARING_REBALANCE:
                self._reset_generation(reset_member=error == "UNKNOWN_MEMBER_ID")

    def invoke_callbacks(self):
        while self.completed_async:
            result = self.completed_async.popleft()
            yield from self.call(self.strategy.on_commit_result(self, result))

    # ---- close() --------------------------------------------------------------------------------
    def close(self):
        """KafkaConsumer.close, in ConsumerCoordinator.close's order (docs/semantics.md §2, §6,
        §10):
        1. the auto commit, sync, errors swallowed (maybeAutoCommitOffsetsSync): like every
           commitSync it first runs the callbacks of async commits already completed, and the
           ones sent before it complete before it on the same connection, so their callbacks run;
           when the member is not stable it fails in the client's gate;
        2. onPartitionsRevoked, or onPartitionsLost when the generation was reset or a rebalance
           is under way (onLeavePrepare);
        3. LeaveGroup, only from a dynamic member that is still in a group and knows its
           coordinator (maybeLeaveGroup): a static member's partitions wait for its session;
        4. a wait for the requests still in flight, up to the close timeout
           (awaitPendingRequests): their callbacks never run."""
        deadline = self.now + self.config.close_timeout_us
        if self.strategy.auto_commit:
            yield from self.commit_sync(None, kind="auto", deadline_us=deadline)
        joined = self.state != UNJOINED
        if self.assignment:
            yield from self.revoke(lost=self.state != STABLE)
        if self.instance_id is None and joined and self.coordinator_known:
            yield Send(LeaveGroup(self.member_id), self._request_id())
        self.state = UNJOINED
        while self.inflight_async and self.now < deadline:
            yield Wait(deadline)

    def _request_id(self) -> int:
        self._requests += 1
        return (self.instance << 32) | self._requests
