"""The Java consumer's heartbeats in a consumer group: ConsumerHeartbeatRequestManager over
AbstractHeartbeatRequestManager (with its HeartbeatRequestState and HeartbeatState), as a pure
state machine driving a `JavaMembership`.

A heartbeat goes when the interval the coordinator gave (group.consumer.heartbeat.interval.ms)
has passed since the last one and none is in flight, or at once when the member joins,
acknowledges a reconciled assignment or leaves. A failed one is retried after retry.backoff.ms,
doubling up to retry.backoff.max.ms (jitter left out), except that a fencing or coordinator error
resets the backoff. A request carries only what changed since the last one sent (everything when
joining or after an error); the owned partitions go when the reconciled assignment changed.

The driver calls `heartbeat(now)` when `next_heartbeat_us` comes, sends what it returns, and hands
the response to `on_heartbeat_response`; `poll_timer_expired` is the background thread finding
max.poll.interval.ms passed since the application's last poll. It owns the heartbeat's timing,
backoff and the fields last sent; it never changes the membership itself (its results go to
`JavaMembership`) and never reads a clock.
"""

from __future__ import annotations

from .java_member_states import FATAL, JOINING, LEAVING, NOT_IN_GROUP, PREPARE_LEAVING, STALE
from .java_membership import JavaMembership
from .messages import TOPIC, ConsumerGroupHeartbeat, ConsumerGroupHeartbeatResponse

# onErrorResponse: errors that only back off, that rediscover the coordinator, that fence; every
# other one (UNRELEASED_INSTANCE_ID, FENCED_INSTANCE_ID, INVALID_REQUEST, ...) is fatal
# (handleFatalFailure, ConsumerHeartbeatRequestManager.handleSpecificError).
RETRY_ERRORS = frozenset({"COORDINATOR_LOAD_IN_PROGRESS"})
COORDINATOR_ERRORS = frozenset({"NOT_COORDINATOR", "COORDINATOR_NOT_AVAILABLE"})
FENCING_ERRORS = frozenset({"FENCED_MEMBER_EPOCH", "UNKNOWN_MEMBER_ID"})
NEVER = -(1 << 62)
_UNSENT = object()


class JavaHeartbeat:
    def __init__(
        self, membership: JavaMembership, retry_backoff_us: int, retry_backoff_max_us: int
    ):
        self.membership = membership
        self.coordinator_known = True
        self.interval_us = 0  # from the coordinator's responses
        self.retry_backoff_us = retry_backoff_us
        self.retry_backoff_max_us = retry_backoff_max_us
        self._timer_us = 0  # the heartbeat timer's expiry
        self._in_flight = False
        self._last_received_us = NEVER
        self._attempts = 0
        self._backoff_us = retry_backoff_us
        self._sent: dict[str, object] = {}  # HeartbeatState.SentFields

    def next_heartbeat_us(self, now: int) -> int | None:
        """When `heartbeat` will next send (None: not in this state, or one is in flight)."""
        member = self.membership
        if not self.coordinator_known or member.state in NOT_IN_GROUP:
            return None
        if member.state == LEAVING or (member.heartbeat_now() and not self._in_flight):
            return now
        if self._in_flight:
            return None
        return max(self._timer_us, self._last_received_us + self._backoff_us, now)

    def heartbeat(self, now: int) -> tuple[ConsumerGroupHeartbeat | None, list]:
        """AbstractHeartbeatRequestManager.poll: the heartbeat to send now (None if none is due),
        and the membership's commands."""
        member = self.membership
        if not self.coordinator_known or member.state in NOT_IN_GROUP:
            member.on_heartbeat_skipped()
            return None, []
        due = self.next_heartbeat_us(now)
        if due is None or due > now:
            return None, []
        return self._send(now)

    def poll_timer_expired(self, now: int) -> tuple[ConsumerGroupHeartbeat | None, list]:
        """The poll timer ran out (checked only while the coordinator is known): the leave
        heartbeat goes at once, its response ignored, and the heartbeat state is reset."""
        member = self.membership
        if not self.coordinator_known or member.state in NOT_IN_GROUP:
            return None, []
        if member.state in (PREPARE_LEAVING, LEAVING):
            return None, []
        member.transition_to_sending_leave_group(poll_timer_expired=True)
        request, out = self._send(now)
        self._in_flight = False
        self._reset_backoff()
        self._sent = {}
        return request, out

    def _send(self, now: int) -> tuple[ConsumerGroupHeartbeat, list]:
        request = self._request()
        self._in_flight = True
        self._timer_us = now + self.interval_us
        return request, self.membership.on_heartbeat_sent()

    def _request(self) -> ConsumerGroupHeartbeat:
        """HeartbeatState.buildRequestData: everything when joining, otherwise only what changed
        since the last request (the owned partitions whenever the reconciled assignment, local
        epoch included, changed)."""
        member = self.membership
        everything = member.state == JOINING
        sent = self._sent

        def changed(field: str, value) -> bool:
            if everything or sent.get(field, _UNSENT) != value:
                sent[field] = value
                return True
            return False

        timeout = member.rebalance_timeout_us
        assignor = member.server_assignor
        return ConsumerGroupHeartbeat(
            member.member_id,
            member.epoch,
            member.instance_id,
            timeout if changed("rebalance", timeout) else None,
            (TOPIC,) if changed("topics", (TOPIC,)) else None,
            assignor if assignor is not None and changed("assignor", assignor) else None,
            member.current.partitions if changed("owned", member.current) else None,
        )

    def on_heartbeat_response(self, now: int, response: ConsumerGroupHeartbeatResponse) -> list:
        """onResponse / onErrorResponse. A stale or failed member takes no response (the leave
        at a poll timeout is sent with its response ignored)."""
        self._in_flight = False
        if self.membership.state in (STALE, FATAL):
            return []
        if response.error is not None:
            return self._error(now, response.error)
        if response.heartbeat_interval_us != self.interval_us:
            self.interval_us = response.heartbeat_interval_us
            self._timer_us = now + self.interval_us  # updateHeartbeatIntervalMs: updateAndReset
        self._reset_backoff()
        self._last_received_us = now
        self.membership.on_heartbeat_success(response.member_epoch, response.assignment)
        return []

    def _error(self, now: int, error: str) -> list:
        """onErrorResponse: the heartbeat state is reset (everything is sent again), the timer
        expires at once and the backoff grows, unless the error says to go at once."""
        self._sent = {}
        self._timer_us = now  # HeartbeatRequestState.onFailedAttempt: timer reset to 0
        self._last_received_us = now
        self._backoff_us = min(self.retry_backoff_us << self._attempts, self.retry_backoff_max_us)
        self._attempts += 1
        if error in RETRY_ERRORS:
            return []
        if error in COORDINATOR_ERRORS:
            self.coordinator_known = False  # markCoordinatorUnknown
            self._reset_backoff()
            self._last_received_us = NEVER
            return []
        if error in FENCING_ERRORS:
            self._reset_backoff()  # rejoin as soon as the partitions are released
            self._last_received_us = NEVER
            return self.membership.transition_to_fenced()
        return self.membership.transition_to_fatal(error)

    def _reset_backoff(self) -> None:
        self._attempts = 0
        self._backoff_us = self.retry_backoff_us

    def on_coordinator_found(self) -> None:
        self.coordinator_known = True
