"""One librdkafka consumer instance (classic protocol, eager rebalancing): what differs from the
Java classic consumer it subclasses (docs/semantics.md; docs/model.md). `LibrdkafkaConsumer` holds
the state and composes one part per concern (`sim.model.librdkafka_classic`):

- the consumer queue and the offset store: offsets are *stored* per partition, at hand-over to the
  application (enable.auto.offset.store, the default) or by the application after processing
  (`auto-store-after-process`); consume(n) waits until n messages are there or its timeout
  passes: `librdkafka_classic.offset_store`;
- the commit operations: the application's commit() and the background auto-commit timer
  (rdkafka_cgrp.c rd_kafka_cgrp_offset_commit_tmr_cb) enqueue operations the client's thread
  serves, retries, and defers while the coordinator is unknown: `librdkafka_classic.commit_ops`;
- the rebalance notices, the revoke with its commit, close(): `librdkafka_classic.rebalance`;
- without a rebalance callback, the thread's own unassign and rejoin:
  `librdkafka_classic.thread_rejoin`.

Sans-IO like its base: retries and deferrals come back to the driver as `Later` requests, and the
background thread's requests as lists of commands from its handlers. It owns the state librdkafka
adds (`LibrdkafkaConsumer.__init__`); it never reads a clock.
"""

from __future__ import annotations

from collections import deque

from .commands import CommitResult, Later
from .consumer import Consumer
from .librdkafka_classic.commit_ops import CommitOperations
from .librdkafka_classic.offset_store import OffsetStore
from .librdkafka_classic.rebalance import Rebalance, _NoRebalanceCallback
from .librdkafka_classic.thread_rejoin import ThreadRejoin
from .messages import Offsets


class LibrdkafkaConsumer(OffsetStore, CommitOperations, Rebalance, ThreadRejoin, Consumer):
    auto_commit_on_timer = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.config.rebalance_callback:
            self.strategy = _NoRebalanceCallback(self.strategy)
        self.stored: dict[int, int] = {}  # rktp_stored_pos: the next offset to commit
        self.committed: dict[int, int] = {}  # rktp_committed_pos, as the client last knew it
        self.open_ops = 0  # rk_consumer.wait_commit_cnt
        # The application's commit() calls, not yet served by the client's thread.
        self.ops_queue: deque[tuple[Offsets | None, str, int]] = deque()
        self.background_join = False  # no rebalance callback: the thread rejoins by itself
        self._closing = False
        # The consumer queue: fetched, not yet handed over, as [partition, start, end] (§2a).
        self._fetched: deque[list[int]] = deque()
        self._fetch_pos: dict[int, int] = {}
        self._fetch_next = 0
        self.fetch_race = None  # n -> how many partitions the first fetch pass finds started
        self.lookup_race = None  # () -> the share of a held Fetch a FindCoordinator waits for
        self._query_at_once = False  # the coordinator was just marked dead: query it now
        self._sync_results: dict[int, CommitResult] = {}  # for the application's sync commits
        self._laters: list[Later] = []  # timers asked for by the last handler
        self.unreported_revoke: list[tuple[tuple[int, ...], bool]] = []  # see _thread_revoke
        self._fetching: tuple[int, ...] = ()  # the thread's OffsetFetch of a new assignment
        self._resetting: tuple[int, ...] = ()  # ... and its ListOffsets
        self.needs_offsets = False  # that OffsetFetch waits for the coordinator
