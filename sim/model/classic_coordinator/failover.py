"""The classic group coordinator's failover (docs/semantics.md §11): the group's __consumer_offsets
partition moves to another broker. While no broker serves the group every request gets
NOT_COORDINATOR, while the new one loads COORDINATOR_LOAD_IN_PROGRESS; then the group is what
__consumer_offsets held (its last stable or empty generation, and every acked commit), and
whatever lived only in memory (parked JoinGroup/SyncGroup, timers, a rebalance under way) is gone.

It owns the serving status and the persisted group. The driver says when each phase starts
(`failover`, `start_loading`, `loaded`); it never reads a clock."""

from __future__ import annotations

from dataclasses import replace

from ..coordinator_outputs import (
    ACTIVE,
    LOADING,
    NOT_SERVING_ERRORS,
    UNAVAILABLE,
    CancelTimers,
    Reply,
)
from ..messages import (
    CommitResponse,
    JoinGroup,
    JoinResponse,
    LeaveGroup,
    OffsetFetch,
    OffsetFetchResponse,
    SyncGroup,
    SyncResponse,
)
from .group import EMPTY, PersistedGroup


class Failover:
    """The failover's phases and what survives them (a part of
    `sim.model.coordinator.GroupCoordinator`)."""

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

    def _persist(self) -> None:
        members = tuple(
            replace(m, join_request=None, sync_request=None) for m in self.members.values()
        )
        self.persisted = PersistedGroup(
            self.state, self.generation, self.leader, members, self.empty_since_us
        )
