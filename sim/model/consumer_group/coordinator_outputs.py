"""What the consumer group coordinator outputs besides the outputs every coordinator shares
(`sim.model.coordinator_outputs`): which members' next heartbeats bring news, and, for the trace,
member and target assignment changes.

It owns no behaviour and never decides anything: the coordinator does.
"""

from __future__ import annotations

from dataclasses import dataclass

from .reconciliation import Member


@dataclass(frozen=True, slots=True)
class HeartbeatNeeded:
    """The member's next heartbeat must reach the coordinator: it brings news."""

    member_id: str


@dataclass(frozen=True, slots=True)
class MemberUpdated:
    """A member's epoch, state or assignment changed (the ConsumerGroupCurrentMemberAssignment
    record): for the trace, partition by partition."""

    member: Member


@dataclass(frozen=True, slots=True)
class TargetAssignment:
    """A new target assignment was computed for this epoch."""

    epoch: int
    assignment: tuple[tuple[str, tuple[int, ...]], ...]
