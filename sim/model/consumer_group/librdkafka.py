"""librdkafka's side of a consumer group (`group.protocol=consumer`): the consumer-protocol paths of
its group handler (rdkafka_cgrp.c `rd_kafka_cgrp_consumer_*`,
`rd_kafka_cgrp_handle_ConsumerGroupHeartbeat`), as a pure state machine of the client's thread.

The protocol is always incremental here (rd_kafka_cgrp_rebalance_protocol: COOPERATIVE). A new
target assignment from a heartbeat response is reconciled in the client's join states: the
revoked partitions go first (a REVOKE rebalance op), then the added ones (an ASSIGN op), and once
the assignment has no operation left (its commits done, its new partitions' offsets fetched) the
next heartbeat acknowledges it, carrying the whole target as owned. With a rebalance callback
(`rebalance_callback`, every confluent-kafka application) each op waits for the application's
next poll, and meanwhile *every* assigned partition is paused (rd_kafka_rebalance_op_incr:
rd_kafka_assignment_pause), not only the revoked ones; without one the thread does the
(un)assign itself. A revoke commits the removed partitions' stored offsets with
enable.auto.commit, unless the assignment was lost (rd_kafka_assignment_serve_removals).

UNKNOWN_MEMBER_ID and FENCED_MEMBER_EPOCH lose the assignment and rejoin with epoch 0 and the same
(client-generated) member id; UNRELEASED_INSTANCE_ID, FENCED_INSTANCE_ID and any other error not
handled are fatal. A max.poll.interval.ms expiry stops heartbeats, revokes everything as lost,
then leaves (epoch -1, or -2 for a static member) and rejoins at the application's next poll.

Commands for the consumer: `Pause`, `RebalanceCallback` (the application's next poll runs it and
then calls `incremental_unassign` / `incremental_assign`), `Unassign` and `AddAssignment` (the
consumer reports `assignment_done` once no operation is left), and heartbeat requests to send.

`LibrdkafkaMembership` owns the membership's state and runs the rebalance ops and the leave here;
the heartbeat (its timing, request and response) is `librdkafka_heartbeat`, the join states and
the commands are `librdkafka_states`. It never reads a clock: `now` is an argument.
"""

from __future__ import annotations

from .librdkafka_heartbeat import LibrdkafkaHeartbeat
from .librdkafka_states import (
    INIT,
    JOIN_TRANSITIONS,
    REBALANCING,
    STEADY,
    WAIT_ASSIGN_CALL,
    WAIT_INCR_UNASSIGN_TO_COMPLETE,
    WAIT_UNASSIGN_CALL,
    AddAssignment,
    Pause,
    RebalanceCallback,
    Unassign,
)
from .messages import (
    LEAVE_GROUP_MEMBER_EPOCH,
    LEAVE_GROUP_STATIC_MEMBER_EPOCH,
    ConsumerGroupHeartbeat,
)

__all__ = [
    "INIT",
    "STEADY",
    "WAIT_ASSIGN_CALL",
    "WAIT_INCR_UNASSIGN_TO_COMPLETE",
    "WAIT_UNASSIGN_CALL",
    "AddAssignment",
    "LibrdkafkaMembership",
    "Pause",
    "RebalanceCallback",
    "Unassign",
]


class LibrdkafkaMembership(LibrdkafkaHeartbeat):
    def __init__(
        self,
        member_id: str,
        max_poll_interval_us: int,
        auto_commit: bool,
        rebalance_callback: bool = True,
        instance_id: str | None = None,
        remote_assignor: str | None = None,
        retry_backoff_max_us: int = 1_000_000,
    ):
        self.member_id = member_id  # rd_kafka_cgrp_new: a random Uuid for this protocol
        self.instance_id = instance_id
        self.max_poll_interval_us = max_poll_interval_us
        self.auto_commit = auto_commit
        self.rebalance_callback = rebalance_callback
        self.remote_assignor = remote_assignor
        self.retry_backoff_max_us = retry_backoff_max_us
        self.join_state = INIT
        self.epoch = -1  # rkcg_generation_id: heartbeats send max(0, it)
        self.subscribed = False
        self.coordinator_known = True
        self.fatal_error: str | None = None
        self.current: tuple[int, ...] = ()  # rkcg_current_assignment (acknowledged)
        self.target: tuple[int, ...] | None = None  # being reconciled
        self.next_target: tuple[int, ...] | None = None  # received, waiting for the next one
        self.assignment: tuple[int, ...] = ()  # rkcg_group_assignment: what the consumer has
        self.assignment_lost = False
        self.wait_ack = False
        self.sending_ack = False
        self.send_full = True
        self.wait_rejoin = False  # fenced: revoke everything as lost, then rejoin
        self.wait_rejoin_to_complete = False
        self.leave_on_unassign_done = False
        self.wait_leave = False
        self.max_poll_exceeded = False
        self.in_transit = False
        self.terminating = False
        self._incr_assignment: tuple[int, ...] | None = None  # to assign after the revoke
        self._rejoin_after = False  # rkcg_rebalance_rejoin
        # Heartbeat timing (rkcg_heartbeat_intvl, an rd_interval): the next heartbeat is due one
        # interval (as it is then) after the last, plus a one-off backoff.
        self.interval_us = 0
        self._last_us = -(1 << 62)
        self._backoff_us = 0
        self._expedite_retries = 0

    def _set_join_state(self, to: str) -> None:
        if to != self.join_state and to not in JOIN_TRANSITIONS[self.join_state]:
            raise AssertionError(f"join state cannot go from {self.join_state} to {to}")
        self.join_state = to

    def rebalancing(self) -> bool:
        """RD_KAFKA_CGRP_REBALANCING."""
        return self.join_state in REBALANCING or self._incr_assignment is not None

    def subscribe(self) -> None:
        """rd_kafka_cgrp_consumer_subscribe: the first heartbeat goes at once."""
        self.subscribed = True

    def _handle_assignment(self, target: tuple[int, ...]) -> list:
        """rd_kafka_cgrp_handle_assignment_cooperative: revoke what went, then assign what came
        (an assign op even when nothing came)."""
        revoked = tuple(p for p in self.assignment if p not in target)
        added = tuple(p for p in target if p not in self.assignment)
        if revoked:
            self._incr_assignment = added
            return self._rebalance_op("revoke", revoked)
        return self._rebalance_op("assign", added)

    def _rebalance_op(self, kind: str, partitions: tuple[int, ...], rejoin: bool = False) -> list:
        """rd_kafka_rebalance_op_incr: to the application's callback, else done here; after a
        fatal error everything is unassigned at once, without a callback."""
        self._rejoin_after = rejoin
        if self.fatal_error is not None:
            dropped, self.assignment = self.assignment, ()
            return [Unassign(dropped, commit=False)]
        self._set_join_state(WAIT_ASSIGN_CALL if kind == "assign" else WAIT_UNASSIGN_CALL)
        if self.rebalance_callback:
            return [Pause(), RebalanceCallback(kind, partitions, self.assignment_lost)]
        if kind == "assign":
            return self.incremental_assign(partitions)
        return self.incremental_unassign(partitions)

    def incremental_unassign(self, partitions: tuple[int, ...]) -> list:
        """rd_kafka_cgrp_incremental_unassign (the application's, or the thread's)."""
        self.assignment = tuple(p for p in self.assignment if p not in partitions)
        if self.join_state == WAIT_UNASSIGN_CALL:
            self._set_join_state(WAIT_INCR_UNASSIGN_TO_COMPLETE)
        commit = self.auto_commit and not self.assignment_lost
        return [Unassign(partitions, commit)]

    def incremental_assign(self, partitions: tuple[int, ...]) -> list:
        """rd_kafka_cgrp_incremental_assign."""
        self.assignment = tuple(sorted(self.assignment + partitions))
        if self.join_state == WAIT_ASSIGN_CALL:
            self._set_join_state(STEADY)
        self.assignment_lost = False
        return [AddAssignment(partitions)]

    def assignment_done(self, now: int) -> list:
        """rd_kafka_cgrp_consumer_assignment_done: the consumer has no assignment operation left
        (commits done, offsets fetched)."""
        if self.join_state == WAIT_INCR_UNASSIGN_TO_COMPLETE:
            return self._incr_unassign_done(now)
        if self.join_state not in (INIT, STEADY):
            return []
        leave = self._leave_maybe()
        if leave or self.terminating:
            return leave
        if self.join_state == INIT:
            self._expedite(now)
        elif self._rejoin_after:
            self._rejoin_after = False
            return self._rejoin(now)
        elif self.wait_ack:
            self._expedite(now)  # send the acknowledgement
        return []

    def _incr_unassign_done(self, now: int) -> list:
        """rd_kafka_cgrp_consumer_incr_unassign_done."""
        if self.terminating:
            self._set_join_state(STEADY)
            return self._leave_maybe()
        if self._incr_assignment is not None:
            added, self._incr_assignment = self._incr_assignment, None
            return self._rebalance_op("assign", added)
        if self._rejoin_after:
            self._rejoin_after = False
            return self._rejoin(now)
        self._set_join_state(STEADY)
        return []

    def _revoke_all(self, now: int, lost: bool) -> list:
        """rd_kafka_cgrp_revoke_all_rejoin, cooperative: revoke the whole assignment (as lost),
        then rejoin; with nothing assigned, rejoin at once."""
        if lost:
            self.assignment_lost = bool(self.assignment)
        if self.assignment:
            return self._rebalance_op("revoke", self.assignment, rejoin=not self.terminating)
        if self.terminating or self.fatal_error is not None:
            return []
        return self._rejoin(now)

    def _rejoin(self, now: int) -> list:
        """rd_kafka_cgrp_consumer_rejoin: leave if asked to, reset to epoch 0 and INIT
        (rd_kafka_cgrp_consumer_reset), then a full heartbeat at once."""
        leave = self._leave_maybe()
        self._reset()
        self._set_join_state(INIT)
        self._expedite(now)
        return leave

    def _reset(self) -> None:
        """rd_kafka_cgrp_consumer_reset: epoch 0, no current or target assignment, every
        consumer flag cleared but the pending rejoin."""
        self.epoch = 0
        self.current, self.target, self.next_target = (), None, None
        self.wait_ack = self.sending_ack = self.wait_rejoin = False

    def _leave_maybe(self) -> list:
        """rd_kafka_cgrp_leave_maybe, then rd_kafka_cgrp_consumer_leave: the leave heartbeat
        asked for by close() or a max.poll.interval.ms expiry, with epoch -1, or -2 for a static
        member; its answer goes to `on_leave_response`."""
        if not self.leave_on_unassign_done:
            return []
        self.leave_on_unassign_done = False
        self.wait_leave = True
        epoch = LEAVE_GROUP_MEMBER_EPOCH
        if self.instance_id is not None:
            epoch = LEAVE_GROUP_STATIC_MEMBER_EPOCH
        return [ConsumerGroupHeartbeat(self.member_id, epoch, self.instance_id)]

    def on_leave_response(self, now: int) -> None:
        """rd_kafka_cgrp_handle_ConsumerGroupHeartbeat_leave: whatever the answer, the member
        is out (reset to epoch 0); a rejoin waiting for it goes on."""
        self.wait_leave = False
        self._reset()
        self._expedite(now)

    def max_poll_exceeded_now(self) -> list:
        """rd_kafka_cgrp_max_poll_interval_check_tmr_cb: heartbeats stop until the application
        polls again; the assignment is revoked as lost, then the member leaves and rejoins."""
        self.max_poll_exceeded = True
        self.wait_rejoin = True
        self.leave_on_unassign_done = True
        return []

    def on_poll(self, now: int) -> None:
        """The application polled (rd_kafka_poll_set_app_poll: the max.poll.interval.ms timer
        restarts): heartbeats may go again."""
        if self.max_poll_exceeded:
            self.max_poll_exceeded = False
            self._expedite(now)

    def close(self) -> list:
        """rd_kafka_consumer_close: unassign everything (committing stored offsets with
        enable.auto.commit), then leave."""
        self.terminating = True
        self.leave_on_unassign_done = True
        if self.assignment:
            return self._rebalance_op("revoke", self.assignment)
        return self._leave_maybe()
