"""The classic group as its coordinator holds it: the group states and the table of transitions
(ClassicGroupState), a member, and the group as __consumer_offsets persists it.

It owns no behaviour beyond a member's session expiry and never changes the group:
`sim.model.coordinator` does.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..messages import Subscription

EMPTY = "EMPTY"
PREPARING_REBALANCE = "PREPARING_REBALANCE"
COMPLETING_REBALANCE = "COMPLETING_REBALANCE"
STABLE = "STABLE"

# The classic group's state table (Kafka's ClassicGroupState valid previous states): a group
# empties only through PREPARING_REBALANCE, whose join phase completes with nobody in it.
TRANSITIONS = {
    EMPTY: frozenset({PREPARING_REBALANCE}),
    PREPARING_REBALANCE: frozenset({COMPLETING_REBALANCE, EMPTY}),
    COMPLETING_REBALANCE: frozenset({STABLE, PREPARING_REBALANCE}),
    STABLE: frozenset({PREPARING_REBALANCE}),
}

DAY_US = 24 * 3600 * 1_000_000


@dataclass
class Member:
    member_id: str
    session_timeout_us: int
    rebalance_timeout_us: int
    join_request: int | None = None  # a parked JoinGroup
    sync_request: int | None = None  # a parked SyncGroup
    stopped_heartbeat_us: int | None = None  # None: heartbeating
    deadline_reset_us: int = 0  # when the coordinator last reset its session deadline
    assignment: tuple[int, ...] = ()
    subscription: Subscription = Subscription()  # its JoinGroup metadata, handed to the leader
    instance_id: str | None = None  # a static member's group.instance.id

    def expiry_us(self) -> int | None:
        if self.stopped_heartbeat_us is None:
            return None
        return max(self.stopped_heartbeat_us, self.deadline_reset_us) + self.session_timeout_us


@dataclass(frozen=True)
class PersistedGroup:
    """The group as its last GroupMetadata record in __consumer_offsets holds it: written when a
    generation becomes stable (the leader's assignment) and when the group becomes empty."""

    state: str
    generation: int
    leader: str | None
    members: tuple[Member, ...]  # copies, nothing parked
    empty_since_us: int
