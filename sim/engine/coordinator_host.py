"""The coordinator host: the group coordinator model served at a request's arrival time.

It owns handing each arriving request to the coordinator (or to the partition leader, for
ListOffsets), the commit windows' faults (commit-error, lost-response), carrying out the
coordinator's outputs (replies, timers, ledger records, rebalance notices, removals), the
rebalance notice a member hears from its next heartbeat, and the coordinator's failover. It never
decides group membership or fencing (the coordinator model does) and never carries a message
over the network (`network` schedules arrivals).
"""

from __future__ import annotations

from sim.model import coordinator as co
from sim.model.consumer_group import coordinator as cg
from sim.model.consumer_group.messages import ConsumerGroupHeartbeat, MemberOffsetFetch
from sim.model.messages import (
    CommitResponse,
    JoinGroup,
    LeaveGroup,
    ListOffsets,
    ListOffsetsResponse,
    OffsetCommit,
    OffsetFetch,
    SyncGroup,
    TxnOffsetCommit,
)

from .clock import US
from .instance import Instance
from .txn_host import TXN_REQUESTS


class CoordinatorHost:
    """The coordinator-hosting part of `Simulation` (its environment, coordinator, ledger,
    fault plan and heartbeat draws)."""

    def _at_coordinator(self, inst: Instance, request, request_id: int, sent_us: int) -> None:
        now = self.env.now
        coordinator = self.coordinator
        kind = type(request)
        lost = False
        if inst.cut_until > now and kind is not ListOffsets:  # ListOffsets goes to a leader
            if inst.cut_until < sent_us + self.request_timeout_us:
                # TCP retransmits: the request arrives once the link is back.
                self._at(inst.cut_until, self._at_coordinator, inst, request, request_id, sent_us)
            else:
                self._lost_in_cut(inst, request, request_id, sent_us)
            return
        if kind in TXN_REQUESTS:  # the transaction coordinator's (`txn_host`)
            self._at_txn_coordinator(inst, request, request_id)
            return
        refused = coordinator.refuse(request_id, request) if kind is not ListOffsets else None
        if refused is not None:
            outputs = refused  # no broker serves the group (a failover)
        elif kind is OffsetCommit:
            windows = self.faults.windows  # none in most scenarios: no lookups
            hit = windows and self.faults.window_hit(
                "commit-error", inst.slot, now, request_id, self.seed, "OffsetCommit"
            )
            if hit:
                self.ledger.fault(now, "commit-error", inst.number, hit[1].error)
                outputs = [co.Reply(request_id, CommitResponse(hit[1].error))]
            else:
                outputs = coordinator.commit(now, request_id, request)
            hit = windows and self.faults.window_hit(
                "lost-response", inst.slot, now, request_id, self.seed
            )
            if hit:
                self.ledger.fault(now, "lost-response", inst.number)
                inst.conn.hang(sent_us + self.request_timeout_us)
                lost = True
        elif kind is JoinGroup:
            self._note_member(inst, request.member_id)
            outputs = coordinator.join(now, request_id, request)
            if not inst.alive:
                outputs += coordinator.heartbeats_stopped(now, request.member_id, now)
        elif kind is ConsumerGroupHeartbeat:
            outputs = coordinator.heartbeat(now, request_id, request)
            if not inst.alive or self._heartbeats_blocked(inst) or inst.consumer.heartbeats_held():
                # Sent before the member died, froze or held its heartbeats: its session runs
                # from here.
                outputs += coordinator.heartbeats_stopped(now, request.member_id, now)
        elif kind is MemberOffsetFetch:
            outputs = coordinator.offset_fetch(now, request_id, request)
        elif kind is SyncGroup:
            outputs = coordinator.sync(now, request_id, request)
        elif kind is OffsetFetch:
            outputs = coordinator.offset_fetch(now, request_id, request)
        elif kind is ListOffsets:
            ends = tuple(self.log.end_offsets[p] for p in request.partitions)
            outputs = [co.Reply(request_id, ListOffsetsResponse(ends))]
        elif kind is LeaveGroup:
            outputs = coordinator.leave(now, request)
        elif kind is TxnOffsetCommit:
            self._txn_offset_commit(inst, request, request_id)
            return
        else:
            raise TypeError(f"unknown request {request!r}")
        self._apply(outputs, lost_request=request_id if lost else None)
        if kind is ConsumerGroupHeartbeat:
            self._consumer_group_stable()

    def _consumer_group_stable(self) -> None:
        """A consumer group whose every member reached the target assignment: the ledger's
        `generation` record, once per target epoch."""
        coordinator = self.coordinator
        epoch = coordinator.assignment_epoch
        if coordinator.state != cg.STABLE or epoch == self.stable_epoch:
            return
        self.stable_epoch = epoch
        assignment = {
            self.by_member[m].number: member.assigned for m, member in coordinator.members.items()
        }
        self.ledger.generation(self.env.now, epoch, assignment)

    def _note_member(self, inst: Instance, member_id: str) -> None:
        """A client that reset its member id rejoins as a new member; the old id stops
        heartbeating and expires one session later."""
        if member_id not in self.by_member:
            old = inst.member_ids[-1]
            inst.member_ids.append(member_id)
            self.by_member[member_id] = inst
            self._apply(self.coordinator.heartbeats_stopped(self.env.now, old, self.env.now))

    def _apply(self, outputs, lost_request: int | None = None) -> None:
        now = self.env.now
        for out in outputs:
            kind = type(out)
            if kind is co.Reply:
                self._respond(out.request_id, out.response, lost=out.request_id == lost_request)
            elif kind is co.CommitApplied:  # with Reply, what every accepted commit outputs
                self.ledger.commit_applied(now, out.request_id)
            elif kind is co.SetTimer:
                self._at(out.at_us, self._coordinator_timer, out.token, self.timer_term)
            elif kind is co.CancelTimers:
                self.timer_term += 1
            elif kind is co.OffsetsExpired:
                detail = "partitions " + ",".join(map(str, out.partitions))
                self.ledger.fault(now, "offsets-expired", -1, detail)
            elif kind is co.NotifyRebalance:
                self._notify_rebalance(self.by_member.get(out.member_id))
            elif kind is co.MemberRemoved:
                # A live member of a consumer group learns it from its next heartbeat.
                if out.reason != "leave" and not self.consumer_protocol:
                    self._member_removed(out.member_id)
            elif kind is co.RebalanceStarted:
                self.ledger.rebalance_started(now, out.generation)
            elif kind is cg.TargetAssignment:  # a consumer group's "rebalance": a new target
                self.ledger.rebalance_started(now, out.epoch)
            elif kind is co.GroupStable:
                assignment = {self.by_member[m].number: parts for m, parts in out.assignment}
                self.ledger.generation(now, out.generation, assignment)

    def _coordinator_timer(self, token: tuple, term: int) -> None:
        if term == self.timer_term:
            self._apply(self.coordinator.timer(self.env.now, token))

    def _notify_rebalance(self, inst: Instance | None) -> None:
        """The member hears of the rebalance in the response to its next heartbeat."""
        if inst is None or not inst.alive or inst.heartbeat_phase_us is None:
            return
        self._at(self._next_heartbeat_reply_us(inst), self._rebalance_notice, inst)

    def _next_heartbeat_reply_us(self, inst: Instance) -> int:
        """When the response to the member's next heartbeat arrives: next tick + round trip."""
        now, phase, interval = self.env.now, inst.heartbeat_phase_us, self.heartbeat_interval_us
        tick = -(-(now - phase) // interval)
        return phase + tick * interval + self._heartbeat_round_trip(inst, tick)

    def _heartbeat_round_trip(self, inst: Instance, tick: int) -> int:
        subject = (inst.number,)
        draws = self.heartbeat_draws
        return draws.one(subject, 2 * tick) + draws.one(subject, 2 * tick + 1)

    def _missed_rebalance(self, inst: Instance) -> None:
        """A member whose SyncGroup response was on its way when the next rebalance started (a
        cooperative follow-up starts within milliseconds) ignored or never got that notice: its
        first heartbeat as a stable member gets REBALANCE_IN_PROGRESS."""
        coordinator = self.coordinator
        member = coordinator.members.get(inst.consumer.member_id)
        if coordinator.state == co.PREPARING_REBALANCE and member and member.join_request is None:
            self._notify_rebalance(inst)

    def _rebalance_notice(self, inst: Instance) -> None:
        if inst.alive and not self._heartbeats_blocked(inst):
            inst.consumer.now = self.env.now
            self._carry_out(inst, inst.consumer.on_rebalance_notice())
            self._wake(inst)

    def _failover(self, unavailable_us: int, loading_us: int) -> None:
        """The coordinator moves: unavailable, then loading, then serving the persisted group.
        Once begun, a failover runs its course even into the drain. A failover that starts
        before the previous one ended moves the group again: the previous one's remaining
        phases are void (the broker that was to load it no longer hosts the partition)."""
        if self.draining:
            return
        now = self.env.now
        detail = f"unavailable {unavailable_us // US} ms, loading {loading_us // US} ms"
        self.ledger.fault(now, "coordinator-failover", -1, detail)
        self.failovers += 1
        self._apply(self.coordinator.failover(now))
        for inst in self.instances:  # their next heartbeat is answered NOT_COORDINATOR
            if inst.alive and inst.heartbeat_phase_us is not None and not self.consumer_protocol:
                at_us = self._next_heartbeat_reply_us(inst)
                self._at(at_us, self._heartbeat_not_coordinator, inst, inst.consumer.member_id)
        term = self.failovers
        start_loading, loaded = self.coordinator.start_loading, self.coordinator.loaded
        self._at(now + unavailable_us, self._coordinator_phase, start_loading, term)
        self._at(now + unavailable_us + loading_us, self._coordinator_phase, loaded, term)

    def _heartbeat_not_coordinator(self, inst: Instance, member_id: str) -> None:
        """A heartbeat sent while no broker serves the group (HeartbeatResponseHandler:
        NOT_COORDINATOR marks the coordinator unknown)."""
        if self.coordinator.status == co.UNAVAILABLE:
            self._heartbeat_reply(inst, member_id, "NOT_COORDINATOR")

    def _coordinator_phase(self, phase, term: int) -> None:
        if term == self.failovers:
            self._apply(phase(self.env.now))
