"""The consumer group coordinator's checks of a ConsumerGroupHeartbeat before it touches the group
(GroupMetadataManager.throwIfConsumerGroupHeartbeatRequestIsInvalid,
throwIfConsumerGroupMemberEpochIsInvalid): pure functions of the request and the member.

It owns no state and never changes the group: `sim.model.consumer_group.coordinator` acts on what
they answer.
"""

from __future__ import annotations

from .assignors import SERVER_ASSIGNORS
from .messages import (
    JOIN_GROUP_MEMBER_EPOCH,
    LEAVE_GROUP_STATIC_MEMBER_EPOCH,
    ConsumerGroupHeartbeat,
)
from .reconciliation import Member


def request_error(req: ConsumerGroupHeartbeat) -> str | None:
    """throwIfConsumerGroupHeartbeatRequestIsInvalid: a (re)join carries everything and owns
    nothing; -2 is for static members; the assignor must be one the broker has."""
    if req.member_epoch == JOIN_GROUP_MEMBER_EPOCH:
        if req.rebalance_timeout_us is None or req.owned != () or not req.subscribed_topics:
            return "INVALID_REQUEST"
    elif req.member_epoch == LEAVE_GROUP_STATIC_MEMBER_EPOCH:
        if req.instance_id is None:
            return "INVALID_REQUEST"
    elif req.member_epoch < LEAVE_GROUP_STATIC_MEMBER_EPOCH:
        return "INVALID_REQUEST"
    if req.server_assignor is not None and req.server_assignor not in SERVER_ASSIGNORS:
        return "UNSUPPORTED_ASSIGNOR"
    return None


def epoch_error(member: Member, req: ConsumerGroupHeartbeat) -> str | None:
    """throwIfConsumerGroupMemberEpochIsInvalid: an epoch ahead of the coordinator's, or behind it
    (unless it is the previous one and the member owns no more than it is assigned: the response
    that bumped it may have been lost), is fenced."""
    received = req.member_epoch
    if received > member.epoch:
        return "FENCED_MEMBER_EPOCH"
    if received < member.epoch:
        owned = req.owned
        if received != member.previous_epoch or owned is None:
            return "FENCED_MEMBER_EPOCH"
        if any(p not in member.assigned for p in owned):
            return "FENCED_MEMBER_EPOCH"
    return None


def given(value, current):
    """A field sent only when it changed: None keeps the current value."""
    return current if value is None else value
