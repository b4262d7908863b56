"""How members leave a consumer group and who holds which partition (KIP-848): a leave heartbeat
(epoch -1, or -2 for a static member gone for now), fencing, and the partition epochs that follow
every member update (ConsumerGroup.updateMember).

It owns the partition epochs. It never computes a target assignment: the next heartbeat of any
member does (`coordinator`)."""

from __future__ import annotations

from dataclasses import replace

from ..coordinator_outputs import MemberRemoved, Reply
from .coordinator_outputs import HeartbeatNeeded, MemberUpdated
from .messages import (
    LEAVE_GROUP_STATIC_MEMBER_EPOCH,
    ConsumerGroupHeartbeat,
    ConsumerGroupHeartbeatResponse,
)
from .reconciliation import UNRELEASED_PARTITIONS, Member


class MembersAndFencing:
    """Leaving, fencing and the partition epochs (a part of
    `sim.model.consumer_group.coordinator.ConsumerGroupCoordinator`)."""

    def _leave(self, now: int, request_id: int, req: ConsumerGroupHeartbeat) -> list:
        """consumerGroupLeave: epoch -1 removes the member; a static member's epoch -2 only
        marks it as gone for now, keeping its assignment until it returns or its session
        expires (its session timer runs on from its last heartbeat)."""
        if req.instance_id is None:
            member = self.members.get(req.member_id)
            if member is None:
                return [self._error(request_id, "UNKNOWN_MEMBER_ID")]
        else:
            holder_id = self.static_members.get(req.instance_id)
            if holder_id is None:
                return [self._error(request_id, "UNKNOWN_MEMBER_ID")]
            if holder_id != req.member_id:
                return [self._error(request_id, "FENCED_INSTANCE_ID")]
            member = self.members[holder_id]
        response = ConsumerGroupHeartbeatResponse(None, req.member_id, req.member_epoch)
        out: list = [Reply(request_id, response)]
        if req.member_epoch != LEAVE_GROUP_STATIC_MEMBER_EPOCH:
            self._fence(member, "leave", out)
            return out
        self._update(
            replace(member, epoch=LEAVE_GROUP_STATIC_MEMBER_EPOCH, pending_revocation=()), out
        )
        if member.member_id not in self._session:
            self._arm_session(member.member_id, self.last_heartbeat_us[member.member_id], out)
        return out

    def _fence(self, member: Member, reason: str, out: list) -> None:
        """consumerGroupFenceMember: the member and its target are gone, its partitions are free,
        and the group epoch is bumped; the next heartbeat of any member computes the target."""
        self._drop(member.member_id)
        self.target.pop(member.member_id, None)
        self.last_heartbeat_us.pop(member.member_id, None)
        self.group_epoch += 1
        out.append(MemberRemoved(member.member_id, reason))
        out.extend(HeartbeatNeeded(m) for m in self.members)

    def _drop(self, member_id: str) -> None:
        member = self.members.pop(member_id)
        if (
            member.instance_id is not None
            and self.static_members.get(member.instance_id) == member_id
        ):
            del self.static_members[member.instance_id]
        self._release(member)
        self._session.pop(member_id, None)
        self._rebalance.pop(member_id, None)

    def _update(self, updated: Member, out: list) -> None:
        """ConsumerGroup.updateMember: the partition epochs follow the member's holdings; members
        waiting for a partition it released learn of it at their next heartbeat."""
        old = self.members[updated.member_id]
        self._release(old)
        self.members[updated.member_id] = updated
        self._hold(updated)
        out.append(MemberUpdated(updated))
        released = set(old.holds()) - set(updated.holds())
        for m in self.members.values():
            if m.state == UNRELEASED_PARTITIONS and released & set(
                self.target.get(m.member_id, ())
            ):
                out.append(HeartbeatNeeded(m.member_id))

    def _release(self, member: Member) -> None:
        for p in member.holds():
            if self.partition_epochs.pop(p, None) != member.epoch:
                raise AssertionError(f"partition {p} was not held at epoch {member.epoch}")

    def _hold(self, member: Member) -> None:
        for p in member.holds():
            if p in self.partition_epochs:
                raise AssertionError(f"partition {p} already held at {self.partition_epochs[p]}")
            self.partition_epochs[p] = member.epoch
