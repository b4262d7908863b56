"""The Java consumer's member states in a consumer group (MemberState.java, with the states each
may be entered from), the commands its membership manager gives the consumer, and the local
assignment it reconciles (AbstractMembershipManager.LocalAssignment).

It owns no behaviour beyond comparing local assignments, and never moves a member:
`sim.model.consumer_group.java_membership` moves through these states and emits these commands.
"""

from __future__ import annotations

from dataclasses import dataclass

# The member's states (clients/.../internals/MemberState.java) and the states each may be entered
# from (its static block of previousValidStates).
UNSUBSCRIBED = "UNSUBSCRIBED"
JOINING = "JOINING"
RECONCILING = "RECONCILING"
ACKNOWLEDGING = "ACKNOWLEDGING"
STABLE = "STABLE"
FENCED = "FENCED"
PREPARE_LEAVING = "PREPARE_LEAVING"
LEAVING = "LEAVING"
FATAL = "FATAL"
STALE = "STALE"

ENTERED_FROM = {
    STABLE: frozenset({JOINING, ACKNOWLEDGING, RECONCILING}),
    RECONCILING: frozenset({STABLE, JOINING, ACKNOWLEDGING, RECONCILING}),
    ACKNOWLEDGING: frozenset({RECONCILING}),
    FATAL: frozenset(
        {JOINING, STABLE, RECONCILING, ACKNOWLEDGING, PREPARE_LEAVING, LEAVING, UNSUBSCRIBED}
    ),
    FENCED: frozenset({JOINING, STABLE, RECONCILING, ACKNOWLEDGING, PREPARE_LEAVING, LEAVING}),
    JOINING: frozenset({FENCED, UNSUBSCRIBED, STALE}),
    PREPARE_LEAVING: frozenset({JOINING, STABLE, RECONCILING, ACKNOWLEDGING, UNSUBSCRIBED}),
    LEAVING: frozenset({PREPARE_LEAVING}),
    UNSUBSCRIBED: frozenset({PREPARE_LEAVING, LEAVING, FENCED}),
    STALE: frozenset({LEAVING}),
}
NOT_IN_GROUP = frozenset({UNSUBSCRIBED, FENCED, FATAL, STALE})  # isNotInGroup: no heartbeats
# Auto-commit failures after which its timer waits retry.backoff.ms (RetriableCommitFailed).
RETRIABLE_AUTO_COMMIT_ERRORS = frozenset(
    {
        "COORDINATOR_LOAD_IN_PROGRESS",
        "NOT_COORDINATOR",
        "COORDINATOR_NOT_AVAILABLE",
        "REQUEST_TIMED_OUT",
        "UNKNOWN",
    }
)


# ---- commands for the consumer -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Revoking:
    """markPendingRevocation: poll() returns no more records of these partitions."""

    partitions: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class CommitConsumed:
    """maybeAutoCommitSyncBeforeRevocation: commit the positions of every assigned partition,
    retrying retriable errors and STALE_MEMBER_EPOCH (with the latest epoch) until the deadline;
    report with `on_commit_done`."""

    deadline_us: int


@dataclass(frozen=True, slots=True)
class AutoCommit:
    """maybeAutoCommitAsync: commit the positions of every assigned partition, async, not
    retried; report with `on_auto_commit_done`."""


@dataclass(frozen=True, slots=True)
class Callback:
    """Run the rebalance listener's method on the application thread (inside its poll, or in
    close()); report with `on_callback_done(sequence)`."""

    method: str  # "revoked" | "assigned" | "lost"
    partitions: tuple[int, ...]
    sequence: int


@dataclass(frozen=True, slots=True)
class Assign:
    """The subscription state's new assignment; `added` fetch nothing until their
    onPartitionsAssigned has run (assignFromSubscribedAwaitingCallback)."""

    partitions: tuple[int, ...]
    added: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class LocalAssignment:
    """An assignment with a local epoch bumped whenever it changes, so that the same set received
    again after a change differs (AbstractMembershipManager.LocalAssignment)."""

    local_epoch: int
    partitions: tuple[int, ...]

    def update_with(self, partitions: tuple[int, ...]) -> LocalAssignment:
        if self.local_epoch != NONE.local_epoch and partitions == self.partitions:
            return self
        return LocalAssignment(self.local_epoch + 1, partitions)


NONE = LocalAssignment(-1, ())
