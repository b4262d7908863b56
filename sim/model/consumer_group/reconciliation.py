"""How one member of a consumer group moves towards its target assignment: the coordinator's
reconciliation engine (CurrentAssignmentBuilder), as a pure function over immutable members.

A partition never has two owners: the coordinator gives a member a partition only once no other
member holds it (its "partition epoch" is gone), and a member gives one up only by no longer
reporting it in its heartbeat. So a move is two steps: the owner revokes (UNREVOKED_PARTITIONS,
keeping its epoch until it acknowledges), then the new owner gets it (UNRELEASED_PARTITIONS until
then). A member reports the partitions it owns with its heartbeats; `owned = None` means the
heartbeat did not carry them (unchanged since the last one it sent).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

STABLE = "STABLE"
UNREVOKED_PARTITIONS = "UNREVOKED_PARTITIONS"
UNRELEASED_PARTITIONS = "UNRELEASED_PARTITIONS"

# The member states and where each may go (modern.MemberState; CurrentAssignmentBuilder.build).
MEMBER_TRANSITIONS = {
    STABLE: frozenset({STABLE, UNREVOKED_PARTITIONS, UNRELEASED_PARTITIONS}),
    UNREVOKED_PARTITIONS: frozenset({STABLE, UNREVOKED_PARTITIONS, UNRELEASED_PARTITIONS}),
    UNRELEASED_PARTITIONS: frozenset({STABLE, UNREVOKED_PARTITIONS, UNRELEASED_PARTITIONS}),
}


@dataclass(frozen=True, slots=True)
class Member:
    """A consumer group member as the coordinator keeps it (ConsumerGroupMember). `assigned`
    excludes the partitions pending revocation; the member owns both until it acknowledges."""

    member_id: str
    instance_id: str | None = None
    rebalance_timeout_us: int = 0
    server_assignor: str | None = None
    epoch: int = 0
    previous_epoch: int = -1  # ConsumerGroupMember.Builder's default
    state: str = STABLE
    assigned: tuple[int, ...] = ()
    pending_revocation: tuple[int, ...] = ()

    def reconciled_to(self, target_epoch: int) -> bool:
        """ModernGroupMember.isReconciledTo."""
        return self.state == STABLE and self.epoch == target_epoch

    def holds(self) -> tuple[int, ...]:
        """Every partition this member owns as far as the coordinator knows."""
        return tuple(sorted(self.assigned + self.pending_revocation))

    def with_epoch(self, epoch: int, **changes) -> Member:
        """ConsumerGroupMember.Builder.updateMemberEpoch: the old epoch becomes the previous one
        (even when it does not change)."""
        return replace(self, epoch=epoch, previous_epoch=self.epoch, **changes)


def reconcile(
    member: Member,
    target_epoch: int,
    target: tuple[int, ...],
    partition_epoch: Callable[[int], int],
    owned: tuple[int, ...] | None,
) -> Member:
    """CurrentAssignmentBuilder.build: the member's next state. `partition_epoch(p)` is the epoch
    of p's current owner, -1 when nobody owns it."""
    if member.state == STABLE:
        if member.epoch == target_epoch:
            return member
        return _next_assignment(member, member.epoch, target_epoch, target, partition_epoch, owned)
    if member.state == UNREVOKED_PARTITIONS:
        if _still_owns(owned, member.pending_revocation):
            return member
        # Revoked: on to the next epoch, and towards the latest target.
        epoch = member.epoch + 1
        return _next_assignment(member, epoch, target_epoch, target, partition_epoch, owned)
    # UNRELEASED_PARTITIONS: take whatever was released since.
    return _next_assignment(member, member.epoch, target_epoch, target, partition_epoch, owned)


def _still_owns(owned: tuple[int, ...] | None, revoking) -> bool:
    """ownsRevokedPartitions: a heartbeat that does not report its partitions proves nothing."""
    if owned is None:
        return True
    return any(p in revoking for p in owned)


def _next_assignment(
    member: Member,
    epoch: int,
    target_epoch: int,
    target: tuple[int, ...],
    partition_epoch: Callable[[int], int],
    owned: tuple[int, ...] | None,
) -> Member:
    """computeNextAssignment: keep what is still targeted, revoke the rest first; otherwise take
    the targeted partitions nobody holds and move to the target epoch."""
    current = member.assigned
    kept = tuple(p for p in current if p in target)
    revoking = tuple(p for p in current if p not in target)
    wanted = tuple(p for p in target if p not in kept)
    free = tuple(p for p in wanted if partition_epoch(p) == -1)
    unreleased = len(free) < len(wanted)
    if revoking and _still_owns(owned, revoking):
        # Stay in this epoch until the member acknowledges the revocation.
        return member.with_epoch(
            epoch, state=UNREVOKED_PARTITIONS, assigned=kept, pending_revocation=revoking
        )
    state = UNRELEASED_PARTITIONS if unreleased else STABLE
    assigned = tuple(sorted(kept + free))
    return member.with_epoch(target_epoch, state=state, assigned=assigned, pending_revocation=())
