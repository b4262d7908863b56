"""What crosses the network in a consumer group (KIP-848), in Kafka's names.

A member's whole conversation with the coordinator is one request, ConsumerGroupHeartbeat: it
joins (epoch 0), heartbeats with its member epoch, reports the partitions it owns, and leaves
(epoch -1, or -2 for a static member that will be back). The response carries the member epoch
and, when it changed, the member's assignment. Fields a client sends only when they changed are
None when not sent (ConsumerGroupHeartbeatRequest.json: nullable, "null if unchanged").

Commits reuse `sim.model.messages.OffsetCommit`, whose `generation` is Kafka's
GenerationIdOrMemberEpoch: the member epoch here. It owns the message types only; it never
decides anything.
"""

from __future__ import annotations

from dataclasses import dataclass

# ConsumerGroupHeartbeatRequest's epochs with a meaning.
JOIN_GROUP_MEMBER_EPOCH = 0
LEAVE_GROUP_MEMBER_EPOCH = -1
LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2

TOPIC = "topic"  # the scenario's one topic, as members subscribe to it


@dataclass(frozen=True, slots=True)
class ConsumerGroupHeartbeat:
    member_id: str
    member_epoch: int
    instance_id: str | None = None  # group.instance.id: a static member
    rebalance_timeout_us: int | None = None  # max.poll.interval.ms; None: unchanged
    subscribed_topics: tuple[str, ...] | None = None  # None: unchanged
    server_assignor: str | None = None  # group.remote.assignor; None: unchanged or unset
    owned: tuple[int, ...] | None = None  # TopicPartitions, sorted; None: unchanged

    @property
    def full(self) -> bool:
        """A full request (joining, or resending everything after an error): the coordinator then
        answers with the whole assignment (GroupMetadataManager.consumerGroupHeartbeat)."""
        return self.member_epoch == JOIN_GROUP_MEMBER_EPOCH or (
            self.rebalance_timeout_us is not None
            and self.subscribed_topics is not None
            and self.owned is not None
        )


@dataclass(frozen=True, slots=True)
class ConsumerGroupHeartbeatResponse:
    error: str | None
    member_id: str | None = None
    member_epoch: int = -1
    heartbeat_interval_us: int = 0
    assignment: tuple[int, ...] | None = None  # None: unchanged since the last response


@dataclass(frozen=True, slots=True)
class MemberOffsetFetch:
    """OffsetFetch v9+: a group member names itself and its epoch, and the coordinator checks
    them (ConsumerGroup.validateOffsetFetch); an admin client sends neither."""

    partitions: tuple[int, ...]
    member_id: str | None = None
    member_epoch: int = -1
    # requireStable: the Java consumer always (CommitRequestManager), librdkafka with
    # isolation.level read_committed, its default; UNSTABLE_OFFSET_COMMIT while pending.
    require_stable: bool = True
