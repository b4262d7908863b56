"""librdkafka's commit operations (classic protocol): every commit, the application's and the
background timer's, is one RD_KAFKA_OP_OFFSET_COMMIT served by the client's thread.

- The application's commit() only enqueues an operation (rdkafka_offset.c rd_kafka_commit0); the
  thread serves it when the application next blocks (`serve_ops`), and a no-argument commit reads
  the stored offsets then. The auto commit is a background timer (`auto_commit_tick`:
  rdkafka_cgrp.c rd_kafka_cgrp_offset_commit_tmr_cb), not inside poll().
- A request is retried up to twice on retriable errors; a coordinator error marks the coordinator
  dead (rd_kafka_cgrp_coord_dead), and a commit made with no coordinator known, or still failing
  with a coordinator error, is deferred until the coordinator is back, for at most
  session.timeout.ms, then sent with the generation current *then* (rdkafka_request.c
  rd_kafka_handle_OffsetCommit; rdkafka_cgrp.c rd_kafka_cgrp_offsets_commit,
  rd_kafka_cgrp_op_handle_OffsetCommit, rd_kafka_cgrp_defer_offset_commit).

It owns the operations in flight or parked and their results. Retries and deferrals come back to
the driver as `Later` requests; it never reads a clock."""

from __future__ import annotations

from dataclasses import dataclass

from ..commands import CommitResult, Later, Send, Wait
from ..java_classic.state import NO_GENERATION, STABLE
from ..messages import RETRIABLE_COMMIT_ERRORS, OffsetCommit, Offsets

REQUEST_RETRIES = 2  # RD_KAFKA_REQUEST_DEFAULT_RETRIES (rdkafka_proto.h)
# Errors after which the commit waits for the coordinator (rd_kafka_cgrp_op_handle_OffsetCommit);
# with a lost connection (UNKNOWN, librdkafka's __TRANSPORT) they also mark the coordinator dead
# (rd_kafka_handle_OffsetCommit: ACTION_REFRESH | ACTION_SPECIAL).
DEFERRED_COMMIT_ERRORS = frozenset({"NOT_COORDINATOR", "COORDINATOR_NOT_AVAILABLE", "UNKNOWN"})
# rd_kafka_cgrp_serve re-queries the coordinator every 500 ms in state QUERY_COORD.
COORD_QUERY_INTERVAL_US = 500_000
# fetch.wait.max.ms, librdkafka's default (CONFIGURATION.md): how long the partition leader holds
# the Fetch of a consumer that has caught up with the log.
FETCH_WAIT_MAX_US = 500_000


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


class CommitOperations:
    """The commit operations and the coordinator they wait for (a part of
    `sim.model.librdkafka.LibrdkafkaConsumer`)."""

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
        return self._send_op(op, fresh=True)

    def _send_op(self, op: CommitOp, fresh: bool) -> Send | None:
        """A fresh request carries the member id and generation current now; a request retry
        re-sends the same bytes (rd_kafka_buf_retry). With no coordinator known a fresh commit
        is deferred before any request is sent, and a retry waits for the connection."""
        if not self.coordinator_known:
            if not fresh:
                self._park(op, "retry")
            else:  # a new operation: a deferred one is resent only once the coordinator is known
                self._defer(op)
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
        op.parked = None
        op.result = CommitResult(op.offsets, error, op.sequence)
        if op.kind == "async":  # offset_commit_cb, served by the application's next poll
            self.completed_async.append(op.result)
        elif op.kind == "sync":
            self._sync_results[op.sequence] = op.result

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

    def _await(self, done):
        """Block the application until `done()` (woken by each commit response)."""
        while not done():
            yield Wait(self.now + self.config.session_timeout_us)

    def _await_commits(self):
        yield from self._await(lambda: self.open_ops == 0)

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

    def _coordinator_lost(self, error: str = "NOT_COORDINATOR") -> None:
        """rd_kafka_cgrp_coord_dead for NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE and a lost
        connection; other coordinator errors only back off."""
        self.retry_join_after_us = self.now + self.config.retry_backoff_us
        if error in DEFERRED_COMMIT_ERRORS and self.coordinator_known:
            self.coordinator_known = False
            self._query_at_once = True
            self.observer.coordinator_unknown(self.now)

    def coordinator_lookup_delay_us(self) -> int:
        """rd_kafka_cgrp_coord_dead queries at once (rd_kafka_cgrp_coord_query) the usable broker
        used last (rd_kafka_broker_any_usable, rd_kafka_broker_weight_usable: the least idle): the
        partition leader's connection, where the Fetch of a consumer that has caught up is held
        up to fetch.wait.max.ms, and the FindCoordinator is answered when that Fetch returns. The
        driver draws when (`lookup_race`, a share of the wait; by hand, all of it); with no
        partition to fetch it is answered at once. A failed query is repeated every 500 ms
        (rd_kafka_cgrp_serve in QUERY_COORD)."""
        if not self._query_at_once:
            return COORD_QUERY_INTERVAL_US
        self._query_at_once = False
        if not self.assignment:
            return 0
        share = self.lookup_race() if self.lookup_race is not None else 1.0
        return int(share * FETCH_WAIT_MAX_US)

    def on_coordinator_found(self) -> list:
        """The cgrp is UP again: request retries go out, and deferred commits are served anew
        (rkcg_wait_coord_q concatenated onto the ops queue), in operation order; a rejoin
        waiting for the coordinator goes on. Unless a retry waits in the coordinator's output
        queue (`_purge_queued_retries`): then the coordinator is dead again before the cgrp is
        UP."""
        self.coordinator_known = True
        queued = [k for k in sorted(self.inflight_async) if k < 0]
        queued = [k for k in queued if self.inflight_async[k].parked == "retry"]
        if queued:
            return self._purge_queued_retries(queued)
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

    def _purge_queued_retries(self, keys: list[int]) -> list:
        """A retry whose backoff ran out while no coordinator was known waits in the output queue
        of the coordinator's logical broker. Giving that broker the found coordinator's address
        closes its connection attempt (rd_kafka_broker_set_nodename; the OP_CONNECT handler's
        "Closing connection due to nodename change"), which fails the queued requests with
        __TRANSPORT (rd_kafka_broker_fail): the coordinator is marked dead again
        (rd_kafka_handle_OffsetCommit) and each request is retried after its backoff with its
        retry count unchanged, never having been sent (rd_kafka_buf_retry). While each lookup
        takes longer than the backoff this repeats, no heartbeat gets through, and the session
        can run out (docs/model.md, "Coordinator rediscovery")."""
        self._coordinator_lost("UNKNOWN")
        config = self.config
        for key in keys:
            op = self.inflight_async[key]
            op.parked = None
            backoff = config.retry_backoff_us << max(op.retries - 1, 0)
            self._laters.append(
                Later(self.now + min(backoff, config.retry_backoff_max_us), (op, "retry"))
            )
        return self.take_laters()
