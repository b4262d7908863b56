"""librdkafka's consumer-protocol join states and the commands its group handler gives the
consumer (rdkafka_cgrp.c, `rd_kafka_cgrp_join_state_t`; rdkafka_assignment.c).

It owns no behaviour and never moves a member: `sim.model.consumer_group.librdkafka` moves through
these states and emits these commands.
"""

from __future__ import annotations

from dataclasses import dataclass

# Join states of the consumer protocol (rd_kafka_cgrp_join_state_t) and where each may go.
INIT = "INIT"
STEADY = "STEADY"
WAIT_UNASSIGN_CALL = "WAIT_UNASSIGN_CALL"
WAIT_ASSIGN_CALL = "WAIT_ASSIGN_CALL"
WAIT_INCR_UNASSIGN_TO_COMPLETE = "WAIT_INCR_UNASSIGN_TO_COMPLETE"
JOIN_TRANSITIONS = {
    INIT: frozenset({WAIT_UNASSIGN_CALL, WAIT_ASSIGN_CALL}),
    STEADY: frozenset({WAIT_UNASSIGN_CALL, WAIT_ASSIGN_CALL, INIT}),
    WAIT_UNASSIGN_CALL: frozenset({WAIT_INCR_UNASSIGN_TO_COMPLETE}),
    WAIT_ASSIGN_CALL: frozenset({STEADY}),
    WAIT_INCR_UNASSIGN_TO_COMPLETE: frozenset({WAIT_ASSIGN_CALL, STEADY, INIT}),
}
REBALANCING = frozenset({WAIT_UNASSIGN_CALL, WAIT_ASSIGN_CALL, WAIT_INCR_UNASSIGN_TO_COMPLETE})
COORDINATOR_ERRORS = frozenset(
    {"NOT_COORDINATOR", "COORDINATOR_NOT_AVAILABLE", "UNKNOWN"}  # UNKNOWN: a lost connection
)
FENCING_ERRORS = frozenset({"UNKNOWN_MEMBER_ID", "FENCED_MEMBER_EPOCH"})


@dataclass(frozen=True, slots=True)
class Pause:
    """rd_kafka_assignment_pause: no messages from any assigned partition until the application
    serves the rebalance callback."""


@dataclass(frozen=True, slots=True)
class RebalanceCallback:
    """The rebalance op for the application's next poll: its callback runs, then calls
    `incremental_unassign` (revoke, lost) or `incremental_assign` (assign) with these."""

    kind: str  # "revoke" | "assign"
    partitions: tuple[int, ...]
    lost: bool = False


@dataclass(frozen=True, slots=True)
class Unassign:
    """rd_kafka_assignment_subtract, then serve_removals: stop these partitions and, if `commit`,
    commit their stored offsets; report `assignment_done` when no commit is outstanding."""

    partitions: tuple[int, ...]
    commit: bool


@dataclass(frozen=True, slots=True)
class AddAssignment:
    """rd_kafka_assignment_add: fetch these partitions' committed offsets (OffsetFetch with the
    member epoch); report `assignment_done` when they are known."""

    partitions: tuple[int, ...]
