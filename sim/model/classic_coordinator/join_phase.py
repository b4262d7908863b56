"""The classic group's rebalance (docs/semantics.md §8-§10): the initial rebalance delay, the join
phase and its completion (new generation, leader, join responses), the session deadlines reset
with it, and the removal of a member with what follows (a rebalance, or an empty group).

It owns the group's transitions through the state table. It never answers a SyncGroup (the
coordinator's `sync`) and never reads a clock: timers are `SetTimer` outputs."""

from __future__ import annotations

from ..coordinator_outputs import MemberRemoved, NotifyRebalance, RebalanceStarted, Reply, SetTimer
from ..messages import JoinResponse, SyncResponse
from .group import COMPLETING_REBALANCE, EMPTY, PREPARING_REBALANCE, STABLE, TRANSITIONS, Member


class JoinPhase:
    """The rebalance's join phase (a part of `sim.model.coordinator.GroupCoordinator`)."""

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
            self._emptied(now, out)
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

    def _emptied(self, now: int, out: list) -> None:
        """The last member is gone. A STABLE or COMPLETING_REBALANCE group prepares a rebalance
        (removeMemberAndUpdateClassicGroup -> maybePrepareRebalanceOrCompleteJoin), and with
        nobody left to wait for, the join phase completes at once (completeClassicGroupJoin):
        initNextGeneration bumps the generation and, with no members, makes the group EMPTY; its
        metadata record is written with that generation. The pass through PREPARING_REBALANCE
        takes no time and is not reported as a rebalance."""
        if self.state != PREPARING_REBALANCE:
            self._transition(PREPARING_REBALANCE)
        self.generation += 1
        self._transition(EMPTY)
        self._became_empty(now, out)

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
                self._emptied(now, out)
            return
        if self.state in (STABLE, COMPLETING_REBALANCE):
            self._prepare_rebalance(now, out)
        elif self.state == PREPARING_REBALANCE:
            self._try_complete_join(now, out)
