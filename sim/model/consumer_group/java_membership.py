"""The Java consumer's membership in a consumer group (AsyncKafkaConsumer, `group.protocol=
consumer`): ConsumerMembershipManager over AbstractMembershipManager, as a pure state machine of
the consumer's background thread. Its heartbeats are `java_heartbeat`'s.

The rules, after the KAFKA-18641 fix (apache/kafka PR #18737, 2025): reconciliation and the
interval auto commit are triggered from the application's `poll()` (`on_poll`), which waits until
their commit requests are made, so an auto commit covers only records the application has
finished. A reconciliation marks the revoked partitions pending revocation (no more records of
them), commits all consumed positions if auto commit is on (retried until the rebalance timeout),
runs onPartitionsRevoked, assigns, runs onPartitionsAssigned, then acknowledges with an immediate
heartbeat carrying the partitions it now owns. A fenced member (FENCED_MEMBER_EPOCH,
UNKNOWN_MEMBER_ID) runs onPartitionsLost and rejoins with epoch 0 and the same member id; a member
whose max.poll.interval.ms ran out leaves at once and runs onPartitionsLost, and rejoins at its
next poll.

What the consumer must do comes out as commands (`Revoking`, `CommitConsumed`, `AutoCommit`,
`Callback`, `Assign`, in `java_member_states` with the member states); their outcomes come back
through `on_commit_done`, `on_auto_commit_done` and `on_callback_done`. It never reads a clock:
`now` is an argument.
"""

from __future__ import annotations

from .java_leaving import Leaving
from .java_member_states import (
    ACKNOWLEDGING,
    ENTERED_FROM,
    FATAL,
    FENCED,
    JOINING,
    LEAVING,
    NONE,
    NOT_IN_GROUP,
    PREPARE_LEAVING,
    RECONCILING,
    RETRIABLE_AUTO_COMMIT_ERRORS,
    STABLE,
    STALE,
    UNSUBSCRIBED,
    Assign,
    AutoCommit,
    Callback,
    CommitConsumed,
    LocalAssignment,
    Revoking,
)

__all__ = [
    "ACKNOWLEDGING",
    "FATAL",
    "FENCED",
    "JOINING",
    "LEAVING",
    "NOT_IN_GROUP",
    "PREPARE_LEAVING",
    "RECONCILING",
    "STABLE",
    "STALE",
    "UNSUBSCRIBED",
    "Assign",
    "AutoCommit",
    "Callback",
    "CommitConsumed",
    "JavaMembership",
    "LocalAssignment",
    "Revoking",
]


class JavaMembership(Leaving):
    def __init__(
        self,
        member_id: str,
        rebalance_timeout_us: int,
        auto_commit: bool = False,
        auto_commit_interval_us: int = 5_000_000,
        retry_backoff_us: int = 100_000,
        instance_id: str | None = None,
        server_assignor: str | None = None,
        now: int = 0,
    ):
        self.member_id = member_id
        self.instance_id = instance_id
        self.rebalance_timeout_us = rebalance_timeout_us  # max.poll.interval.ms
        self.server_assignor = server_assignor  # group.remote.assignor
        self.auto_commit = auto_commit
        self.auto_commit_interval_us = auto_commit_interval_us
        self.retry_backoff_us = retry_backoff_us
        self.state = UNSUBSCRIBED
        self.epoch = 0
        self.assigned: tuple[int, ...] = ()  # the subscription state's assigned partitions
        self.current = NONE  # the last assignment reconciled
        self.target = NONE  # the last assignment received
        self.subscribed = False  # subscribe() was called: the next poll joins
        self.fatal_error: str | None = None
        self.poll_timer_expired = False  # isPollTimerExpired
        # The reconciliation under way: its step, what it revokes and adds, what it resolves to.
        self._step: str | None = None
        self._revoked: tuple[int, ...] = ()
        self._added: tuple[int, ...] = ()
        self._resolved = NONE
        self._rejoined = False  # rejoinedWhileReconciliationInProgress
        self._callbacks: dict[int, str] = {}  # a pending Callback's sequence -> what it is for
        self._sequence = 0
        # The auto-commit timer (CommitRequestManager.AutoCommitState), from the consumer's start.
        self.auto_commit_due_us = now + auto_commit_interval_us
        self._auto_commit_in_flight = False

    def _transition(self, to: str) -> None:
        if to != self.state and self.state not in ENTERED_FROM[to]:
            raise AssertionError(f"member cannot go from {self.state} to {to}")
        self.state = to

    def commit_member(self) -> tuple[str, int]:
        """The member id and epoch commits carry (CommitRequestManager.onMemberEpochUpdated):
        none once the member is out of the group (epoch 0 or below)."""
        if self.epoch > 0:
            return self.member_id, self.epoch
        return "", -1

    def subscribe(self) -> None:
        """onSubscriptionUpdated: the member joins at its next poll."""
        self.subscribed = True

    # ---- the application's poll -----------------------------------------------------------------
    def on_poll(self, now: int) -> list:
        """The PollEvent, processed while poll() waits (ApplicationEventProcessor after
        KAFKA-18641): the interval auto commit, the pending reconciliation, a join after
        subscribe(), and the poll timer's reset (a stale member rejoins once its partitions are
        released: maybeRejoinStaleMember)."""
        out: list = []
        if self.auto_commit and now >= self.auto_commit_due_us and not self._auto_commit_in_flight:
            # The timer restarts a full interval whether or not anything is committed.
            self.auto_commit_due_us = now + self.auto_commit_interval_us
            self._auto_commit_in_flight = True
            out.append(AutoCommit())
        if self.state == RECONCILING:
            out += self._maybe_reconcile(now)
        if self.subscribed and self.state == UNSUBSCRIBED:
            self.subscribed = False
            self._join()
        self.poll_timer_expired = False
        if self.state == STALE and "lost" not in self._callbacks.values():
            self._join()
        return out

    def restart_auto_commit(self, now: int) -> None:
        """The auto-commit timer starts with the consumer (AutoCommitState's constructor)."""
        self.auto_commit_due_us = now + self.auto_commit_interval_us

    def on_auto_commit_done(self, now: int, error: str | None) -> None:
        """A retriable failure re-arms the timer after retry.backoff.ms; others wait for the
        next interval (maybeResetTimerWithBackoff)."""
        self._auto_commit_in_flight = False
        if error in RETRIABLE_AUTO_COMMIT_ERRORS:
            self.auto_commit_due_us = now + self.retry_backoff_us

    def _callback(self, method: str, partitions: tuple[int, ...], why: str) -> Callback:
        self._sequence += 1
        self._callbacks[self._sequence] = why
        return Callback(method, partitions, self._sequence)

    def on_callback_done(self, now: int, sequence: int, failed: bool = False) -> list:
        """A rebalance listener method returned (or threw: `failed`)."""
        why = self._callbacks.pop(sequence)
        if why == "lost":
            return self._released()
        if why == "leave":
            return self._left()
        return self._reconciled_step(now, failed)

    # ---- heartbeat results (from java_heartbeat) -------------------------------------------------
    def on_heartbeat_success(self, member_epoch: int, assignment: tuple[int, ...] | None) -> None:
        """onHeartbeatSuccess: a member out of the group or leaving ignores it; otherwise the
        epoch, and a new assignment to reconcile (if the member can take one)."""
        if self.state == LEAVING or self.state in NOT_IN_GROUP:
            return
        self.epoch = member_epoch
        if assignment is not None and self.state in ENTERED_FROM[RECONCILING]:
            self.target = self.target.update_with(assignment)
            if self.target != self.current:
                self._transition(RECONCILING)
            elif self.state in (RECONCILING, JOINING):
                self._transition(STABLE)

    def on_heartbeat_sent(self) -> list:
        """onHeartbeatRequestGenerated: acknowledging and leaving end once their heartbeat is
        out; a member that left at a poll timeout goes STALE and runs onPartitionsLost
        (transitionToStale)."""
        if self.state == ACKNOWLEDGING:
            self._transition(STABLE if self.target == self.current else RECONCILING)
        elif self.state == LEAVING:
            if self.poll_timer_expired:
                self._transition(STALE)
                return self._release()
            self._transition(UNSUBSCRIBED)
        return []

    def on_heartbeat_skipped(self) -> None:
        """onHeartbeatRequestSkipped: a leave that cannot be sent (no coordinator) is dropped."""
        if self.state == LEAVING:
            self._transition(UNSUBSCRIBED)

    def heartbeat_now(self) -> bool:
        """shouldHeartbeatNow: joining, acknowledging and leaving do not wait for the interval."""
        return self.state in (ACKNOWLEDGING, LEAVING, JOINING)

    # ---- reconciliation --------------------------------------------------------------------------
    def _maybe_reconcile(self, now: int) -> list:
        """maybeReconcile: nothing if reconciled or a reconciliation is under way; an assignment
        equal to the current one is only acknowledged; otherwise revoke, commit, call back."""
        if self.target == self.current or self._step is not None:
            return []
        if self.current != NONE and self.target.partitions == self.current.partitions:
            self.current = self.target
            self._transition(ACKNOWLEDGING)
            return []
        self._resolved = self.target
        self._rejoined = False
        wanted = self.target.partitions
        self._revoked = tuple(p for p in self.assigned if p not in wanted)
        self._added = tuple(p for p in wanted if p not in self.assigned)
        out: list = []
        if self._revoked:
            out.append(Revoking(self._revoked))
        if self.auto_commit:
            self._step = "commit"
            out.append(CommitConsumed(now + self.rebalance_timeout_us))
            return out
        return out + self._revoke_and_assign()

    def on_commit_done(self, now: int, error: str | None) -> list:
        """The commit before revocation finished; whatever its outcome, the reconciliation goes
        on (unless it became irrelevant meanwhile)."""
        if self._step != "commit" or self._aborted():
            return []
        return self._revoke_and_assign()

    def _revoke_and_assign(self) -> list:
        if self._revoked:
            self._step = "revoked"
            return [self._callback("revoked", self._revoked, "reconcile")]
        return self._assign()

    def _assign(self) -> list:
        self._step = "assigned"
        self.assigned = self._resolved.partitions
        assigned = self._callback("assigned", self._added, "reconcile")
        return [Assign(self.assigned, self._added), assigned]

    def _reconciled_step(self, now: int, failed: bool) -> list:
        if failed:
            # No acknowledgement: the coordinator's rebalance timeout fences the member.
            self._step = None
            return []
        if self._aborted():
            return []
        if self._step == "revoked":
            return self._assign()
        self._step = None
        self.current = self._resolved
        # signalReconciliationCompleting: the auto-commit interval starts again from now.
        self.auto_commit_due_us = now + self.auto_commit_interval_us
        self._transition(ACKNOWLEDGING)
        return []

    def _aborted(self) -> bool:
        """maybeAbortReconciliation: the member left RECONCILING or rejoined meanwhile."""
        if self.state != RECONCILING or self._rejoined:
            self._step = None
            return True
        return False
