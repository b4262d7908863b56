"""What a group coordinator tells its driver, and whether a broker serves the group: shared by the
classic group (`sim.model.coordinator`), the consumer group (`sim.model.consumer_group`) and the
transaction coordinator (`sim.model.transactions`).

It owns the output types (a reply, a timer to set, a notice for the trace) and the serving status
(CoordinatorRuntime's coordinator states, simplified). It never decides anything: the coordinators
do.
"""

from __future__ import annotations

from dataclasses import dataclass

from .messages import CommitResponse

# Whether a broker serves the group (CoordinatorRuntime's coordinator states, simplified), and the
# error every request gets while none does.
ACTIVE = "ACTIVE"
UNAVAILABLE = "UNAVAILABLE"  # the old broker let go, the new one has not started loading
LOADING = "LOADING"  # the new broker replays __consumer_offsets
NOT_SERVING_ERRORS = {UNAVAILABLE: "NOT_COORDINATOR", LOADING: "COORDINATOR_LOAD_IN_PROGRESS"}

STORED = CommitResponse(None)  # every accepted commit's response (immutable: shared)


# Outputs: what the driver must do after an input.
@dataclass(slots=True)  # made per batch: not frozen (see sim.model.commands)
class Reply:
    request_id: int
    response: object


@dataclass(frozen=True, slots=True)
class SetTimer:
    at_us: int
    token: tuple


@dataclass(frozen=True, slots=True)
class NotifyRebalance:
    """The member will learn from its next heartbeat that the group is rebalancing."""

    member_id: str


@dataclass(frozen=True, slots=True)
class RebalanceStarted:
    generation: int


@dataclass(frozen=True, slots=True)
class GroupStable:
    generation: int
    assignment: tuple[tuple[str, tuple[int, ...]], ...]


@dataclass(slots=True)  # made per batch: not frozen (see sim.model.commands)
class CommitApplied:
    request_id: int
    offsets: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class CancelTimers:
    """Every timer asked for so far is void (the old coordinator unloaded: timer.cancelAll())."""


@dataclass(frozen=True, slots=True)
class OffsetsExpired:
    """The retention cleanup deleted these partitions' committed offsets."""

    partitions: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class MemberRemoved:
    member_id: str
    reason: str  # "leave" | "session-expired" | "not-rejoined" | "not-synced" | "replaced"
