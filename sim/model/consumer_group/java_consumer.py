"""The Java consumer in a consumer group (AsyncKafkaConsumer, `group.protocol = consumer`): the
application's side of `JavaMembership` and `JavaHeartbeat`, over the Java classic consumer's poll
loop, fetch positions and commit paths.

What changes from the classic consumer: no JoinGroup or SyncGroup and no commit gate; poll()
sends the PollEvent (`JavaMembership.on_poll`: the interval auto commit, the pending
reconciliation, a rejoin) and runs what the background thread asks of the application thread
(the rebalance listener's methods, the commit of every consumed position before a revocation);
heartbeats are the background thread's (`next_heartbeat_us`, `send_heartbeat`, their response in
`on_group_response`); commits carry the member epoch, and their errors never touch the
membership (CommitRequestManager); close() commits, revokes and sends the leave heartbeat.

Sans-IO like its base: it never reads a clock; `heartbeat_wake`, set by the driver, says that
the heartbeat's timing may have changed.
"""

from __future__ import annotations

from collections import deque

from ..commands import Batch, Call, Send, Wait
from ..consumer import Consumer
from ..messages import COORDINATOR_ERRORS
from .java_heartbeat import JavaHeartbeat
from .java_member_states import (
    FATAL,
    LEAVING,
    NOT_IN_GROUP,
    STABLE,
    Assign,
    AutoCommit,
    Callback,
    CommitConsumed,
    Revoking,
)
from .java_membership import JavaMembership
from .messages import MemberOffsetFetch

STALE_EPOCH_ERRORS = frozenset({"STALE_MEMBER_EPOCH", "UNKNOWN_MEMBER_ID"})


class JavaGroupConsumer(Consumer):
    heartbeat_wake = None  # the driver's: re-read `next_heartbeat_us`
    awaiting_fetch = False  # poll() waits for records (FetchBuffer.awaitNotEmpty)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        config = self.config
        self.membership = JavaMembership(
            self.member_id,
            config.rebalance_timeout_us,
            auto_commit=self.strategy.auto_commit,
            auto_commit_interval_us=config.auto_commit_interval_us,
            retry_backoff_us=config.retry_backoff_us,
            instance_id=self.instance_id,
            server_assignor=config.remote_assignor,
        )
        self.heartbeats = JavaHeartbeat(
            self.membership, config.retry_backoff_us, config.retry_backoff_max_us
        )
        self.membership.subscribe()
        self.rejoin_needed = False
        self.work: deque = deque()  # the background thread's commands for the application
        self.awaiting_callback: set[int] = set()  # added, fetching nothing until assigned
        self._sync_state()

    def _sync_state(self) -> None:
        """The member state and epoch as the engine reads them (`state`: STABLE when settled;
        `generation`: the member epoch, which the ledger records with processing)."""
        self.state = self.membership.state if not self.work else "RECONCILING"
        self.generation = self.membership.epoch

    # ---- the background thread's heartbeats -----------------------------------------------------
    def next_heartbeat_us(self, now: int) -> int | None:
        return self.heartbeats.next_heartbeat_us(now)

    def send_heartbeat(self, now: int):
        """The heartbeat due now, as (request, request id), or None."""
        request, out = self.heartbeats.heartbeat(now)
        self._queue(out)
        if request is None:
            return None
        self.group_request = self._request_id()
        return request, self.group_request

    def on_group_response(self, request_id: int, response) -> None:
        if request_id != self.group_request:
            return  # a leave's response, ignored
        self.group_request = None
        self._queue(self.heartbeats.on_heartbeat_response(self.now, response))
        if not self.heartbeats.coordinator_known and self.coordinator_known:
            self._coordinator_lost(response.error)
        self._wake_heartbeat()

    def _queue(self, commands) -> None:
        self.work.extend(commands)
        self._sync_state()

    def _wake_heartbeat(self) -> None:
        self._sync_state()
        if self.heartbeat_wake is not None:
            self.heartbeat_wake()

    def heartbeating(self) -> bool:
        return self.membership.state not in NOT_IN_GROUP

    def on_poll_timeout(self):
        """The background thread found max.poll.interval.ms passed: the leave heartbeat goes at
        once, its response ignored; the member goes STALE and its partitions are lost
        (onPartitionsLost at the next poll, which rejoins)."""
        if not self.poll_timer_expired(self.now):
            return None
        request, out = self.heartbeats.poll_timer_expired(self.now)
        if request is None:
            return None
        self._queue(out)
        return [Send(request, self._request_id())]

    def heartbeats_held(self) -> bool:
        """Its poll timeout sends the leave heartbeat: never held without one."""
        return False

    def on_heartbeat_error(self, error: str) -> None:
        """Heartbeat errors come with their responses (`on_group_response`)."""

    def on_rebalance_notice(self) -> None:
        """No rebalance notices: news comes in heartbeat responses."""

    def _coordinator_lost(self, error: str = "NOT_COORDINATOR") -> None:
        super()._coordinator_lost(error)
        if not self.coordinator_known:
            self.heartbeats.coordinator_known = False

    def on_coordinator_found(self) -> list:
        self.heartbeats.on_coordinator_found()
        return super().on_coordinator_found()

    # ---- the application thread -----------------------------------------------------------------
    def run(self):
        """The application's loop; the auto-commit interval starts with the consumer."""
        self.membership.restart_auto_commit(self.now)
        return (yield from super().run())

    def poll(self):
        """The PollEvent first (auto commit, reconciliation, rejoin), then the background
        thread's requests to the application thread at every iteration, the positions of new
        partitions, then records (or an empty batch at the poll timeout)."""
        self.poll_deadline_us = self.now + self.config.poll_timeout_us
        quiet = self.quiet
        self._queue(self.membership.on_poll(self.now))
        while True:
            if self.completed_async:
                quiet = False
                yield from self.invoke_callbacks()
            if self.work:
                quiet = False
                yield from self._serve_work()
            self._wake_heartbeat()
            if self.membership.state == FATAL:
                self.failed = True  # the error reaches the application's call
            if self.failed or self.close_requested:
                return Batch(0, (), 0)
            if any(p not in self.positions for p in self.assignment):
                if not (yield from self.refresh_positions()):
                    return Batch(0, (), 0)
            batch = yield from self.fetched()
            if batch is not None:
                return batch
            self.awaiting_fetch = True
            yield Wait(self.poll_deadline_us, idle=quiet and not self._auto_commit_due())
            self.awaiting_fetch = False

    def _auto_commit_due(self) -> bool:
        return self.strategy.auto_commit and self.now >= self.membership.auto_commit_due_us

    def repoll_idle(self) -> int | None:
        """As the classic consumer's, unless the PollEvent would act: an auto commit due, or a
        membership not settled."""
        if self.work or self.membership.state != STABLE:
            return None
        if self.strategy.auto_commit and self.poll_deadline_us >= (
            self.membership.auto_commit_due_us
        ):
            return None
        return super().repoll_idle()

    def _serve_work(self):
        """Carry out the background thread's commands, in order, on the application thread."""
        membership = self.membership
        while self.work:
            command = self.work.popleft()
            kind = type(command)
            if kind is Revoking:  # markPendingRevocation: no more records of them
                self.paused.update(p for p in command.partitions if p in self.assignment)
            elif kind is CommitConsumed:
                error = yield from self._commit_consumed(command.deadline_us)
                self.work.extend(membership.on_commit_done(self.now, error))
            elif kind is AutoCommit:
                yield from self._auto_commit()
            elif kind is Assign:
                self._assign(command)
            elif kind is Callback:
                yield from self._run_callback(command)
                self.work.extend(membership.on_callback_done(self.now, command.sequence))
            self._sync_state()

    def _assign(self, command: Assign) -> None:
        """The subscription state's new assignment; the added partitions fetch nothing until
        onPartitionsAssigned has run."""
        kept = set(command.partitions)
        for p in self.assignment:
            if p not in kept:  # gone without a callback (none: released as lost before)
                self.positions.pop(p, None)
                self.processed.pop(p, None)
                self.paused.discard(p)
        self.assignment = tuple(sorted(command.partitions))
        self._cursor = 0
        self.awaiting_callback = set(command.added)
        self.paused.update(command.added)
        if command.partitions or command.added:
            self.observer.assigned(self.now, self.membership.epoch, self.assignment)

    def _run_callback(self, command: Callback):
        parts = command.partitions
        if command.method == "assigned":
            yield from self.call(self.strategy.on_assigned(self, parts))
            self.paused.difference_update(self.awaiting_callback)
            self.awaiting_callback = set()
        elif parts:
            yield from self.revoke(lost=command.method == "lost", partitions=parts)

    def _commit_consumed(self, deadline_us: int):
        """maybeAutoCommitSyncBeforeRevocation: every consumed position, retried on retriable
        errors and on STALE_MEMBER_EPOCH with the latest epoch, until the rebalance timeout."""
        while True:
            result = yield from self.commit_sync(None, kind="auto", deadline_us=deadline_us)
            if result.error != "STALE_MEMBER_EPOCH":
                return result.error
            retry_us = self.now + self.config.retry_backoff_us
            if retry_us >= deadline_us:
                return result.error
            yield Wait(retry_us, wakeable=False)

    def _auto_commit(self):
        """maybeAutoCommitAsync: the consumed positions, async; nothing to commit is done. While
        the coordinator is unknown nothing is committed (CommitRequestManager.poll returns
        before it): the auto commit waits for the coordinator and then commits what is
        consumed by then (`_async_request`)."""
        if not self.coordinator_known:
            self.commit_sequence += 1
            self.pending_async.append((None, self.commit_sequence, "auto"))
            return
        if not self.position_offsets():
            self.membership.on_auto_commit_done(self.now, None)
            return
        yield from self.commit_async(None, kind="auto")

    def _async_request(self, offsets, sequence: int, kind: str):
        """An async commit that waited for the coordinator goes when it is found (the
        CommitRequestManager sends its unsent commits once the coordinator is known); the
        waiting auto commit commits the positions consumed by then."""
        if offsets is None:
            offsets = self.position_offsets()
            if not offsets:
                self.membership.on_auto_commit_done(self.now, None)
                return None
        return super()._async_request(offsets, sequence, kind)

    def on_coordinator_lookup_failed(self) -> bool:
        """A failed lookup fails no commit: the unsent ones wait until the coordinator is known
        (CommitRequestManager.commitAsync: no deadline; poll sends nothing before)."""
        return False

    def on_response(self, request_id: int, response) -> None:
        kind = self.inflight_async[request_id][3]
        super().on_response(request_id, response)
        if kind == "auto":
            self.membership.on_auto_commit_done(self.now, response.error)

    def _gate(self) -> str | None:
        """No commit gate: a commit goes in any member state (CommitRequestManager)."""
        return None

    def commit_identity(self) -> tuple[str, int]:
        return self.membership.commit_member()

    def _on_commit_error(self, error: str, sent_generation: int) -> None:
        """Commit errors never touch the membership; only heartbeats drive it."""

    def _offset_fetch(self, partitions: tuple[int, ...]):
        """OffsetFetch naming the member and its epoch: a coordinator error rediscovers it, a
        stale epoch or unknown member fetches again after retry.backoff.ms (by then a
        heartbeat has brought the epoch)."""
        while True:
            member_id, epoch = self.membership.commit_member()
            request = MemberOffsetFetch(partitions, member_id or None, epoch)
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
        """close(): a sync commit of every consumed position (errors swallowed), then
        onPartitionsRevoked (or onPartitionsLost when out of the group) and the leave heartbeat
        (-1, or -2 for a static member); then the requests in flight, up to the close timeout."""
        deadline = self.now + self.config.close_timeout_us
        if self.strategy.auto_commit and self.membership.state not in NOT_IN_GROUP:
            yield from self.commit_sync(None, kind="auto", deadline_us=deadline)
        self._queue(self.membership.leave())
        yield from self._serve_work()
        if self.membership.state == LEAVING:
            sent = self.send_heartbeat(self.now)
            if sent is not None:
                yield Send(*sent)
        self._sync_state()
        while (self.inflight_async or self.pending_async) and self.now < deadline:
            yield Wait(deadline)
