"""One Java consumer instance (classic protocol, eager or cooperative rebalancing, dynamic or static
membership): the poll loop, its position, the commit calls and the group membership as the client
sees it.

Everything the consumer decides is in `Consumer`; everything that takes time is a command yielded
to the driver (`sim.model.commands`). The driver sets `now` before every resumption. `Consumer`
holds the state and composes one part per concern (`sim.model.java_classic`):

- the application's loop, `run()`, written once for every strategy: `java_classic.application`;
  with `processing = "async"` it hands each batch to a worker thread behind a bounded queue
  (`java_classic.worker`), and the driver reports the worker's progress;
- KafkaConsumer.poll() and the positions: `java_classic.fetch`;
- the group membership (JoinGroup, SyncGroup, close()): `java_classic.membership`;
- the rebalance listener handling (onJoinPrepare, onJoinComplete, revoke):
  `java_classic.rebalance_listener`;
- the commit paths (commitSync's retries, commitAsync's callbacks, the commit gate):
  `java_classic.commits`;
- the heartbeat thread's decisions, called by the driver between the loop's steps, and the
  coordinator's discovery: `java_classic.heartbeat`.

The client rules follow the Java client's ConsumerCoordinator (docs/semantics.md §2, §6, §8, §9).
A crash is the driver dropping the generator: no `finally` runs, as when a process dies.

The protocol follows the assignor, as in the Java client (the highest protocol every configured
assignor supports): `cooperative-sticky` rebalances cooperatively. An eager rejoin blocks poll()
until the group is stable; a cooperative rejoin advances one step per poll() iteration (JoinGroup
and SyncGroup are sent, their responses handled at the next iteration) while poll() goes on
returning records of the partitions still owned.

It owns the consumer's whole state (`Consumer.__init__`); it never reads a clock, sleeps or
performs I/O.
"""

from __future__ import annotations

from collections import deque

from .assignors import COOPERATIVE_ASSIGNORS
from .client_config import ClientConfig
from .commands import CommitResult
from .java_classic.application import ApplicationLoop
from .java_classic.commits import CommitPaths
from .java_classic.fetch import PollAndPositions
from .java_classic.heartbeat import HeartbeatThread
from .java_classic.membership import GroupMembership
from .java_classic.rebalance_listener import RebalanceListener
from .java_classic.state import (
    COMPLETING_REBALANCE,
    NO_GENERATION,
    PREPARING_REBALANCE,
    STABLE,
    UNJOINED,
    NullObserver,
)
from .java_classic.worker import AsyncWorker
from .messages import Offsets

__all__ = [
    "COMPLETING_REBALANCE",
    "NO_GENERATION",
    "PREPARING_REBALANCE",
    "STABLE",
    "UNJOINED",
    "ClientConfig",
    "Consumer",
    "NullObserver",
]


class Consumer(
    ApplicationLoop,
    AsyncWorker,
    PollAndPositions,
    GroupMembership,
    RebalanceListener,
    CommitPaths,
    HeartbeatThread,
):
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
    # poll() waits for records, and an async commit's response does not wake it (the Java
    # consumer group client's; the classic client's network poll returns on any response).
    awaiting_fetch = False
    # Whether OffsetFetch asks for stable offsets (UNSTABLE_OFFSET_COMMIT while a transaction's
    # offsets are pending): the Java consumer always; librdkafka with isolation.level
    # read_committed only (the driver sets it for the transactional strategy).
    require_stable = True

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
        # Async commits made while the coordinator was unknown, waiting for its lookup, as
        # (offsets, sequence, kind); offsets None: the consumed positions when sent.
        self.pending_async: deque[tuple[Offsets | None, int, str]] = deque()
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
        self._cursor = 0  # the place in the fetch order where the next poll starts
        self.topic_hash: int | None = None  # the topic name's hashCode (drawn by the engine)
        self._fetch_order: tuple[tuple[int, ...], tuple[int, ...]] = ((), ())
        self._requests = 0
        self._member_resets = 0

    def _request_id(self) -> int:
        self._requests += 1
        return (self.instance << 32) | self._requests
