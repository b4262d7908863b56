"""librdkafka's ConsumerGroupHeartbeat in a consumer group (rdkafka_cgrp.c
`rd_kafka_cgrp_consumer_serve`, `rd_kafka_cgrp_consumer_group_heartbeat`,
`rd_kafka_cgrp_handle_ConsumerGroupHeartbeat`): when the next heartbeat goes (the interval, an
expedited one with its backoff), what it carries (everything, or the target it acknowledges), and
what its response or error does.

It owns the heartbeat timing and the target assignments received. It never (un)assigns: a new
target goes to the rebalance ops (`librdkafka`); it never reads a clock (`now` is an argument)."""

from __future__ import annotations

from .librdkafka_states import COORDINATOR_ERRORS, FENCING_ERRORS, INIT, STEADY
from .messages import TOPIC, ConsumerGroupHeartbeat, ConsumerGroupHeartbeatResponse


class LibrdkafkaHeartbeat:
    """The heartbeat's timing, request and response (a part of
    `sim.model.consumer_group.librdkafka.LibrdkafkaMembership`)."""

    def _expedite(self, now: int) -> None:
        """rd_kafka_cgrp_consumer_expedite_next_heartbeat: the interval is reset as if the last
        heartbeat went one interval ago, with a backoff of 2^(retries-1) ms since the last
        successful response, capped by retry.backoff.max.ms (jitter left out)."""
        backoff = 0
        if self._expedite_retries:
            backoff = min((1 << (self._expedite_retries - 1)) * 1_000, self.retry_backoff_max_us)
        self._last_us = now - self.interval_us
        self._backoff_us = backoff

    def _due_us(self) -> int:
        return self._last_us + self.interval_us + self._backoff_us

    def next_serve_us(self, now: int) -> int | None:
        """When `serve` will next send a heartbeat (None: not in this state). Call `serve` then,
        and after every input."""
        if not self._heartbeat_allowed():
            return None
        return max(self._due_us(), now)

    def _heartbeat_allowed(self) -> bool:
        """rd_kafka_cgrp_consumer_heartbeat_preconditions_met."""
        return (
            self.subscribed
            and self.fatal_error is None
            and self.coordinator_known
            and not self.in_transit
            and (not self.wait_rejoin_to_complete or self.join_state == INIT)  # INIT clears it
            and not self.max_poll_exceeded
            and not self.wait_leave
            and not self.leave_on_unassign_done
        )

    def serve(self, now: int) -> list:
        """rd_kafka_cgrp_consumer_serve: a fenced member revokes everything first (once no
        rebalance is under way); then the heartbeat goes if its interval has passed, acknowledging
        a reconciled assignment in the steady state."""
        if self.fatal_error is not None:
            return []
        out: list = []
        if self.wait_rejoin and not self.rebalancing():
            self.wait_rejoin = False
            self.wait_rejoin_to_complete = True
            out += self._revoke_all(now, lost=True)
        full = self.send_full
        if self.join_state == INIT:
            self.wait_rejoin_to_complete = False
            full = True
        send_ack = self.join_state == STEADY and self.wait_ack
        if self._heartbeat_allowed() and now >= self._due_us():
            out.append(self._heartbeat(full, send_ack))
            self._last_us, self._backoff_us = now, 0
        return out

    def _heartbeat(self, full: bool, send_ack: bool) -> ConsumerGroupHeartbeat:
        """rd_kafka_cgrp_consumer_group_heartbeat: a full request carries the instance id, the
        rebalance timeout, the subscription, the assignor and the current assignment; an ack
        carries the target being acknowledged."""
        self.in_transit = True
        self._expedite_retries += 1
        owned = None
        if send_ack:
            owned = self.target
            self.sending_ack = True
        elif full:
            owned = self.current
        return ConsumerGroupHeartbeat(
            self.member_id,
            max(self.epoch, 0),
            self.instance_id if full else None,
            self.max_poll_interval_us if full else None,
            (TOPIC,) if full else None,
            self.remote_assignor if full else None,
            owned,
        )

    def on_heartbeat_response(self, now: int, response: ConsumerGroupHeartbeatResponse) -> list:
        """rd_kafka_cgrp_handle_ConsumerGroupHeartbeat."""
        self.in_transit = False
        if response.error is not None:
            return self._heartbeat_error(now, response.error)
        self.epoch = response.member_epoch
        if self.wait_leave:
            return []  # __OUTDATED: the member is leaving
        if response.heartbeat_interval_us > 0:
            self.interval_us = response.heartbeat_interval_us
        if response.assignment is not None:
            known = self.target if self.target is not None else self.current
            self.next_target = response.assignment if response.assignment != known else None
        out: list = []
        if self.join_state == STEADY and self.wait_ack and self.target is not None:
            if self.sending_ack:
                self.current, self.target = self.target, None
                self.wait_ack = False
            else:
                self._expedite(now)  # reconciled meanwhile: acknowledge now
        if self.next_target is not None:
            out += self._next_assignment()
        self.sending_ack = False
        self.send_full = False
        self._expedite_retries = 0
        return out

    def _next_assignment(self) -> list:
        """rd_kafka_cgrp_consumer_handle_next_assignment: one reconciliation at a time, started
        only from INIT or STEADY."""
        if self.wait_ack:
            return []  # postponed: handled at a later response
        known = self.target if self.target is not None else self.current
        if self.next_target == known:
            self.next_target = None
            return []
        if self.join_state not in (INIT, STEADY):
            return []
        self.wait_ack = True
        self.target, self.next_target = self.next_target, None
        return self._handle_assignment(self.target)

    def _heartbeat_error(self, now: int, error: str) -> list:
        if error == "COORDINATOR_LOAD_IN_PROGRESS":
            self._expedite(now)  # the request is retried (rd_kafka_buf_retry)
            return []
        if error in COORDINATOR_ERRORS:
            self.send_full = True  # re-query the coordinator; the next heartbeat says everything
            self.coordinator_known = False
            return []
        if error in FENCING_ERRORS:
            self.wait_rejoin = True
            return []
        self.fatal_error = error  # rd_kafka_set_fatal_error, then revoke everything as lost
        return self._revoke_all(now, lost=True)

    def on_commit_error(self, now: int, error: str, manual: bool) -> bool:
        """rd_kafka_cgrp_op_handle_OffsetCommit, consumer protocol: UNKNOWN_MEMBER_ID and
        STALE_MEMBER_EPOCH do not touch the assignment, they only expedite the next heartbeat
        (whose answer tells the member where it stands). A STALE_MEMBER_EPOCH commit other than
        the application's own (`manual`) is retried with the epoch current then, until
        session.timeout.ms after its first failure (rd_kafka_cgrp_consumer_defer_offset_commit).
        Returns whether to retry."""
        if error in ("UNKNOWN_MEMBER_ID", "STALE_MEMBER_EPOCH"):
            self._expedite(now)
        return error == "STALE_MEMBER_EPOCH" and not manual

    def on_coordinator_found(self, now: int) -> None:
        self.coordinator_known = True
        self._expedite(now)
