"""One librdkafka consumer instance (classic protocol, eager rebalancing): what differs from the
Java classic consumer it subclasses (docs/semantics.md; docs/model.md).

- Offsets are *stored* per partition: at hand-over to the application (enable.auto.offset.store,
  the default) or by the application after processing (`auto-store-after-process`).
- Auto commit is not inside poll(): a background timer (the driver calls `auto_commit_tick` every
  auto.commit.interval.ms from the consumer's creation) commits, while the group is steady, each
  stored offset above the committed one (rdkafka_cgrp.c rd_kafka_cgrp_offset_commit_tmr_cb;
  rdkafka_partition.c rd_kafka_topic_partition_list_set_offsets).
- The application's commit() only enqueues an operation for the client's thread
  (rdkafka_offset.c rd_kafka_commit0); the thread serves it when the application next blocks
  (`serve_ops`), and a no-argument commit reads the stored offsets then.
- Every commit, async ones too, is one operation: the request is retried up to twice on retriable
  errors, a coordinator error marks the coordinator dead (rd_kafka_cgrp_coord_dead), and a commit
  made with no coordinator known, or still failing with a coordinator error, is deferred until the
  coordinator is back, for at most session.timeout.ms, then sent with the generation current
  *then* (rdkafka_request.c rd_kafka_handle_OffsetCommit; rdkafka_cgrp.c
  rd_kafka_cgrp_offsets_commit, rd_kafka_cgrp_op_handle_OffsetCommit,
  rd_kafka_cgrp_defer_offset_commit).
- On revoke and close the stored offsets of the removed partitions are committed, with
  enable.auto.commit and unless the assignment was lost; the rejoin and close's LeaveGroup wait for
  every outstanding commit (rdkafka_assignment.c rd_kafka_assignment_serve_removals,
  rd_kafka_assignment_serve).
- Without a rebalance callback (`rebalance_callback = False`) the client's thread unassigns as soon
  as it hears of the rebalance, mid-batch, and rejoins by itself (rdkafka_cgrp.c
  rd_kafka_rebalance_op); with one, it pauses and the application revokes at its next poll.
- consume(n) waits until n messages are there or its timeout passes; each fetch starts at a
  rotating partition (rdkafka_queue.c rd_kafka_q_serve_rkmessages; rdkafka_fetcher.c
  rkb_active_toppar_next).

Sans-IO like its base: retries and deferrals come back to the driver as `Later` requests, and the
background thread's requests as lists of commands from its handlers.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .commands import CommitResult, Later, Send, Wait
from .consumer import (
    COMPLETING_REBALANCE,
    NO_GENERATION,
    PREPARING_REBALANCE,
    STABLE,
    UNJOINED,
    Consumer,
)
from .messages import (
    COORDINATOR_ERRORS,
    RETRIABLE_COMMIT_ERRORS,
    JoinResponse,
    LeaveGroup,
    ListOffsets,
    ListOffsetsResponse,
    OffsetCommit,
    OffsetFetch,
    Offsets,
    SyncResponse,
)

REQUEST_RETRIES = 2  # RD_KAFKA_REQUEST_DEFAULT_RETRIES (rdkafka_proto.h)
# Errors after which the commit waits for the coordinator (rd_kafka_cgrp_op_handle_OffsetCommit);
# with a lost connection (UNKNOWN, librdkafka's __TRANSPORT) they also mark the coordinator dead
# (rd_kafka_handle_OffsetCommit: ACTION_REFRESH | ACTION_SPECIAL).
DEFERRED_COMMIT_ERRORS = frozenset({"NOT_COORDINATOR", "COORDINATOR_NOT_AVAILABLE", "UNKNOWN"})
# rd_kafka_cgrp_serve re-queries the coordinator every 500 ms in state QUERY_COORD; the
# FindCoordinator sent at once by rd_kafka_cgrp_coord_dead waits behind a held Fetch on the same
# broker connection (fetch.wait.max.ms, 500 ms) when the consumer is idle.
COORD_QUERY_INTERVAL_US = 500_000


@dataclass
class CommitOp:
    """One RD_KAFKA_OP_OFFSET_COMMIT: its offsets, its current request, and how far it got."""

    offsets: Offsets
    kind: str  # "auto" | "async" | "sync"
    sequence: int
    request: OffsetCommit | None = None
    retries: int = 0
    deferred: bool = False  # deferred once until the coordinator is back (ts_timeout set)
    parked: str | None = None  # "retry" | "deferred": waiting for the coordinator
    result: CommitResult | None = None


class _NoRebalanceCallback:
    """The application registered no rebalance callback: nothing of the strategy runs on
    assign, revoke or lost (a C application without rebalance_cb)."""

    def __init__(self, strategy):
        self._strategy = strategy

    def __getattr__(self, name):
        return getattr(self._strategy, name)

    def on_assigned(self, consumer, partitions):
        return []

    def on_revoked(self, consumer, partitions):
        return []

    def on_lost(self, consumer, partitions):
        return []


class LibrdkafkaConsumer(Consumer):
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
        self._ops: dict[int, CommitOp] = {}  # unfinished operations by sequence
        self._sync_results: dict[int, CommitResult] = {}  # for the application's sync commits
        self._laters: list[Later] = []  # timers asked for by the last handler
        self.unreported_revoke: list[tuple[tuple[int, ...], bool]] = []  # see _thread_revoke
        self._fetching: tuple[int, ...] = ()  # the thread's OffsetFetch of a new assignment
        self._resetting: tuple[int, ...] = ()  # ... and its ListOffsets
        self.needs_offsets = False  # that OffsetFetch waits for the coordinator

    # ---- the offset store -----------------------------------------------------------------------
    def _take(self, ends):
        """consume(n) with n = max.poll.records (poll() is n = 1): it returns once n messages are
        there, or at its timeout with fewer (rd_kafka_q_serve_rkmessages). With the default
        enable.auto.offset.store every offset handed over is stored at once."""
        self._fetch(ends)
        budget = self.config.max_poll_records
        queued = sum(end - start for _, start, end in self._fetched)
        if queued < budget and self.now < self.poll_deadline_us:
            return ()
        slices = []
        fetched, positions = self._fetched, self.positions
        while budget and fetched:
            segment = fetched[0]
            p, start, end = segment
            taken = min(budget, end - start)
            slices.append((p, start, start + taken))
            positions[p] = start + taken
            self.observer.delivered(self.now, p, start, start + taken)
            budget -= taken
            if start + taken == end:
                fetched.popleft()
            else:
                segment[1] = start + taken
        if self.strategy.auto_offset_store:
            for p, _, end in slices:
                self.stored[p] = end
        return tuple(slices)

    def _fetch(self, ends) -> None:
        """One fetch response into the consumer queue: every fetchable (assigned, unpaused)
        partition's records past its fetch position, starting at a rotating partition that moves
        on by one per fetch (rkb_active_toppar_next). A paused partition's queued messages are
        dropped and its fetch position goes back to the application's (rd_kafka_toppar_pause's
        version barrier)."""
        assignment, paused = self.assignment, self.paused
        if paused:
            self._purge(paused)
        n = len(assignment)
        got = False
        for i in range(n):
            k = (self._fetch_next + i) % n
            p = assignment[k]
            if p in paused:
                continue
            start = self._fetch_pos.get(p, self.positions[p])
            if ends[k] > start:
                self._fetched.append([p, start, ends[k]])
                self._fetch_pos[p] = ends[k]
                got = True
        if got:
            self._fetch_next = (self._fetch_next + 1) % n

    def _fetch_from_last(self) -> None:
        """A new assignment's fetchers start in reverse: rd_kafka_assignment_serve_pending scans
        its pending list backwards, and the broker thread adds the partitions it finds started
        to its empty fetch list in partition order (its toppar list), the round robin starting
        at the first added (rd_kafka_broker_active_toppar_add); the rest join after them. How
        many of the highest partitions its first pass finds started (1..n) is a race between
        the two threads: the driver draws it (`fetch_race`); by hand, 1."""
        n = len(self.assignment)
        started = self.fetch_race(n) if self.fetch_race is not None and n > 1 else 1
        self._fetch_next = n - started if n else 0

    def _assignment_received(self, assigned, added):
        result = yield from super()._assignment_received(assigned, added)
        self._fetch_from_last()
        return result

    def _purge(self, partitions) -> None:
        self._fetched = deque(s for s in self._fetched if s[0] not in partitions)
        for p in partitions:
            self._fetch_pos.pop(p, None)

    def _mark_processed(self, piece, records: int) -> None:
        """rd_kafka_offsets_store(offset + 1) after each processed record, when the application
        stores its offsets itself; a partition no longer assigned is refused (__STATE)."""
        super()._mark_processed(piece, records)
        if not self.strategy.auto_offset_store:
            for p, _, _ in piece:
                if p in self.processed and p in self.assignment:
                    self.stored[p] = self.processed[p]

    def _stored_now(self, progress) -> dict[int, int]:
        """The stored offsets now; `progress` = (slices, records finished) of a batch being
        processed, whose finished records the application has stored one by one."""
        if progress is None or self.strategy.auto_offset_store:
            return self.stored
        stored = dict(self.stored)
        slices, records = progress
        for p, start, end in slices:
            if records <= 0:
                break
            taken = min(records, end - start)
            if p in self.assignment:
                stored[p] = start + taken
            records -= taken
        return stored

    def _set_position(self, partition: int, offset: int, source: str) -> None:
        if source == "committed":  # the OffsetFetch answer updates rktp_committed_pos
            self.committed[partition] = offset
        self._purge((partition,))  # a new position: queued messages are outdated
        super()._set_position(partition, offset, source)

    def _commit_offsets(self, stored: dict[int, int]) -> Offsets:
        """The stored offsets above the committed ones (rd_kafka_topic_partition_list_set_offsets
        with from_rktp: others are left out of the commit)."""
        committed = self.committed
        return tuple(
            (p, stored[p])
            for p in sorted(self.assignment)
            if p in stored and stored[p] > committed.get(p, -1)
        )

    # ---- the background timer -------------------------------------------------------------------
    def auto_commit_tick(self, progress=None) -> list | None:
        """rd_kafka_cgrp_offset_commit_tmr_cb: nothing unless auto commit is on and the member is
        steady with its assignment intact; else the stored offsets above the committed ones."""
        if not self.strategy.auto_commit or self.state != STABLE or self._rebalancing():
            return None
        if self.generation == NO_GENERATION:
            return None  # the assignment is lost: nothing is committed
        offsets = self._commit_offsets(self._stored_now(progress))
        if not offsets:
            return None
        send = self._start_op(offsets, "auto")
        return ([send] if send is not None else []) + self.take_laters()

    # ---- the commit operation -------------------------------------------------------------------
    def serve_ops(self) -> list[Send]:
        """The client's thread serves the application's queued commit() operations (the driver
        calls it when the application blocks: it processes, waits or awaits a response).
        A no-argument commit reads the stored offsets now (rd_kafka_cgrp_offsets_commit with
        set_offsets)."""
        sends = []
        while self.ops_queue:
            offsets, kind, sequence = self.ops_queue.popleft()
            if offsets is None:
                offsets = self._commit_offsets(self.stored)
            if not offsets:  # __NO_OFFSET: nothing is sent
                if kind == "sync":
                    self._sync_results[sequence] = CommitResult(offsets, None, sequence)
                continue
            send = self._start_op(offsets, kind, sequence)
            if send is not None:
                sends.append(send)
        return sends

    def _start_op(self, offsets: Offsets, kind: str, sequence: int | None = None) -> Send | None:
        if sequence is None:
            self.commit_sequence += 1
            sequence = self.commit_sequence
        self.open_ops += 1
        op = CommitOp(offsets, kind, sequence)
        self._ops[sequence] = op
        return self._send_op(op, fresh=True)

    def _send_op(self, op: CommitOp, fresh: bool) -> Send | None:
        """A fresh request carries the member id and generation current now; a request retry
        re-sends the same bytes (rd_kafka_buf_retry). With no coordinator known a fresh commit
        is deferred before any request is sent, and a retry waits for the connection."""
        if not self.coordinator_known:
            if not fresh:
                self._park(op, "retry")
            elif not op.deferred:
                self._defer(op)
            else:
                self._finish(op, "WAIT_COORD")  # deferred once already (__WAIT_COORD)
            return None
        if fresh:  # with group.instance.id for a static member (rd_kafka_OffsetCommitRequest)
            op.request = OffsetCommit(self.member_id, self.generation, op.offsets, self.instance_id)
        request_id = self._request_id()
        self.inflight_async[request_id] = op
        self.observer.commit_sent(self.now, request_id, op.request.generation, op.offsets, op.kind)
        return Send(op.request, request_id)

    def _defer(self, op: CommitOp) -> None:
        """rd_kafka_cgrp_defer_offset_commit: wait for the coordinator, once, for at most
        session.timeout.ms (rd_kafka_cgrp_timeout_scan fails it then with __WAIT_COORD)."""
        op.deferred = True
        op.retries = 0
        self._park(op, "deferred")
        self._laters.append(Later(self.now + self.config.session_timeout_us, (op, "timeout")))

    def _park(self, op: CommitOp, why: str) -> None:
        op.parked = why
        # Parked under a key no request id takes, so the driver still sees a commit pending.
        self.inflight_async[-op.sequence] = op

    def take_laters(self) -> list[Later]:
        """Timers the last step asked for (returned to the driver with its requests)."""
        laters, self._laters = self._laters, []
        return laters

    def on_response(self, request_id: int, response) -> list:
        """rd_kafka_handle_OffsetCommit, then rd_kafka_cgrp_op_handle_OffsetCommit. Returns the
        commands of the client's thread (requests to send, timers to set)."""
        op = self.inflight_async.pop(request_id)
        error = response.error
        self.observer.commit_completed(self.now, request_id, error or "ok")
        config = self.config
        out: list = []
        if error in DEFERRED_COMMIT_ERRORS:
            self._coordinator_lost(error)
        if error in RETRIABLE_COMMIT_ERRORS and op.retries < REQUEST_RETRIES:
            op.retries += 1  # backoff retry.backoff.ms doubling per retry; jitter left out
            backoff = min(config.retry_backoff_us << (op.retries - 1), config.retry_backoff_max_us)
            self.inflight_async[-op.sequence] = op
            out.append(Later(self.now + backoff, (op, "retry")))
        elif error in DEFERRED_COMMIT_ERRORS and not op.deferred:
            self._defer(op)  # until the coordinator marked dead above is found again
        else:
            if error is None:
                for p, offset in op.offsets:
                    if p in self.assignment:
                        self.committed[p] = offset
            else:
                out.extend(self._on_commit_error(error, op.request.generation) or ())
            self._finish(op, error)
            out.extend(self._maybe_join())
        return out + self.take_laters()

    def on_timer(self, key) -> list:
        """A `Later` came due: retry the request, or give up a deferral that outlived
        session.timeout.ms."""
        op, action = key
        if action == "join":
            return self._maybe_join()
        if action == "offsets":
            waiting = self.background_join and self.group_request is None
            return self._fetch_positions() if waiting and self.coordinator_known else []
        if op.result is not None:
            return []
        if action == "timeout":
            if op.parked == "deferred":
                del self.inflight_async[-op.sequence]
                self._finish(op, "WAIT_COORD")
                return self._maybe_join()
            return []
        del self.inflight_async[-op.sequence]
        send = self._send_op(op, fresh=False)
        return ([send] if send is not None else []) + self.take_laters()

    def _finish(self, op: CommitOp, error: str | None) -> None:
        self.open_ops -= 1
        del self._ops[op.sequence]
        op.parked = None
        op.result = CommitResult(op.offsets, error, op.sequence)
        if op.kind == "async":  # offset_commit_cb, served by the application's next poll
            self.completed_async.append(op.result)
        elif op.kind == "sync":
            self._sync_results[op.sequence] = op.result

    # ---- the coordinator ------------------------------------------------------------------------
    def _coordinator_lost(self, error: str = "NOT_COORDINATOR") -> None:
        """rd_kafka_cgrp_coord_dead for NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE and a lost
        connection; other coordinator errors only back off."""
        self.retry_join_after_us = self.now + self.config.retry_backoff_us
        if error in DEFERRED_COMMIT_ERRORS and self.coordinator_known:
            self.coordinator_known = False
            self.observer.coordinator_unknown(self.now)

    def coordinator_lookup_delay_us(self) -> int:
        return COORD_QUERY_INTERVAL_US

    def on_coordinator_found(self) -> list:
        """The cgrp is UP again: request retries go out, and deferred commits are served anew
        (rkcg_wait_coord_q concatenated onto the ops queue), in operation order; a rejoin
        waiting for the coordinator goes on."""
        self.coordinator_known = True
        out: list = []
        for key in sorted(k for k in self.inflight_async if k < 0):
            op = self.inflight_async[key]
            if op.parked is None:
                continue  # a retry's backoff is still running: its timer sends it
            del self.inflight_async[key]
            why, op.parked = op.parked, None
            send = self._send_op(op, fresh=why == "deferred")
            if send is not None:
                out.append(send)
        if self.needs_offsets and self.group_request is None:
            self.needs_offsets = False
            out += self._fetch_positions()
        return out + self._maybe_join() + self.take_laters()

    def on_client_session_timeout(self) -> list:
        """rd_kafka_cgrp_session_timeout_check: no successful heartbeat for session.timeout.ms:
        the member id is reset and the assignment is lost (revoked without a commit)."""
        if self.state != STABLE:
            return []
        self._reset_generation(reset_member=True)
        return self._thread_revoke(lost=True)

    # ---- commit errors --------------------------------------------------------------------------
    def _on_commit_error(self, error: str, sent_generation: int) -> list:
        """rd_kafka_cgrp_op_handle_OffsetCommit: UNKNOWN_MEMBER_ID forgets the member id and
        rejoins with the assignment lost; ILLEGAL_GENERATION does the same keeping the member id,
        unless a rebalance is in progress (a new generation may be on its way). FENCED_INSTANCE_ID
        is fatal (rd_kafka_handle_OffsetCommit: ACTION_FATAL, the application's next poll gets the
        fatal error and closes). Other errors, REBALANCE_IN_PROGRESS included, only fail the
        commit."""
        if error == "FENCED_INSTANCE_ID":
            self.failed = True
        elif error == "UNKNOWN_MEMBER_ID" or (
            error == "ILLEGAL_GENERATION" and not self._rebalancing()
        ):
            steady = not self._rebalancing()
            self._reset_generation(reset_member=error == "UNKNOWN_MEMBER_ID")
            if steady:
                return self._thread_revoke(lost=True)
        return []

    def _rebalancing(self) -> bool:
        """RD_KAFKA_CGRP_REBALANCING: from the rebalance notice until the join completes."""
        return (
            self.rejoin_needed
            or self.background_join
            or self.state in (PREPARING_REBALANCE, COMPLETING_REBALANCE)
        )

    def _await(self, done):
        """Block the application until `done()` (woken by each commit response)."""
        while not done():
            yield Wait(self.now + self.config.session_timeout_us)

    def _await_commits(self):
        yield from self._await(lambda: self.open_ops == 0)

    # ---- the application's commit calls ---------------------------------------------------------
    def commit_sync(self, offsets: Offsets | None, kind: str = "sync", deadline_us=None):
        """rd_kafka_commit(async=0): the operation is enqueued and awaited until its final result
        (no deadline: `deadline_us` only keeps the base signature); the client's thread serves it
        at once, since the application blocks. No offsets: the stored ones above the committed
        ones, read when it is served."""
        self.commit_sequence += 1
        sequence = self.commit_sequence
        self.ops_queue.append((offsets, "sync", sequence))
        yield from self._await(lambda: sequence in self._sync_results)
        return self._sync_results.pop(sequence)

    def commit_async(self, offsets: Offsets | None, kind: str = "async"):
        """rd_kafka_commit(async=1): only enqueues the operation for the client's thread
        (rd_kafka_commit0) and returns; retried and deferred like any commit once served (unlike
        Java's commitAsync); the result reaches offset_commit_cb at a later poll."""
        self.commit_sequence += 1
        self.ops_queue.append((offsets, kind, self.commit_sequence))
        return
        yield  # a generator, like the base's

    # ---- rebalances and close -------------------------------------------------------------------
    def on_rebalance_notice(self) -> list:
        """The heartbeat response said REBALANCE_IN_PROGRESS. With a rebalance callback the
        partitions are paused and the application revokes at its next poll; without one, the
        client's thread unassigns now and rejoins by itself (rd_kafka_rebalance_op)."""
        stable = self.state == STABLE and not self._rebalancing()
        super().on_rebalance_notice()
        if stable and not self.config.rebalance_callback:
            return self._thread_revoke(lost=False)
        return []

    def on_heartbeat_error(self, error: str) -> list:
        """rd_kafka_cgrp_handle_Heartbeat: UNKNOWN_MEMBER_ID and ILLEGAL_GENERATION lose the
        assignment and rejoin (without a callback the thread unassigns now)."""
        stable = self.state == STABLE and not self._rebalancing()
        super().on_heartbeat_error(error)
        if stable and error in ("UNKNOWN_MEMBER_ID", "ILLEGAL_GENERATION"):
            return self._thread_revoke(lost=True)
        return []

    def on_poll_timeout(self) -> list[Send] | None:
        """max.poll.interval.ms exceeded (rd_kafka_cgrp_max_poll_interval_check_tmr_cb): leave
        (dynamic members), forget the member id, revoke with the assignment lost; the rejoin
        waits for the application's next poll."""
        stable = self.state == STABLE and not self._rebalancing()
        sends = super().on_poll_timeout()
        if sends is not None and stable:
            sends += self._thread_revoke(lost=True, rejoin=False)
        return sends

    def _thread_revoke(self, lost: bool, rejoin: bool = True) -> list:
        """No rebalance callback: the client's thread unassigns at once, mid-batch if the
        application is processing one: the removed partitions' stored offsets are committed
        (enable.auto.commit, not lost) and reset, and the thread rejoins once no commit is
        outstanding (rd_kafka_rebalance_op -> rd_kafka_cgrp_unassign; rd_kafka_assignment_serve;
        rd_kafka_cgrp_unassign_done). With a callback nothing happens here."""
        if self.config.rebalance_callback or self._closing:
            return []
        out: list = []
        if self.assignment:
            parts = self.assignment
            # The application, told nothing, goes on with the batch in hand: for the ledger
            # its tenure ends when it next polls (`poll`), like a zombie's.
            self.unreported_revoke.append((parts, lost))
            removed = tuple(sorted((p, o) for p, o in self.stored.items() if p in parts))
            self.stored, self.committed = {}, {}
            self.assignment, self.positions, self.processed, self.paused = (), {}, {}, set()
            self._purge(parts)
            self._tenure += 1
            for entry in self.worker_queue:
                entry[3] = -1
            if removed and not lost and self.strategy.auto_commit:
                send = self._start_op(removed, "auto")
                if send is not None:
                    out.append(send)
        self.background_join = rejoin
        self.needs_join_prepare = not rejoin
        return out + self._maybe_join() + self.take_laters()

    def _maybe_join(self) -> list:
        """The thread's rejoin: once no commit is outstanding and the coordinator is known
        (rd_kafka_assignment_serve signals the unassign done at wait_commit_cnt == 0)."""
        if (
            not self.background_join
            or self.group_request is not None
            or self.open_ops
            or not self.coordinator_known
            or self._closing
            or self.failed
        ):
            return []
        if self.now < self.retry_join_after_us:
            return [Later(self.retry_join_after_us, (None, "join"))]
        self.state = PREPARING_REBALANCE
        self.group_request = self._request_id()
        return [Send(self._join_request(), self.group_request)]

    def on_group_response(self, request_id: int, response) -> list:
        """The thread's rejoin, step by step: JoinGroup, SyncGroup, then the new assignment's
        committed offsets (OffsetFetch) or auto.offset.reset (ListOffsets), all without the
        application (rd_kafka_cgrp_handle_JoinGroup, _SyncGroup; rd_kafka_assignment_serve)."""
        if request_id != self.group_request:
            return []
        self.group_request = None
        if self._closing:
            return []
        kind = type(response)
        if kind is JoinResponse:
            if self._join_failed(response):
                return self._join_again()
            self.group_request = self._request_id()
            return [Send(self._sync_request(response), self.group_request)]
        if kind is SyncResponse:
            if response.error is not None:
                self._sync_failed(response)
                return self._join_again()
            self.state = STABLE
            self.rejoin_needed = False
            self.needs_join_prepare = True
            self.assignment = self.last_assignment = response.assignment
            self._fetch_from_last()
            self._report_revoke(again=True)
            self.observer.assigned(self.now, self.generation, self.assignment)
            return self._fetch_positions()
        if kind is ListOffsetsResponse:
            for p, offset in zip(self._resetting, response.offsets, strict=True):
                self._set_position(p, offset, "reset")
            self.background_join = False
            return []
        # OffsetFetchResponse
        if response.error in COORDINATOR_ERRORS:
            self._coordinator_lost(response.error)
            self.needs_offsets = not self.coordinator_known  # fetched again once found
            return [Later(self.retry_join_after_us, (None, "offsets"))]
        missing = []
        for p, offset in zip(self._fetching, response.offsets, strict=True):
            if offset is None:
                missing.append(p)
            else:
                self._set_position(p, offset, "committed")
        return self._reset_positions(tuple(missing))

    def _join_again(self) -> list:
        if self.failed:
            self.background_join = False
            return []
        return self._maybe_join()

    def _fetch_positions(self) -> list:
        self._fetching = tuple(p for p in self.assignment if p not in self.positions)
        if not self._fetching:
            self.background_join = False
            return []
        self.group_request = self._request_id()
        return [Send(OffsetFetch(self._fetching), self.group_request)]

    def _reset_positions(self, missing: tuple[int, ...]) -> list:
        if not missing:
            self.background_join = False
            return []
        reset = self.config.auto_offset_reset
        if reset == "none":
            self.failed = True  # the error reaches the application's next poll
            self.background_join = False
            return []
        if reset == "latest":
            self._resetting = missing
            self.group_request = self._request_id()
            return [Send(ListOffsets(missing), self.group_request)]
        for p in missing:
            self._set_position(p, 0, "reset")
        self.background_join = False
        return []

    def poll(self):
        """consume(): the application learns nothing of a revoke its thread made, but it has
        finished the batch it held: those tenures end here (unless assigned again)."""
        self._report_revoke()
        return (yield from super().poll())

    def _report_revoke(self, again: bool = False) -> None:
        """End the tenures of a revoke the thread made: at the application's next poll, or,
        for the partitions the thread got back (`again`), when it gets them (a new tenure)."""
        kept = []
        for parts, lost in self.unreported_revoke:
            ended = tuple(p for p in parts if (p in self.assignment) == again)
            if ended:
                self.observer.revoked(self.now, ended, lost)
            if again and len(ended) < len(parts):
                kept.append((tuple(p for p in parts if p not in ended), lost))
        self.unreported_revoke = kept

    def held_partitions(self) -> tuple[int, ...]:
        return self.assignment + tuple(
            p for parts, _ in self.unreported_revoke for p in parts if p not in self.assignment
        )

    def join_group(self):
        """The application's poll: while the thread rejoins by itself, wait for it; otherwise
        the base's rejoin (the first join, a rejoin after a poll timeout, a callback's)."""
        while self.background_join:
            yield Wait(self.now + self.config.session_timeout_us)
        if self.failed:
            return False
        if self.rejoin_needed or self.state != STABLE:
            return (yield from super().join_group())
        return True

    def on_join_prepare(self):
        """rd_kafka_cgrp_revoke_all_rejoin: revoke (committing the removed partitions' stored
        offsets unless lost), then rejoin once no commit is outstanding."""
        if self.assignment:
            yield from self.revoke(lost=self.generation == NO_GENERATION)
        yield from self._await_commits()

    def revoke(self, lost: bool):
        """The rebalance callback, then the unassign: the stored offsets of the removed partitions
        are committed with enable.auto.commit, unless the assignment was lost, and then reset."""
        for send in self.serve_ops():  # operations enqueued before are served first (FIFO)
            yield send
        parts = self.assignment
        yield from super().revoke(lost)
        self._purge(parts)
        removed = tuple(sorted(self.stored.items()))
        self.stored = {}
        self.committed = {}
        if removed and not lost and self.strategy.auto_commit:
            send = self._start_op(removed, kind="auto")
            if send is not None:
                yield send
            yield from self._await_commits()

    def close(self):
        """rd_kafka_consumer_close: unassign (with its commit), wait for outstanding commits,
        then LeaveGroup, which a static member does not send (rd_kafka_cgrp_leave_maybe, KIP-345).
        Unlike the Java client, no commit of positions comes first."""
        self._closing = True
        self._report_revoke()
        if self.assignment:
            yield from self.revoke(lost=self.generation == NO_GENERATION)
        yield from self._await_commits()
        if self.instance_id is None:
            yield Send(LeaveGroup(self.member_id), self._request_id())
        self.state = UNJOINED
