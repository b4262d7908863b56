"""The group coordinator of a consumer group (KIP-848, `group.protocol = "consumer"`): a pure state
machine, with the same inputs and outputs as the classic one (`sim.model.coordinator`).

It owns the group epoch, the target assignment and its epoch, every member's epoch and
assignment, the partition epochs (who holds what), the committed offsets, and the fencing of
heartbeats and commits. There is no join/sync barrier: each heartbeat is handled on its own
(GroupMetadataManager.consumerGroupHeartbeat): (1) the member is created or updated, and a new
member bumps the group epoch; (2) if the group epoch is ahead of the target assignment epoch, the
broker's assignor computes a new target; (3) the member is reconciled towards its target
(`reconciliation.reconcile`). A member that leaves or is fenced only bumps the group epoch: the
next heartbeat of any member computes the new target.

Time: it never reads a clock. A live member is assumed to heartbeat; the driver says when its
heartbeats stopped (`heartbeats_stopped`) and it is fenced one session timeout
(group.consumer.session.timeout.ms) after its last heartbeat. A member that must revoke gets a
rebalance timer (its own rebalance timeout, max.poll.interval.ms): if it has not acknowledged by
then, it is fenced. A timer is a `SetTimer` output whose expiry comes back through `timer()`.

`HeartbeatNeeded` tells the driver which members' next heartbeats carry news (a new epoch or
assignment, a target to compute, a partition released): between such moments a heartbeat only
keeps the session alive, and a driver may compute it instead of simulating it.

`ConsumerGroupCoordinator` holds the group and handles heartbeats (join, target, reconciliation)
and timers here; its other parts: the request checks (`coordinator_checks`), leaving, fencing and
the partition epochs (`coordinator_fencing`), commits, fetches and the failover
(`coordinator_offsets`), and its own outputs (`coordinator_outputs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sim.model.coordinator_outputs import ACTIVE, Reply, SetTimer
from sim.model.txn_offsets import PendingOffsets

from .assignors import DEFAULT_ASSIGNOR, SERVER_ASSIGNORS
from .coordinator_checks import epoch_error, given, request_error
from .coordinator_fencing import MembersAndFencing
from .coordinator_offsets import OffsetsAndFailover
from .coordinator_outputs import HeartbeatNeeded, MemberUpdated, TargetAssignment
from .messages import (
    JOIN_GROUP_MEMBER_EPOCH,
    LEAVE_GROUP_STATIC_MEMBER_EPOCH,
    ConsumerGroupHeartbeat,
    ConsumerGroupHeartbeatResponse,
)
from .reconciliation import UNREVOKED_PARTITIONS, Member, reconcile

__all__ = [
    "ASSIGNING",
    "EMPTY",
    "RECONCILING",
    "STABLE",
    "ConsumerGroupCoordinator",
    "HeartbeatNeeded",
    "MemberUpdated",
    "TargetAssignment",
]

# The group's states (ConsumerGroup.ConsumerGroupState), derived from its members and epochs.
EMPTY = "EMPTY"
ASSIGNING = "ASSIGNING"  # the group epoch is ahead of the target assignment
RECONCILING = "RECONCILING"  # some member has not reached its target yet
STABLE = "STABLE"

SECOND_US = 1_000_000


@dataclass
class ConsumerGroupCoordinator(MembersAndFencing, OffsetsAndFailover):
    partitions: int
    session_timeout_us: int = 45 * SECOND_US  # group.consumer.session.timeout.ms
    heartbeat_interval_us: int = 5 * SECOND_US  # group.consumer.heartbeat.interval.ms
    group_epoch: int = 0
    assignment_epoch: int = 0  # the target assignment's epoch
    members: dict[str, Member] = field(default_factory=dict)  # in join order
    static_members: dict[str, str] = field(default_factory=dict)  # instance id -> member id
    target: dict[str, tuple[int, ...]] = field(default_factory=dict)
    partition_epochs: dict[int, int] = field(default_factory=dict)  # currentPartitionEpoch
    committed: list[int | None] = field(default_factory=list)
    last_heartbeat_us: dict[str, int] = field(default_factory=dict)
    status: str = ACTIVE
    txn_offsets: PendingOffsets = field(default_factory=PendingOffsets)  # KIP-447, pending
    # Armed timers by member: the session expiry, the rebalance timeout (timer.schedule replaces
    # a member's timer; a stale one finds a different value here and does nothing).
    _session: dict[str, int] = field(default_factory=dict)
    _rebalance: dict[str, tuple] = field(default_factory=dict)

    def __post_init__(self):
        if not self.committed:
            self.committed = [None] * self.partitions

    @property
    def state(self) -> str:
        """ConsumerGroup.maybeUpdateGroupState."""
        if not self.members:
            return EMPTY
        if self.group_epoch > self.assignment_epoch:
            return ASSIGNING
        if any(not m.reconciled_to(self.assignment_epoch) for m in self.members.values()):
            return RECONCILING
        return STABLE

    def heartbeat(self, now: int, request_id: int, req: ConsumerGroupHeartbeat) -> list:
        error = request_error(req)
        if error is not None:
            return [self._error(request_id, error)]
        if req.member_epoch < JOIN_GROUP_MEMBER_EPOCH:
            return self._leave(now, request_id, req)
        member, replaced, error = self._subscribe(req)
        if error is not None:
            # A refused heartbeat does not refresh the session (consumerGroupHeartbeat schedules
            # the session timeout only once its checks pass): a member whose every heartbeat is
            # refused, e.g. one rejoining at epoch 0 under the id the group still holds at a
            # later epoch, is fenced one session after its last accepted heartbeat.
            last = self.last_heartbeat_us.get(req.member_id, now)
            return [
                self._error(request_id, error),
                *self.heartbeats_stopped(now, req.member_id, last),
            ]
        out: list = []
        before = member
        member = replace(
            member,
            rebalance_timeout_us=given(req.rebalance_timeout_us, member.rebalance_timeout_us),
            server_assignor=given(req.server_assignor, member.server_assignor),
        )
        if replaced is not None:
            self._replace_static(replaced, member)
        elif member.member_id not in self.members:
            # A new member subscribes: its subscription changed, so the group epoch is bumped
            # (hasMemberSubscriptionChanged).
            self.group_epoch += 1
            self.members[member.member_id] = member
            if member.instance_id is not None:
                self.static_members[member.instance_id] = member.member_id
        else:
            self.members[member.member_id] = member
        if self.group_epoch > self.assignment_epoch:
            self._compute_target(member.member_id, out)
        if not member.reconciled_to(self.assignment_epoch):
            member = self._reconcile(now, member, req.owned, out)
        self.last_heartbeat_us[member.member_id] = now
        self._session.pop(member.member_id, None)  # heartbeating: any stale expiry is void
        changed = member.assigned != before.assigned
        response = ConsumerGroupHeartbeatResponse(
            None,
            member.member_id,
            member.epoch,
            self.heartbeat_interval_us,
            member.assigned if req.full or changed else None,
        )
        out.append(Reply(request_id, response))
        return out

    def _subscribe(self, req: ConsumerGroupHeartbeat):
        """getOrMaybeSubscribe{Dynamic,Static}ConsumerGroupMember: (member, the static member it
        replaces, error)."""
        joining = req.member_epoch == JOIN_GROUP_MEMBER_EPOCH
        member = self.members.get(req.member_id)
        if req.instance_id is None:
            if member is None and not joining:
                return None, None, "UNKNOWN_MEMBER_ID"
            member = member or Member(req.member_id)
            return member, None, epoch_error(member, req)
        holder_id = self.static_members.get(req.instance_id)
        holder = self.members.get(holder_id) if holder_id is not None else None
        if joining:
            if holder is None:
                return member or Member(req.member_id, req.instance_id), None, None
            if holder.epoch != LEAVE_GROUP_STATIC_MEMBER_EPOCH:
                # The instance id is still in use: the old instance must leave (epoch -2) or be
                # fenced first (throwIfInstanceIdIsUnreleased).
                return None, None, "UNRELEASED_INSTANCE_ID"
            copy = replace(holder, member_id=req.member_id, epoch=0, previous_epoch=0)
            return copy, holder, None
        if holder is None:
            return None, None, "UNKNOWN_MEMBER_ID"
        if holder.member_id != req.member_id:
            return None, None, "FENCED_INSTANCE_ID"
        return holder, None, epoch_error(holder, req)

    def _replace_static(self, old: Member, new: Member) -> None:
        """replaceMember: the returning instance takes the departed one's place, its current and
        target assignment included; no group epoch bump (its subscription is the same)."""
        self._drop(old.member_id)
        self.members[new.member_id] = new
        self.static_members[new.instance_id] = new.member_id
        self.target[new.member_id] = self.target.pop(old.member_id, ())
        self._hold(new)

    def _compute_target(self, member_id: str, out: list) -> None:
        """TargetAssignmentBuilder with the group's preferred assignor (the most used among the
        members, else the default); every other member must learn its new epoch."""
        assign = SERVER_ASSIGNORS[self._preferred_assignor()]
        specs = {m.member_id: m.instance_id for m in self.members.values()}
        plan = assign(specs, self.partitions, {m: self.target.get(m, ()) for m in specs})
        self.target = {m: plan[m] for m in self.members}
        self.assignment_epoch = self.group_epoch
        out.append(TargetAssignment(self.assignment_epoch, tuple(self.target.items())))
        out.extend(HeartbeatNeeded(m) for m in self.members if m != member_id)

    def _preferred_assignor(self) -> str:
        """ConsumerGroup.computePreferredServerAssignor; ties go to the name first in order
        (Kafka's is a HashMap's order: an approximation)."""
        counts: dict[str, int] = {}
        for m in self.members.values():
            if m.server_assignor is not None:
                counts[m.server_assignor] = counts.get(m.server_assignor, 0) + 1
        if not counts:
            return DEFAULT_ASSIGNOR
        return min(counts, key=lambda name: (-counts[name], name))

    def _reconcile(self, now: int, member: Member, owned, out: list) -> Member:
        """maybeReconcile: the next member state; a member that must revoke gets a rebalance
        timer for its epoch, any other change cancels it."""
        target = self.target.get(member.member_id, ())
        updated = reconcile(member, self.assignment_epoch, target, self._partition_epoch, owned)
        if updated == member:
            return member
        self._update(updated, out)
        if updated.state == UNREVOKED_PARTITIONS:
            self._arm_rebalance(now, updated, out)
        else:
            self._rebalance.pop(updated.member_id, None)
        return updated

    def _arm_rebalance(self, now: int, member: Member, out: list) -> None:
        token = ("rebalance", member.member_id, member.epoch, now)
        self._rebalance[member.member_id] = token
        out.append(SetTimer(now + member.rebalance_timeout_us, token))

    def _partition_epoch(self, partition: int) -> int:
        return self.partition_epochs.get(partition, -1)

    def heartbeats_stopped(self, now: int, member_id: str, last_heartbeat_us: int) -> list:
        """The member's heartbeats stopped (a crash, a pause, a cut): it is fenced one session
        after the last one, unless one arrives before. A session already running out (a static
        member gone with epoch -2) keeps its expiry."""
        if member_id not in self.members or member_id in self._session:
            return []
        out: list = []
        self._arm_session(member_id, last_heartbeat_us, out)
        return out

    def _arm_session(self, member_id: str, last_heartbeat_us: int, out: list) -> None:
        expiry = last_heartbeat_us + self.session_timeout_us
        self._session[member_id] = expiry
        out.append(SetTimer(expiry, ("session", member_id, expiry)))

    def timer(self, now: int, token: tuple) -> list:
        out: list = []
        if self.status != ACTIVE:
            return out
        kind, member_id = token[0], token[1]
        member = self.members.get(member_id)
        if member is None:
            return out
        if kind == "session" and self._session.get(member_id) == token[2]:
            self._fence(member, "session-expired", out)
        elif kind == "rebalance" and self._rebalance.get(member_id) == token:
            # Still in the epoch it had to leave (scheduleConsumerGroupRebalanceTimeout).
            if member.epoch == token[2]:
                self._fence(member, "rebalance-timeout", out)
        return out

    def _error(self, request_id: int, error: str) -> Reply:
        return Reply(request_id, ConsumerGroupHeartbeatResponse(error))
