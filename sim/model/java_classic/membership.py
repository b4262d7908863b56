"""The Java classic consumer's group membership as the client sees it (AbstractCoordinator,
ConsumerCoordinator): JoinGroup and SyncGroup, eager (blocking poll() until stable) or
cooperative (one step per poll() iteration), the leader's assignor run, the generation and member
id resets, and close()'s leave.

It owns the member state (UNJOINED .. STABLE), the generation and member id. It never runs the
rebalance listener itself (`rebalance_listener`) and never sends a commit (`commits`)."""

from __future__ import annotations

from ..assignors import ASSIGNORS
from ..commands import Call, Send, Wait
from ..messages import (
    COORDINATOR_ERRORS,
    JoinGroup,
    JoinResponse,
    LeaveGroup,
    Subscription,
    SyncGroup,
)
from .state import COMPLETING_REBALANCE, NO_GENERATION, PREPARING_REBALANCE, STABLE, UNJOINED


class GroupMembership:
    """Joining, rejoining and leaving the group (a part of `sim.model.consumer.Consumer`)."""

    def join_group(self):
        """ensureActiveGroup, eager: onJoinPrepare once, then JoinGroup and SyncGroup until
        stable."""
        while True:
            if self._join_prepare_due():
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
            if response.error is None and self._synced_generation_kept():
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
            elif self._synced_generation_kept():
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
            if self._join_prepare_due():
                self.needs_join_prepare = False
                yield from self.on_join_prepare()
            self.state = PREPARING_REBALANCE
            self.group_request = self._request_id()
            yield Send(self._join_request(), self.group_request)
        return True

    def _join_prepare_due(self) -> bool:
        """needsJoinPrepare (AbstractCoordinator.joinGroupIfNeeded): set at every completed join,
        cleared when onJoinPrepare runs, and set again by every generation reset
        (resetStateAndRejoin). So a member whose generation was reset during its rejoin runs
        onJoinPrepare again, which hands the partitions it still owns to onPartitionsLost
        (ConsumerCoordinator.onJoinPrepare: generation or member id reset). Only a cooperative
        member still owns partitions after onJoinPrepare (an eager one revoked them all), so
        that reset shows here as partitions owned without a generation."""
        return self.needs_join_prepare or (
            self.generation == NO_GENERATION and bool(self.assignment)
        )

    def _synced_generation_kept(self) -> bool:
        """SyncGroupResponseHandler: a successful SyncGroup counts only if the generation was not
        reset meanwhile (the heartbeat thread's error or poll timeout); otherwise the rebalance
        failed as ILLEGAL_GENERATION and the member rejoins, its generation already reset."""
        return self.generation != NO_GENERATION and self.state == COMPLETING_REBALANCE

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
            self.observer.heartbeat_thread_enabled(self.now)  # heartbeatThread.enable()
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
        error once the coordinator is found again, or a success that came after a generation
        reset; FENCED_INSTANCE_ID is fatal; other errors reset the generation first."""
        if response.error in COORDINATOR_ERRORS:
            self._coordinator_lost(response.error)
        elif response.error == "FENCED_INSTANCE_ID":
            self.failed = True
        elif response.error not in (None, "REBALANCE_IN_PROGRESS"):
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

    def close(self):
        """KafkaConsumer.close, in ConsumerCoordinator.close's order (docs/semantics.md §2, §6,
        §10):
        1. the auto commit, sync, errors swallowed (maybeAutoCommitOffsetsSync): like every
           commitSync it first runs the callbacks of async commits already completed, and the
           ones sent before it complete before it on the same connection, so their callbacks run;
           when the member is not stable it fails in the client's gate; then, while async
           commits wait for a coordinator lookup, the lookup and their callbacks
           (pendingAsyncCommits);
        2. onPartitionsRevoked, or onPartitionsLost when the generation was reset or a rebalance
           is under way (onLeavePrepare);
        3. LeaveGroup, only from a dynamic member that is still in a group and knows its
           coordinator (maybeLeaveGroup): a static member's partitions wait for its session;
        4. a wait for the requests still in flight, up to the close timeout
           (awaitPendingRequests): their callbacks never run."""
        deadline = self.now + self.config.close_timeout_us
        if self.strategy.auto_commit:
            yield from self.commit_sync(None, kind="auto", deadline_us=deadline)
        while self.pending_async and self.now < deadline:
            yield from self._await_coordinator(deadline)
            yield from self.invoke_callbacks()
        joined = self.state != UNJOINED
        if self.assignment:
            yield from self.revoke(lost=self.state != STABLE)
        if self.instance_id is None and joined and self.coordinator_known:
            yield Send(LeaveGroup(self.member_id), self._request_id())
        self.state = UNJOINED
        while self.inflight_async and self.now < deadline:
            yield Wait(deadline)
