"""The group coordinator of a classic consumer group: a pure state machine.

It owns the group's state, its generations and membership, the committed offsets, and the
fencing of commits (docs/semantics.md §5, §8-§10). It never reads a clock, never sleeps and never
draws a random number: every input carries the current time, and a timeout is an output asking
the driver for a timer whose expiry comes back through `timer()`.

Liveness is not simulated as heartbeat events. A live member is assumed to heartbeat; the driver
says when a member's heartbeats stopped (`heartbeats_stopped`), and the coordinator expires it one
session timeout after its last heartbeat, or after the last time it reset everybody's deadline
(join completion), whichever is later; the first heartbeat after a pause or a network cut
(`heartbeat`) makes a member that is still there heartbeat again. A member waiting in JoinGroup
or SyncGroup counts as heartbeating.

Failover (docs/semantics.md §11): the coordinator can move to another broker. While no broker serves
the group every request gets NOT_COORDINATOR, while the new one loads COORDINATOR_LOAD_IN_PROGRESS;
then the group is what `__consumer_offsets` held (its last stable or empty generation, and every
acked commit), and whatever lived only in memory (parked JoinGroup/SyncGroup, timers, a rebalance
under way) is gone. The driver says when each phase starts (`failover`, `start_loading`, `loaded`).

Static members (`group.instance.id`) follow ClassicGroup's rules: a restart that joins with the
instance id and no member id replaces the old member id and keeps its assignment (no rebalance
when the group is stable); requests from the replaced member id are fenced (FENCED_INSTANCE_ID);
and a static member that does not rejoin is carried into the next generation, not removed.

`GroupCoordinator` holds the group and answers JoinGroup, SyncGroup, LeaveGroup, heartbeats and
timers here; its other concerns are parts in `sim.model.classic_coordinator`: the rebalance's join
phase (`join_phase`), the committed offsets (`offsets`), the failover (`failover`), and the group's
states and members (`group`). Its outputs are `sim.model.coordinator_outputs`'.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .classic_coordinator.failover import Failover
from .classic_coordinator.group import (
    COMPLETING_REBALANCE,
    DAY_US,
    EMPTY,
    PREPARING_REBALANCE,
    STABLE,
    TRANSITIONS,
    Member,
    PersistedGroup,
)
from .classic_coordinator.join_phase import JoinPhase
from .classic_coordinator.offsets import CommittedOffsets
from .coordinator_outputs import (
    ACTIVE,
    LOADING,
    NOT_SERVING_ERRORS,
    STORED,
    UNAVAILABLE,
    CancelTimers,
    CommitApplied,
    GroupStable,
    MemberRemoved,
    NotifyRebalance,
    OffsetsExpired,
    RebalanceStarted,
    Reply,
    SetTimer,
)
from .messages import JoinGroup, JoinResponse, LeaveGroup, SyncGroup, SyncResponse
from .txn_offsets import PendingOffsets

__all__ = [
    "ACTIVE",
    "COMPLETING_REBALANCE",
    "DAY_US",
    "EMPTY",
    "LOADING",
    "NOT_SERVING_ERRORS",
    "PREPARING_REBALANCE",
    "STABLE",
    "STORED",
    "TRANSITIONS",
    "UNAVAILABLE",
    "CancelTimers",
    "CommitApplied",
    "GroupCoordinator",
    "GroupStable",
    "Member",
    "MemberRemoved",
    "NotifyRebalance",
    "OffsetsExpired",
    "PersistedGroup",
    "RebalanceStarted",
    "Reply",
    "SetTimer",
]


@dataclass
class GroupCoordinator(JoinPhase, CommittedOffsets, Failover):
    partitions: int
    initial_rebalance_delay_us: int
    state: str = EMPTY
    generation: int = 0
    leader: str | None = None
    members: dict[str, Member] = field(default_factory=dict)  # in join order
    static_members: dict[str, str] = field(default_factory=dict)  # instance id -> member id
    committed: list[int | None] = field(default_factory=list)
    epoch: int = 0  # bumps on every rebalance start, so stale timers are ignored
    delaying: bool = False  # the initial rebalance delay is running
    new_member_joined: bool = False  # during the current initial delay
    delay_budget_us: int = 0
    offsets_retention_us: int = 7 * DAY_US  # offsets.retention.minutes
    retention_check_interval_us: int = 600_000_000  # offsets.retention.check.interval.ms
    status: str = ACTIVE
    loaded_at_us: int = 0  # the retention cleanup runs every check interval from here
    failed_over_at_us: int = 0
    empty_since_us: int = 0
    persisted: PersistedGroup | None = None
    # Transactional offset commits waiting for their transaction's marker (in __consumer_offsets:
    # a failover keeps them).
    txn_offsets: PendingOffsets = field(default_factory=PendingOffsets)

    def __post_init__(self):
        if not self.committed:
            self.committed = [None] * self.partitions

    def join(self, now: int, request_id: int, req: JoinGroup) -> list:
        out: list = []
        member = self.members.get(req.member_id)
        if member is None and req.instance_id in self.static_members:
            if req.known_member:  # a replaced instance still using its old member id
                return [Reply(request_id, JoinResponse("FENCED_INSTANCE_ID"))]
            return self._replace_static(now, request_id, req)
        if member is None:
            member = Member(req.member_id, req.session_timeout_us, req.rebalance_timeout_us)
            member.deadline_reset_us = now
            member.subscription = req.subscription
            member.instance_id = req.instance_id
            if req.instance_id is not None:
                self.static_members[req.instance_id] = req.member_id
            self.members[req.member_id] = member
            member.join_request = request_id
            if self.state == EMPTY:
                self._start_initial_delay(now, out)
            elif self.state == PREPARING_REBALANCE:
                self.new_member_joined = True
                self._try_complete_join(now, out)
            else:
                self._prepare_rebalance(now, out)
            return out
        error = self._member_error(req.member_id, req.instance_id)
        if error is not None:
            return [Reply(request_id, JoinResponse(error))]
        member.join_request = request_id
        # Only the owned partitions are compared: see docs/model.md (Approximation).
        unchanged = req.subscription.owned == member.subscription.owned
        member.subscription = req.subscription
        if self.state == PREPARING_REBALANCE:
            self._try_complete_join(now, out)
        elif unchanged and (
            self.state == COMPLETING_REBALANCE
            or (self.state == STABLE and req.member_id != self.leader)
        ):
            # A known follower rejoining with unchanged metadata gets the current generation
            # back without a rebalance (GroupMetadataManager: classic join of an existing member).
            member.join_request = None
            out.append(Reply(request_id, self._join_response(req.member_id)))
        else:  # the leader rejoining a stable group, or changed metadata, starts a rebalance
            self._prepare_rebalance(now, out)
        return out

    def _replace_static(self, now: int, request_id: int, req: JoinGroup) -> list:
        """updateStaticMemberThenRebalanceOrCompleteJoin: the new member id takes the old one's
        place, assignment and leadership; the old one's parked join or sync is fenced. A stable
        group answers at once with its current generation: no rebalance (KIP-345)."""
        out: list = []
        old_id = self.static_members[req.instance_id]
        old = self.members[old_id]
        if old.join_request is not None:
            out.append(Reply(old.join_request, JoinResponse("FENCED_INSTANCE_ID")))
        if old.sync_request is not None:
            out.append(Reply(old.sync_request, SyncResponse("FENCED_INSTANCE_ID")))
        member = Member(
            req.member_id,
            req.session_timeout_us,
            req.rebalance_timeout_us,
            assignment=old.assignment,
            subscription=req.subscription,
            instance_id=req.instance_id,
        )
        member.deadline_reset_us = now
        self.members = {
            (req.member_id if k == old_id else k): (member if k == old_id else m)
            for k, m in self.members.items()
        }
        self.static_members[req.instance_id] = req.member_id
        if self.leader == old_id:
            self.leader = req.member_id
        out.append(MemberRemoved(old_id, "replaced"))
        if self.state == STABLE:
            # The new member id is written to __consumer_offsets before the answer (GroupMetadata-
            # Manager stores the group), so a failover keeps the replacement.
            self._persist()
            leader = self.leader == req.member_id
            response = self._join_response(req.member_id)
            out.append(Reply(request_id, replace(response, skip_assignment=leader)))
        elif self.state == COMPLETING_REBALANCE:
            # The leader may have planned for the old member id: rebalance again.
            member.join_request = request_id
            self._prepare_rebalance(now, out)
        else:
            member.join_request = request_id
            self._try_complete_join(now, out)
        return out

    def sync(self, now: int, request_id: int, req: SyncGroup) -> list:
        error = self._member_error(req.member_id, req.instance_id)
        if error is not None:
            return [Reply(request_id, SyncResponse(error))]
        member = self.members[req.member_id]
        if req.generation != self.generation:
            return [Reply(request_id, SyncResponse("ILLEGAL_GENERATION"))]
        if self.state == PREPARING_REBALANCE:
            return [Reply(request_id, SyncResponse("REBALANCE_IN_PROGRESS"))]
        if self.state == STABLE:
            return [Reply(request_id, SyncResponse(None, member.assignment))]
        member.sync_request = request_id
        out: list = []
        if req.member_id == self.leader and req.assignment is not None:
            plan = dict(req.assignment)
            for m in self.members.values():
                m.assignment = plan.get(m.member_id, ())
            self._transition(STABLE)
            self._persist()
            out.append(
                GroupStable(self.generation, tuple((m, plan.get(m, ())) for m in self.members))
            )
            # propagateAssignment: only a member whose SyncGroup was parked gets its session
            # deadline reset with the answer; one that has not synced yet keeps its deadline.
            for m in self.members.values():
                if m.sync_request is not None:
                    out.append(Reply(m.sync_request, SyncResponse(None, m.assignment)))
                    m.sync_request = None
                    self._reset_deadline(now, m, out)
        return out

    def leave(self, now: int, req: LeaveGroup) -> list:
        out: list = []
        if req.member_id in self.members:
            self._remove(now, req.member_id, "leave", out)
        return out

    def heartbeats_stopped(self, now: int, member_id: str, last_heartbeat_us: int) -> list:
        """The member's heartbeats stopped (a crash): arm its session expiry."""
        member = self.members.get(member_id)
        if member is None:
            return []
        member.stopped_heartbeat_us = last_heartbeat_us
        return [SetTimer(member.expiry_us(), ("expire", member_id, member.expiry_us()))]

    def heartbeat(self, now: int, member_id: str, generation: int) -> str | None:
        """The first heartbeat after the member's heartbeats stopped (a pause or a network cut
        ended). Answers with the heartbeat's error, in GroupMetadataManager's order (member,
        generation, state); a known member is heartbeating again, its stale expiry ignored.
        COMPLETING_REBALANCE answers no error: members heartbeat after their JoinGroup response."""
        member = self.members.get(member_id)
        if member is None:
            return "UNKNOWN_MEMBER_ID"
        member.stopped_heartbeat_us = None
        member.deadline_reset_us = now
        if generation != self.generation:
            return "ILLEGAL_GENERATION"
        if self.state == PREPARING_REBALANCE:
            return "REBALANCE_IN_PROGRESS"
        return None

    def timer(self, now: int, token: tuple) -> list:
        out: list = []
        if self.status != ACTIVE:
            return out  # a timer armed while no broker served the group belongs to nobody
        kind = token[0]
        if kind == "expire-offsets":
            if self.state == EMPTY and self.empty_since_us == token[1]:
                expired = tuple(p for p, o in enumerate(self.committed) if o is not None)
                self.committed = [None] * self.partitions
                out.append(OffsetsExpired(expired))
        elif kind == "expire":
            member = self.members.get(token[1])
            if member is None or member.expiry_us() != token[2]:
                return out
            if member.join_request is not None or member.sync_request is not None:
                return out  # parked in JoinGroup or SyncGroup: alive until that completes
            self._remove(now, member.member_id, "session-expired", out)
        elif kind == "initial-delay" and token[1] == self.epoch:
            self._initial_delay_expired(now, out)
        elif kind == "join" and token[1] == self.epoch and self.state == PREPARING_REBALANCE:
            self._complete_join(now, out)
        elif kind == "sync" and token[1] == self.generation and self.state == COMPLETING_REBALANCE:
            # The leader never sent its plan (docs/semantics.md §10: a ghost leader): drop whoever
            # did not sync and rebalance again.
            for member_id in [m.member_id for m in self.members.values() if m.sync_request is None]:
                self._remove(now, member_id, "not-synced", out)
            if self.members and self.state == COMPLETING_REBALANCE:
                self._prepare_rebalance(now, out)
        return out

    def _member_error(self, member_id: str, instance_id: str | None) -> str | None:
        """ClassicGroup.validateMember: a static member's instance id must map to its member id
        (else FENCED_INSTANCE_ID, or UNKNOWN_MEMBER_ID for an unknown instance)."""
        if instance_id is not None:
            current = self.static_members.get(instance_id)
            if current is None:
                return "UNKNOWN_MEMBER_ID"
            return None if current == member_id else "FENCED_INSTANCE_ID"
        return None if member_id in self.members else "UNKNOWN_MEMBER_ID"
