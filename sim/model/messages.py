"""What crosses the network between a consumer and the group coordinator.

Requests and responses of the classic group protocol, in Kafka's names. Offsets travel as
tuples of (partition, offset) pairs sorted by partition, so every message is hashable, ordered
and cheap to record. It owns the message types only; it never decides anything: the consumers
and the coordinator do.
"""

from __future__ import annotations

from dataclasses import dataclass

Offsets = tuple[tuple[int, int], ...]

# Errors a commitSync retries after rediscovering the coordinator (docs/semantics.md §6).
RETRIABLE_COMMIT_ERRORS = frozenset(
    {
        "COORDINATOR_LOAD_IN_PROGRESS",
        "NOT_COORDINATOR",
        "COORDINATOR_NOT_AVAILABLE",
        "REQUEST_TIMED_OUT",
        "UNKNOWN",  # the connection failed with the request in flight: the outcome is unknown
    }
)


# Errors that mean "this broker does not (yet) serve the group": the client rediscovers the
# coordinator and retries the request after retry.backoff.ms, keeping its generation
# (AbstractCoordinator's JoinGroup and SyncGroup response handlers, docs/semantics.md §11).
COORDINATOR_ERRORS = frozenset(
    {"NOT_COORDINATOR", "COORDINATOR_NOT_AVAILABLE", "COORDINATOR_LOAD_IN_PROGRESS"}
)


# Errors after which the client marks the coordinator unknown and looks it up again
# (FindCoordinator) before its next group request: AbstractCoordinator.markCoordinatorUnknown from
# the response handlers (a lost connection too); librdkafka's rd_kafka_cgrp_coord_dead.
COORDINATOR_LOST_ERRORS = frozenset(
    {"NOT_COORDINATOR", "COORDINATOR_NOT_AVAILABLE", "REQUEST_TIMED_OUT", "UNKNOWN"}
)


def as_offsets(mapping: dict[int, int]) -> Offsets:
    return tuple(sorted(mapping.items()))


@dataclass(frozen=True, slots=True)
class Subscription:
    """The assignor's part of a member's JoinGroup metadata (ConsumerProtocolSubscription): the
    partitions it owns and the generation it owned them in. Eager members report none (they
    revoked everything first), except that `sticky` carries its last assignment in its user data."""

    owned: tuple[int, ...] = ()
    generation: int = -1


@dataclass(frozen=True, slots=True)
class JoinGroup:
    member_id: str
    session_timeout_us: int
    rebalance_timeout_us: int
    subscription: Subscription = Subscription()
    instance_id: str | None = None  # group.instance.id: a static member
    # The client sends a member id the coordinator gave it (Kafka: a non-empty member id). A
    # static member restarting sends none, and replaces the old member of its instance id.
    known_member: bool = False


@dataclass(frozen=True, slots=True)
class JoinResponse:
    error: str | None
    generation: int = -1
    leader: str = ""
    members: tuple[str, ...] = ()  # only the leader is told the members ...
    subscriptions: tuple[Subscription, ...] = ()  # ... and their metadata, in the same order
    skip_assignment: bool = False  # a static leader replaced in a stable group (KIP-814)


@dataclass(frozen=True, slots=True)
class SyncGroup:
    member_id: str
    generation: int
    assignment: tuple[tuple[str, tuple[int, ...]], ...] | None  # the leader's plan, else None
    instance_id: str | None = None


@dataclass(frozen=True, slots=True)
class SyncResponse:
    error: str | None
    assignment: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class LeaveGroup:
    member_id: str


@dataclass(slots=True)  # made per batch: not frozen (see sim.model.commands)
class OffsetCommit:
    member_id: str
    generation: int
    offsets: Offsets
    instance_id: str | None = None


@dataclass(frozen=True, slots=True)
class CommitResponse:
    error: str | None  # None: stored; a Kafka error code; "UNKNOWN": the outcome is unknown


@dataclass(frozen=True, slots=True)
class TxnOffsetCommit:
    """A transactional producer's sendOffsetsToTransaction(offsets, groupMetadata), second step:
    the offsets go to the group coordinator inside the transaction, with the consumer's group
    metadata (KIP-447). The deprecated sendOffsetsToTransaction(offsets, groupId) sends no
    member and generation -1."""

    transactional_id: str
    producer_id: int
    epoch: int
    member_id: str
    generation: int
    offsets: Offsets
    instance_id: str | None = None


@dataclass(frozen=True, slots=True)
class OffsetFetch:
    partitions: tuple[int, ...]
    # The Java consumer always asks for stable offsets (ConsumerCoordinator.sendOffsetFetchRequest);
    # pending transactional offsets then answer UNSTABLE_OFFSET_COMMIT.
    require_stable: bool = False


@dataclass(frozen=True, slots=True)
class OffsetFetchResponse:
    offsets: tuple[int | None, ...]  # None: no committed offset
    error: str | None = None  # a coordinator error (failover): no offsets, retry


@dataclass(frozen=True, slots=True)
class ListOffsets:
    """Ask the partition leaders for their log end offsets (auto.offset.reset=latest)."""

    partitions: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ListOffsetsResponse:
    offsets: tuple[int, ...]
