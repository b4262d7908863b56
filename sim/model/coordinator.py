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
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .messages import (
    CommitResponse,
    JoinGroup,
    JoinResponse,
    LeaveGroup,
    OffsetCommit,
    OffsetFetch,
    OffsetFetchResponse,
    Subscription,
    SyncGroup,
    SyncResponse,
    TxnOffsetCommit,
)
from .txn_offsets import PendingOffsets

EMPTY = "EMPTY"
PREPARING_REBALANCE = "PREPARING_REBALANCE"
COMPLETING_REBALANCE = "COMPLETING_REBALANCE"
STABLE = "STABLE"

# The classic group's state table (Kafka's ClassicGroupState valid previous states).
TRANSITIONS = {
    EMPTY: frozenset({PREPARING_REBALANCE}),
    PREPARING_REBALANCE: frozenset({COMPLETING_REBALANCE, EMPTY}),
    COMPLETING_REBALANCE: frozenset({STABLE, PREPARING_REBALANCE, EMPTY}),
    STABLE: frozenset({PREPARING_REBALANCE, EMPTY}),
}

# Whether a broker serves the group (CoordinatorRuntime's coordinator states, simplified), and the
# error every request gets while none does.
ACTIVE = "ACTIVE"
UNAVAILABLE = "UNAVAILABLE"  # the old broker let go, the new one has not started loading
LOADING = "LOADING"  # the new broker replays __consumer_offsets
NOT_SERVING_ERRORS = {UNAVAILABLE: "NOT_COORDINATOR", LOADING: "COORDINATOR_LOAD_IN_PROGRESS"}

DAY_US = 24 * 3600 * 1_000_000
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


@dataclass
class GroupCoordinator:
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

    # ---- inputs -------------------------------------------------------------------------------
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

    def commit(self, now: int, request_id: int, req: OffsetCommit) -> list:
        error = self._commit_error(req)
        if error is not None:
            return [Reply(request_id, CommitResponse(error))]
        # Last write wins: no ownership check, no monotonicity check (docs/semantics.md §1).
        for partition, offset in req.offsets:
            self.committed[partition] = offset
        if self.txn_offsets.pending:  # a later plain commit outranks a pending transactional one
            self.txn_offsets.plain_commit(req.offsets)
        out = [CommitApplied(request_id, req.offsets), Reply(request_id, STORED)]
        # An accepted commit refreshes the member's session, even one sent just before a crash.
        self._reset_deadline(now, self.members[req.member_id], out)
        return out

    def txn_offset_commit(self, now: int, request_id: int, req: TxnOffsetCommit) -> list:
        """commitTransactionalOffset: checked against the group as an OffsetCommit is (member,
        then generation; KIP-447), but not against its state (no REBALANCE_IN_PROGRESS), and
        without a member or generation (the deprecated API) not at all; then against the
        producer's epoch. The offsets stay pending until the transaction's marker
        (`txn_marker`); the member's session is not refreshed."""
        error = None
        if req.generation >= 0 or req.member_id or req.instance_id is not None:
            error = self._member_error(req.member_id, req.instance_id)
            if error is None and req.generation != self.generation:
                error = "ILLEGAL_GENERATION"
        if error is None:
            error = self.txn_offsets.add(req.producer_id, req.epoch, req.offsets)
        return [Reply(request_id, CommitResponse(error))]

    def txn_marker(self, now: int, producer_id: int, epoch: int, commit: bool):
        """A transaction marker reached the group's __consumer_offsets partition: (error, the
        offsets it made committed). While no broker serves the group the partition has no
        leader: NOT_LEADER_OR_FOLLOWER, and the transaction coordinator retries."""
        if self.status != ACTIVE:
            return "NOT_LEADER_OR_FOLLOWER", ()
        error, offsets = self.txn_offsets.end(producer_id, epoch, commit)
        for partition, offset in offsets:
            self.committed[partition] = offset
        return error, offsets

    def offset_fetch(self, now: int, request_id: int, req: OffsetFetch) -> list:
        if req.require_stable and self.txn_offsets.unstable(req.partitions):
            return [Reply(request_id, OffsetFetchResponse((), "UNSTABLE_OFFSET_COMMIT"))]
        offsets = tuple(self.committed[p] for p in req.partitions)
        return [Reply(request_id, OffsetFetchResponse(offsets))]

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

    # ---- failover -----------------------------------------------------------------------------
    def failover(self, now: int) -> list:
        """The group's __consumer_offsets partition moves to another broker. The old coordinator
        unloads: its timers are cancelled and parked JoinGroup/SyncGroup requests are answered
        NOT_COORDINATOR (GroupMetadataManager.onUnloaded, CoordinatorRuntime)."""
        self.status = UNAVAILABLE
        self.failed_over_at_us = now
        out: list = [CancelTimers()]
        for m in self.members.values():
            if m.join_request is not None:
                out.append(Reply(m.join_request, JoinResponse("NOT_COORDINATOR")))
                m.join_request = None
            if m.sync_request is not None:
                out.append(Reply(m.sync_request, SyncResponse("NOT_COORDINATOR")))
                m.sync_request = None
        return out

    def start_loading(self, now: int) -> list:
        """The new coordinator replays __consumer_offsets; requests wait for it."""
        self.status = LOADING
        return []

    def loaded(self, now: int) -> list:
        """The new coordinator serves the group as persisted: STABLE with the last stable
        generation, or EMPTY; committed offsets as acked. Every member's session deadline starts
        again from now (onLoaded reschedules each member's heartbeat expiry)."""
        self.status = ACTIVE
        self.loaded_at_us = now
        self.epoch += 1
        self.delaying = False
        self.new_member_joined = False
        saved = self.persisted
        if saved is None:  # nothing written yet: the group was never stable
            saved = PersistedGroup(EMPTY, 0, None, (), 0)
        self.state, self.generation, self.leader = saved.state, saved.generation, saved.leader
        self.empty_since_us = saved.empty_since_us
        out: list = []
        old, self.members = self.members, {}
        self.static_members = {}
        for kept in saved.members:
            # Whether the process still heartbeats is a fact about the client, not coordinator
            # state; one no longer in memory had left or expired before the failover.
            before = old.get(kept.member_id)
            stopped = self.failed_over_at_us if before is None else before.stopped_heartbeat_us
            member = replace(kept, stopped_heartbeat_us=stopped)
            self.members[member.member_id] = member
            if member.instance_id is not None:  # ClassicGroup.add maps the instance id again
                self.static_members[member.instance_id] = member.member_id
            self._reset_deadline(now, member, out)
        if self.state == EMPTY:
            self._schedule_offsets_expiry(out)
        return out

    def refuse(self, request_id: int, request) -> list | None:
        """The answer to any request while no broker serves the group, else None."""
        error = NOT_SERVING_ERRORS.get(self.status)
        if error is None:
            return None
        kind = type(request)
        if kind is LeaveGroup:
            return []  # the client sends LeaveGroup once and ignores the answer
        if kind is JoinGroup:
            response = JoinResponse(error)
        elif kind is SyncGroup:
            response = SyncResponse(error)
        elif kind is OffsetFetch:
            response = OffsetFetchResponse((), error)
        else:
            response = CommitResponse(error)
        return [Reply(request_id, response)]

    # ---- internals ----------------------------------------------------------------------------
    def _persist(self) -> None:
        members = tuple(
            replace(m, join_request=None, sync_request=None) for m in self.members.values()
        )
        self.persisted = PersistedGroup(
            self.state, self.generation, self.leader, members, self.empty_since_us
        )

    def _became_empty(self, now: int, out: list) -> None:
        """The group is EMPTY from now: its committed offsets expire offsets.retention.minutes
        later (ClassicGroup.offsetExpirationCondition counts from the EMPTY state timestamp)."""
        self.empty_since_us = now
        self._persist()
        self._schedule_offsets_expiry(out)

    def _schedule_offsets_expiry(self, out: list) -> None:
        """The cleanup task runs every check interval since the coordinator loaded
        (GroupCoordinatorShard.cleanupGroupMetadata); the first run at or after the retention
        deadline deletes the offsets."""
        if all(o is None for o in self.committed):
            return
        interval = self.retention_check_interval_us
        due = self.empty_since_us + self.offsets_retention_us
        runs = max(1, -(-(due - self.loaded_at_us) // interval))
        out.append(
            SetTimer(self.loaded_at_us + runs * interval, ("expire-offsets", self.empty_since_us))
        )

    def _member_error(self, member_id: str, instance_id: str | None) -> str | None:
        """ClassicGroup.validateMember: a static member's instance id must map to its member id
        (else FENCED_INSTANCE_ID, or UNKNOWN_MEMBER_ID for an unknown instance)."""
        if instance_id is not None:
            current = self.static_members.get(instance_id)
            if current is None:
                return "UNKNOWN_MEMBER_ID"
            return None if current == member_id else "FENCED_INSTANCE_ID"
        return None if member_id in self.members else "UNKNOWN_MEMBER_ID"

    def _commit_error(self, req: OffsetCommit) -> str | None:
        """ClassicGroup.validateOffsetCommit, in its order: member, generation, then state. So
        REBALANCE_IN_PROGRESS only reaches a member of the new generation; an old generation gets
        ILLEGAL_GENERATION (docs/semantics.md §5)."""
        error = self._member_error(req.member_id, req.instance_id)
        if error is not None:
            return error
        if req.generation != self.generation:
            return "ILLEGAL_GENERATION"
        if self.state == COMPLETING_REBALANCE:
            return "REBALANCE_IN_PROGRESS"
        return None

    def _transition(self, to: str) -> None:
        if to not in TRANSITIONS[self.state]:
            raise AssertionError(f"group cannot go from {self.state} to {to}")
        self.state = to

    def _rebalance_timeout_us(self) -> int:
        return max(m.rebalance_timeout_us for m in self.members.values())

    def _start_initial_delay(self, now: int, out: list) -> None:
        """group.initial.rebalance.delay.ms (GroupMetadataManager.prepareRebalance of an EMPTY
        group): the first window is the full delay, whatever the rebalance timeout; each later
        window is earned by a window in which at least one new member joined (one flag per
        window, not one window per member), and the later ones together fit in what the
        rebalance timeout leaves after the first (tryCompleteInitialRebalanceElseSchedule)."""
        self._transition(PREPARING_REBALANCE)
        self.epoch += 1
        if self.generation > 0:
            out.append(RebalanceStarted(self.generation))
        self.delaying = True
        delay = self.initial_rebalance_delay_us
        self.delay_budget_us = max(self._rebalance_timeout_us() - delay, 0)
        self.new_member_joined = False
        out.append(SetTimer(now + delay, ("initial-delay", self.epoch)))

    def _initial_delay_expired(self, now: int, out: list) -> None:
        if self.new_member_joined and self.delay_budget_us > 0:
            delay = min(self.initial_rebalance_delay_us, self.delay_budget_us)
            self.delay_budget_us -= delay
            self.new_member_joined = False
            out.append(SetTimer(now + delay, ("initial-delay", self.epoch)))
        else:
            self.delaying = False
            self._complete_join(now, out)

    def _prepare_rebalance(self, now: int, out: list) -> None:
        if self.state == COMPLETING_REBALANCE:
            for m in self.members.values():  # parked syncs learn the group moved on
                if m.sync_request is not None:
                    out.append(Reply(m.sync_request, SyncResponse("REBALANCE_IN_PROGRESS")))
                    m.sync_request = None
        self._transition(PREPARING_REBALANCE)
        self.epoch += 1
        self.new_member_joined = False
        out.append(RebalanceStarted(self.generation))
        for m in self.members.values():
            if m.join_request is None:
                out.append(NotifyRebalance(m.member_id))
        out.append(SetTimer(now + self._rebalance_timeout_us(), ("join", self.epoch)))
        self._try_complete_join(now, out)

    def _try_complete_join(self, now: int, out: list) -> None:
        if self.state != PREPARING_REBALANCE or self.delaying:
            return
        if all(m.join_request is not None for m in self.members.values()):
            self._complete_join(now, out)

    def _complete_join(self, now: int, out: list) -> None:
        """Dynamic members that did not rejoin are removed; static ones are carried into the new
        generation. The leader stays if it rejoined, else the first member that did."""
        for member_id in [
            m.member_id
            for m in self.members.values()
            if m.join_request is None and m.instance_id is None
        ]:
            self._remove(now, member_id, "not-rejoined", out, rebalance=False)
        if not self.members:
            self._transition(EMPTY)
            self._became_empty(now, out)
            return
        joined = [m.member_id for m in self.members.values() if m.join_request is not None]
        if not joined:  # only static members left, none rejoined: wait another round
            out.append(SetTimer(now + self._rebalance_timeout_us(), ("join", self.epoch)))
            return
        self.generation += 1
        if self.leader not in joined:
            self.leader = joined[0]
        self._transition(COMPLETING_REBALANCE)
        for m in self.members.values():
            if m.join_request is not None:
                out.append(Reply(m.join_request, self._join_response(m.member_id)))
            m.join_request = None
            self._reset_deadline(now, m, out)
        out.append(SetTimer(now + self._rebalance_timeout_us(), ("sync", self.generation)))

    def _reset_deadline(self, now: int, member: Member, out: list) -> None:
        """completeAndScheduleNextHeartbeatExpiration: a member that has stopped heartbeating
        gets one more full session from now."""
        member.deadline_reset_us = now
        expiry = member.expiry_us()
        if expiry is not None:
            out.append(SetTimer(expiry, ("expire", member.member_id, expiry)))

    def _join_response(self, member_id: str) -> JoinResponse:
        if member_id != self.leader:
            return JoinResponse(None, self.generation, self.leader)
        subscriptions = tuple(m.subscription for m in self.members.values())
        return JoinResponse(None, self.generation, self.leader, tuple(self.members), subscriptions)

    def _remove(self, now: int, member_id: str, reason: str, out: list, rebalance=True) -> None:
        member = self.members.pop(member_id)
        if member.instance_id is not None:
            del self.static_members[member.instance_id]
        out.append(MemberRemoved(member_id, reason))
        if member.join_request is not None:
            out.append(Reply(member.join_request, JoinResponse("UNKNOWN_MEMBER_ID")))
        if member.sync_request is not None:
            out.append(Reply(member.sync_request, SyncResponse("UNKNOWN_MEMBER_ID")))
        if not rebalance:
            return
        if not self.members:
            # The join phase completes at once with nobody in it (removeMemberAndUpdateClassicGroup
            # -> completeClassicGroupJoin, which cancels the join timer the initial delay also
            # uses): a delay or join timer still armed belongs to no rebalance.
            self.delaying = False
            self.epoch += 1
            if self.state != EMPTY:
                self._transition(EMPTY)
                self._became_empty(now, out)
            return
        if self.state in (STABLE, COMPLETING_REBALANCE):
            self._prepare_rebalance(now, out)
        elif self.state == PREPARING_REBALANCE:
            self._try_complete_join(now, out)
