"""librdkafka in a consumer group (`group.protocol = consumer`): the application's and the client
thread's side of `LibrdkafkaMembership`, over the librdkafka classic consumer's consumer queue,
offset store and commit operations.

What changes from the classic consumer: no JoinGroup or SyncGroup; the membership's heartbeats
go when `next_heartbeat_us` says (`send_heartbeat`, answered in `on_group_response`), and its
rebalance ops come back as commands this class carries out (`_apply`):

- `Pause`: every assigned partition returns nothing until the application's next poll serves
  the rebalance callback (rd_kafka_assignment_pause, rd_kafka_assignment_resume);
- `RebalanceCallback`: the strategy's hook at the next poll, then `incremental_unassign` /
  `incremental_assign`;
- `Unassign`: the partitions go, their stored offsets committed if asked (the classic revoke's
  commit, rd_kafka_assignment_serve_removals);
- `AddAssignment`: the partitions come, fetching nothing until their committed offsets are known
  (an OffsetFetch naming the member and its epoch: rd_kafka_assignment_serve_pending), else
  auto.offset.reset.

Once no assignment operation is left (no commit outstanding, no offsets being fetched) the
membership hears `assignment_done` (rd_kafka_assignment_serve). Commits are the classic
operations, carrying the member epoch; a `STALE_MEMBER_EPOCH` auto or revoke commit is retried
with the epoch current then (`on_commit_error`). Without a rebalance callback the client's thread
(un)assigns by itself, mid-batch, as in the classic consumer (`unreported_revoke`).

Sans-IO like its base: it never reads a clock; `heartbeat_wake`, set by the driver, says that
the heartbeat's timing may have changed.
"""

from __future__ import annotations

from collections import deque

from ..commands import Batch, Call, Later, Send, Wait
from ..java_classic.rebalance_listener import RebalanceListener
from ..java_classic.state import STABLE
from ..librdkafka import LibrdkafkaConsumer
from ..messages import COORDINATOR_ERRORS
from .librdkafka import (
    INIT,
    STEADY,
    AddAssignment,
    LibrdkafkaMembership,
    Pause,
    RebalanceCallback,
    Unassign,
)
from .librdkafka_assignment import MEMBER_ERRORS, AssignmentOps
from .messages import ConsumerGroupHeartbeat, MemberOffsetFetch


class LibrdkafkaGroupConsumer(AssignmentOps, LibrdkafkaConsumer):
    heartbeat_wake = None  # the driver's: re-read `next_heartbeat_us`

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        config = self.config
        self.membership = LibrdkafkaMembership(
            self.member_id,
            config.rebalance_timeout_us,
            auto_commit=self.strategy.auto_commit,
            rebalance_callback=config.rebalance_callback,
            instance_id=self.instance_id,
            remote_assignor=config.remote_assignor,
            retry_backoff_max_us=config.retry_backoff_max_us,
        )
        self.membership.subscribe()
        self.rejoin_needed = False
        self.callbacks: deque[RebalanceCallback] = deque()  # for the application's next poll
        self.rebalance_pause = False  # `Pause`: nothing fetched until the callback is served
        self.awaiting_offsets: set[int] = set()  # added, fetching nothing until positioned
        # Request id -> ("committed" | "reset", partitions): OffsetFetch or ListOffsets in flight.
        self.fetches: dict[int, tuple[str, tuple[int, ...]]] = {}
        self.refetch: tuple[int, ...] = ()  # a stale fetch, again after the next heartbeat
        self.op_pending = False  # an Unassign or AddAssignment not yet reported done
        self.stale_since: dict[int, int] = {}  # commit sequence -> its first STALE_MEMBER_EPOCH
        self._sync_state()

    def _sync_state(self) -> None:
        """What the engine reads: `state` STABLE when in the group with no rebalance op under
        way (STEADY, or still INIT after a join that brought no partitions: an empty target is
        no different from the empty current assignment, rd_kafka_cgrp_consumer_is_new_
        assignment_different), `generation` the member epoch (commits carry it)."""
        membership = self.membership
        settled = membership.join_state in (STEADY, INIT) and not membership.rebalancing()
        steady = settled and membership.epoch > 0 and not self.callbacks
        self.state = STABLE if steady else "RECONCILING"
        self.generation = membership.epoch

    def _rebalancing(self) -> bool:
        """The auto-commit timer commits only in STEADY (rd_kafka_cgrp_offset_commit_tmr_cb)."""
        return self.membership.join_state != STEADY

    # ---- the client's thread: heartbeats and the membership's commands -------------------------
    def next_heartbeat_us(self, now: int) -> int | None:
        return self.membership.next_serve_us(now)

    def send_heartbeat(self, now: int):
        """rd_kafka_cgrp_consumer_serve at the heartbeat's time: the heartbeat due now, as
        (request, request id), or None; other commands (none in practice: they were served
        with the input that caused them) go with the next handler's."""
        sent = None
        for command in self._apply(self.membership.serve(now)):
            if type(command) is Send and type(command.request) is ConsumerGroupHeartbeat:
                sent = (command.request, command.request_id)
            else:
                self._laters.append(command)
        self._sync_state()
        return sent

    def on_group_response(self, request_id: int, response) -> list:
        """A heartbeat's response; a leave's ends the leave (an earlier heartbeat's response,
        superseded by the leave, is not awaited)."""
        if request_id != self.group_request:
            return []
        self.group_request = None
        membership = self.membership
        if membership.wait_leave:
            membership.in_transit = False
            membership.on_leave_response(self.now)
            return self._after()
        out = self._apply(membership.on_heartbeat_response(self.now, response))
        if not membership.coordinator_known and self.coordinator_known:
            self._coordinator_lost(response.error)
        if response.error is None and self.refetch:  # RD_KAFKA_CGRP_CONSUMER_F_SERVE_PENDING
            parts, self.refetch = self.refetch, ()
            out += self._fetch_offsets(parts)
        return out + self._after()

    def _after(self) -> list:
        """After every input: the membership's serve (a fenced member's revoke, a heartbeat due
        now), the state the engine reads, the heartbeat timer."""
        out = self._apply(self.membership.serve(self.now)) + self.take_laters()
        self._sync_state()
        if self.heartbeat_wake is not None:
            self.heartbeat_wake()
        return out

    def _apply(self, commands) -> list:
        """Carry out the membership's commands on the client's thread; returns the requests and
        timers for the driver."""
        out: list = []
        for command in commands:
            kind = type(command)
            if kind is ConsumerGroupHeartbeat:
                self.group_request = self._request_id()
                out.append(Send(command, self.group_request))
            elif kind is Pause:
                self.rebalance_pause = True
            elif kind is RebalanceCallback:
                self.callbacks.append(command)
            elif kind is Unassign:
                out += self._unassign(command.partitions, command.commit)
            elif kind is AddAssignment:  # the thread's own assign (no callback)
                self._add(command.partitions)
                out += self._fetch_offsets(command.partitions)
        return out

    # ---- commits: the classic operations, with the member epoch ---------------------------------
    def on_response(self, request_id: int, response) -> list:
        """A commit's response (the classic handling), an OffsetFetch's or a ListOffsets'. A
        STALE_MEMBER_EPOCH auto or revoke commit is sent again with the epoch current then,
        after retry.backoff.ms, until session.timeout.ms after its first failure
        (rd_kafka_cgrp_consumer_defer_offset_commit; the source re-serves it at the client
        thread's next turn, its epoch still stale until the expedited heartbeat's answer)."""
        if request_id in self.fetches:
            return self._on_offsets(request_id, response) + self._after()
        op = self.inflight_async[request_id]
        error = response.error
        if error in MEMBER_ERRORS:
            retry = self.membership.on_commit_error(self.now, error, op.kind != "auto")
            first = self.stale_since.setdefault(op.sequence, self.now)
            if retry and self.now < first + self.config.session_timeout_us:
                del self.inflight_async[request_id]
                self.observer.commit_completed(self.now, request_id, error)
                self.inflight_async[-op.sequence] = op
                retry_us = self.now + self.config.retry_backoff_us
                return [Later(retry_us, (op, "stale"))] + self._after()
        out = super().on_response(request_id, response)
        if op.result is not None:
            self.stale_since.pop(op.sequence, None)
        return out + self._progress() + self._after()

    def on_timer(self, key) -> list:
        op, action = key
        if action != "stale":
            return super().on_timer(key) + self._progress() + self._after()
        del self.inflight_async[-op.sequence]
        send = self._send_op(op, fresh=True)  # the member epoch current now
        return ([send] if send is not None else []) + self._after()

    def _on_commit_error(self, error: str, sent_generation: int) -> list:
        """Commit errors never touch the assignment in this protocol: UNKNOWN_MEMBER_ID and
        STALE_MEMBER_EPOCH only expedite the heartbeat (`on_response`)."""
        return []

    # ---- the coordinator and liveness ------------------------------------------------------------
    def _coordinator_lost(self, error: str = "NOT_COORDINATOR") -> None:
        super()._coordinator_lost(error)
        if not self.coordinator_known:
            self.membership.coordinator_known = False

    def on_coordinator_found(self) -> list:
        """The cgrp is up again: deferred commits go (the classic handling), the heartbeat is
        expedited, offsets waiting for the coordinator are fetched."""
        out = super().on_coordinator_found()
        self.membership.on_coordinator_found(self.now)
        if self.refetch:
            parts, self.refetch = self.refetch, ()
            out += self._fetch_offsets(parts)
        return out + self._after()

    def heartbeating(self) -> bool:
        return self.membership.fatal_error is None and not self.membership.terminating

    def on_poll_timeout(self):
        """rd_kafka_cgrp_max_poll_interval_check_tmr_cb: heartbeats stop; the assignment is
        revoked as lost (with a callback at the next poll), then the member leaves."""
        membership = self.membership
        if membership.max_poll_exceeded or not self.heartbeating():
            return None
        if not self.poll_timer_expired(self.now):
            return None
        return self._apply(membership.max_poll_exceeded_now()) + self._after()

    def heartbeats_held(self) -> bool:
        """After a max.poll.interval.ms expiry, until the application polls again, no heartbeat
        goes and no leave either (with a rebalance callback the lost revoke waits for that
        poll): the coordinator's session runs out from the last heartbeat."""
        membership = self.membership
        return membership.max_poll_exceeded and not membership.wait_leave

    def on_heartbeat_error(self, error: str) -> list:
        """Heartbeat errors come with their responses (`on_group_response`)."""
        return []

    def on_rebalance_notice(self) -> list:
        """No rebalance notices: news comes in heartbeat responses."""
        return []

    def on_client_session_timeout(self) -> list:
        """No client-side session check in this protocol (rkcg_ts_session_timeout is set only
        by the classic paths)."""
        return []

    # ---- the application thread ------------------------------------------------------------------
    def poll(self):
        """consume(): the poll timer restarts (heartbeats go again after a max.poll.interval.ms
        expiry); the rebalance callbacks waiting for the application run, then records (or an
        empty batch at the timeout)."""
        self._report_revoke()
        self.poll_deadline_us = self.now + self.config.poll_timeout_us
        quiet = self.quiet
        self.membership.on_poll(self.now)
        yield from self._send(self._after())
        while True:
            if self.completed_async:
                quiet = False
                yield from self.invoke_callbacks()
            if self.callbacks:
                quiet = False
                yield from self._serve_callbacks()
            if self.membership.fatal_error is not None:
                self.failed = True  # the fatal error reaches the application
            if self.failed or self.close_requested:
                return Batch(0, (), 0)
            batch = yield from self.fetched()
            if batch is not None:
                return batch
            yield Wait(self.poll_deadline_us, idle=quiet)

    def _fetch(self, ends) -> None:
        """Partitions paused for a rebalance callback, or without offsets yet, fetch nothing."""
        hidden = self.awaiting_offsets
        if self.rebalance_pause:
            hidden = set(self.assignment)
        if not hidden:
            return super()._fetch(ends)
        paused = self.paused
        self.paused = paused | hidden
        try:
            super()._fetch(ends)
        finally:
            self.paused = paused

    def repoll_idle(self) -> int | None:
        if self.callbacks or self.awaiting_offsets or self.rebalance_pause:
            return None
        return super().repoll_idle()

    def _send(self, commands):
        """Requests of the client's thread raised on the application's call: sent now; timers
        go with the next handler's commands."""
        for command in commands:
            if type(command) is Send:
                yield command
            else:
                self._laters.append(command)

    def _serve_callbacks(self):
        """The rebalance callback at the application's poll: the strategy's hook, then
        incremental_unassign (after the removed partitions' hook) or incremental_assign (before
        the added ones': it may position them), then the partitions resume."""
        while self.callbacks:
            op = self.callbacks.popleft()
            parts = op.partitions
            if op.kind == "revoke":
                yield from self._send(self.serve_ops())  # operations enqueued before go first
                held = tuple(p for p in parts if p in self.assignment)
                if held:
                    yield from RebalanceListener.revoke(self, op.lost, held)
                out = self._apply(self.membership.incremental_unassign(parts))
            else:
                self.membership.incremental_assign(parts)
                self._add(parts)
                yield from self.call(self.strategy.on_assigned(self, parts))
                out = self._fetch_offsets(parts)
            self.rebalance_pause = bool(self.callbacks)
            yield from self._send(out + self._after())

    def _offset_fetch(self, partitions: tuple[int, ...]):
        """The application's OffsetFetch (an error policy's seek-back), naming the member and
        its epoch; retried after retry.backoff.ms on member errors, and once the coordinator is
        found again on coordinator errors."""
        while True:
            epoch = max(self.membership.epoch, 0)
            request = MemberOffsetFetch(partitions, self.member_id, epoch)
            response = yield Call(request, self._request_id())
            error = response.error
            if error is None:
                return response
            if error in COORDINATOR_ERRORS:
                self._coordinator_lost(error)
                yield from self._rediscover_coordinator()
            else:
                yield Wait(self.now + self.config.retry_backoff_us, wakeable=False)

    def close(self):
        """rd_kafka_consumer_close: everything is revoked (its stored offsets committed with
        enable.auto.commit), the callback served here; once no commit is outstanding the leave
        heartbeat goes (-1, or -2 for a static member); its answer is awaited up to the close
        timeout."""
        deadline = self.now + self.config.close_timeout_us
        self._closing = True
        self._report_revoke()
        membership = self.membership
        commands = membership.close()
        membership.subscribed = False  # unsubscribed: no heartbeat after the leave
        yield from self._send(self._apply(commands) + self._after())
        yield from self._serve_callbacks()
        while (self.open_ops or membership.leave_on_unassign_done or membership.wait_leave) and (
            self.now < deadline
        ):
            yield Wait(deadline)
        self._sync_state()
