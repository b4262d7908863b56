"""The Java classic consumer's heartbeat thread (AbstractCoordinator.HeartbeatThread) and its
coordinator discovery: the poll timer (max.poll.interval.ms), heartbeat errors, and
markCoordinatorUnknown / ensureCoordinatorReady.

It owns the poll timer's check and the coordinator's known/unknown flag. The thread is not a
generator: the driver calls its decisions (`on_poll_timeout`,
`on_heartbeat_error`, `on_coordinator_found`) between the loop's steps, as the thread runs beside
the application. It never sends a heartbeat itself (the driver computes liveness) and never reads
a clock: `now` is set by the driver."""

from __future__ import annotations

from ..commands import Send, Wait
from ..messages import COORDINATOR_LOST_ERRORS, LeaveGroup
from .state import COMPLETING_REBALANCE, STABLE


class HeartbeatThread:
    """The heartbeat thread's decisions and the coordinator's discovery (a part of
    `sim.model.consumer.Consumer`)."""

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
        The member rejoins at its next poll(), where onJoinPrepare calls onPartitionsLost;
        until its JoinGroup succeeds it sends no heartbeat."""
        if not self.heartbeating():
            return  # the heartbeat thread is not running: the response is not for this state
        if error == "REBALANCE_IN_PROGRESS":
            if self.state == STABLE:
                self.on_rebalance_notice()
        elif error in ("UNKNOWN_MEMBER_ID", "ILLEGAL_GENERATION"):
            self._reset_on_response_error(error)
        elif error in COORDINATOR_LOST_ERRORS:
            self._coordinator_lost(error)

    def _reset_on_response_error(self, error: str) -> None:
        """resetStateOnResponseError after UNKNOWN_MEMBER_ID or ILLEGAL_GENERATION (a heartbeat's
        or a commit's): the generation goes (UNKNOWN_MEMBER_ID: the member id too) and the member
        is UNJOINED, so the heartbeat thread disables itself (HeartbeatThread.run:
        hasNotJoinedGroup) until a JoinGroup succeeds (JoinGroupResponseHandler: enable). After
        ILLEGAL_GENERATION the coordinator still has the member id: the driver is told its
        heartbeats stopped, so its session runs out unless the application polls and rejoins in
        time."""
        heartbeating = self.heartbeating()
        self._reset_generation(reset_member=error == "UNKNOWN_MEMBER_ID")
        if heartbeating and error == "ILLEGAL_GENERATION":
            self.observer.heartbeat_thread_disabled(self.now)

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
        waited for it may go. Returns the requests to send now: the async commits that waited
        for the lookup (`pending_async_sends`); blocking calls wait in `_await_coordinator`."""
        self.coordinator_known = True
        return self.pending_async_sends()

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
