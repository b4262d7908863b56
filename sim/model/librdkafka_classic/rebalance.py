"""What a rebalance does to a librdkafka consumer (classic protocol, eager): the notices that start
one, the revoke with its commit, and close().

- With a rebalance callback (`rebalance_callback`, every confluent-kafka application) the
  partitions are paused and the application revokes at its next poll; without one the client's
  thread unassigns at once (`thread_rejoin`).
- On revoke and close the stored offsets of the removed partitions are committed, with
  enable.auto.commit and unless the assignment was lost; the rejoin and close's LeaveGroup wait for
  every outstanding commit (rdkafka_assignment.c rd_kafka_assignment_serve_removals,
  rd_kafka_assignment_serve).

It owns the closing flag and the rebalance-in-progress test; it never sends a group request of the
thread's own rejoin (`thread_rejoin`)."""

from __future__ import annotations

from ..commands import Send, Wait
from ..java_classic.state import (
    COMPLETING_REBALANCE,
    NO_GENERATION,
    PREPARING_REBALANCE,
    STABLE,
    UNJOINED,
)
from ..messages import LeaveGroup


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


class Rebalance:
    """Rebalance notices, the revoke and close() (a part of
    `sim.model.librdkafka.LibrdkafkaConsumer`)."""

    def _rebalancing(self) -> bool:
        """RD_KAFKA_CGRP_REBALANCING: from the rebalance notice until the join completes."""
        return (
            self.rejoin_needed
            or self.background_join
            or self.state in (PREPARING_REBALANCE, COMPLETING_REBALANCE)
        )

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

    def on_client_session_timeout(self) -> list:
        """rd_kafka_cgrp_session_timeout_check: no successful heartbeat for session.timeout.ms:
        the member id is reset and the assignment is lost (revoked without a commit)."""
        if self.state != STABLE:
            return []
        self._reset_generation(reset_member=True)
        return self._thread_revoke(lost=True)

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
