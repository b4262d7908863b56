"""The heartbeat thread, and the faults that stop a consumer or cut it off: the part of the
driver that makes zombies (docs/semantics.md §9; AbstractCoordinator.HeartbeatThread).

Nothing here is an event per heartbeat or per poll. The poll timer is one timer per instance,
re-armed lazily; heartbeat responses are computed from the member's heartbeat phase; a pause or
a network cut blocks heartbeats, and the first heartbeat after it asks the coordinator afresh.
It never answers a request (the coordinator host does) and never fires a fault (`firing` calls
in here to stall, pause or cut).
"""

from __future__ import annotations

from sim.model import coordinator as co

from .instance import Instance


class Liveness:
    """Stalls, pauses, network cuts, the poll timer and heartbeat errors, for `Simulation`."""

    def _delay_processing(self, inst: Instance, delay_us: int) -> None:
        """A stall: the record in progress (or, between batches, the next one) takes longer."""
        if inst.processing is not None:
            inst.process.interrupt(delay_us)
        else:
            inst.stall_next_us += delay_us

    def _pause(self, inst: Instance, duration_us: int) -> None:
        """A stop-the-world pause: the loop freezes where it is (processing shifts, waits and
        responses end after the pause) and the heartbeat thread stops with it."""
        now = self.env.now
        start = max(inst.paused_until, now)
        self._block_heartbeats(inst)
        inst.paused_until = max(start, now + duration_us)
        if inst.processing is not None and inst.paused_until > start:
            inst.process.interrupt(inst.paused_until - start)
        self._at(inst.paused_until, self._unblock, inst)

    def _cut(self, inst: Instance, duration_us: int) -> None:
        """The link to the coordinator goes down: requests wait for the heal or are lost
        (`_at_coordinator`, `_lost_in_cut`), heartbeats stop; fetching from the partition leaders
        goes on."""
        self._block_heartbeats(inst)
        inst.cut_until = max(inst.cut_until, self.env.now + duration_us)
        self._at(inst.cut_until, self._unblock, inst)

    def _heartbeats_blocked(self, inst: Instance) -> bool:
        now = self.env.now
        return (
            inst.paused_until > now
            or inst.cut_until > now
            or inst.no_coordinator
            or inst.heartbeat_thread_off
        )

    def _heartbeat_thread(self, inst: Instance, enabled: bool) -> None:
        """The Java heartbeat thread disabled itself after a generation reset that kept the
        member id (ILLEGAL_GENERATION), or a JoinGroup succeeded and enabled it again
        (HeartbeatThread.run, JoinGroupResponseHandler). Off, it blocks heartbeats like a pause:
        the coordinator, which still has the member, hears none after the last tick. On, they
        resume as after a pause, unless a pause, cut or lookup still blocks them."""
        if not inst.alive or enabled != inst.heartbeat_thread_off:
            return
        if enabled:
            inst.heartbeat_thread_off = False
            self._unblock(inst)
        else:
            self._block_heartbeats(inst)
            inst.heartbeat_thread_off = True

    def _block_heartbeats(self, inst: Instance) -> None:
        """The coordinator hears no heartbeat after the last tick: it arms the session expiry."""
        if self._heartbeats_blocked(inst):
            return
        last = self._last_heartbeat(inst)
        inst.blocked_heartbeat_us = last
        member_id = inst.consumer.member_id
        self._apply(self.coordinator.heartbeats_stopped(self.env.now, member_id, last))

    def _unblock(self, inst: Instance) -> None:
        """A pause or cut ended. The heartbeat thread looks at the poll timer first (a paused
        member whose poll interval ran out leaves), then heartbeats at once, its timer having
        expired: the response tells a removed member UNKNOWN_MEMBER_ID, a rebalance
        REBALANCE_IN_PROGRESS (HeartbeatThread.run, HeartbeatResponseHandler)."""
        if not inst.alive or self._heartbeats_blocked(inst):
            return
        now = self.env.now
        consumer = inst.consumer
        consumer.now = now
        self._poll_timer(inst, inst.poll_timer_at)
        if self.consumer_protocol:  # the held heartbeat goes at once
            inst.heartbeat_at = None
            self._heartbeat_check(inst)
            return
        error = self.coordinator.heartbeat(now, consumer.member_id, consumer.generation)
        if consumer.heartbeating():
            inst.heartbeat_phase_us = now
            if error is not None:
                reply_us = now + self._heartbeat_round_trip(inst, 0)
                self._at(reply_us, self._heartbeat_reply, inst, consumer.member_id, error)

    # ---- coordinator rediscovery ---------------------------------------------------------------
    def _coordinator_unknown(self, inst: Instance) -> None:
        """The consumer marked its coordinator unknown (markCoordinatorUnknown; librdkafka
        rd_kafka_cgrp_coord_dead). Heartbeats stop until it is found again and the heartbeat
        timer next fires: the coordinator's session for the member runs on, so a long
        rediscovery can expel it. The lookup starts after the client's lookup delay."""
        if not inst.alive or inst.looking_up:
            return
        if not inst.no_coordinator:
            self._block_heartbeats(inst)
            inst.no_coordinator = True
            self._arm_client_session_check(inst)
        inst.looking_up = True
        inst.lookups += 1
        delay = inst.consumer.coordinator_lookup_delay_us()
        self._at(self.env.now + delay, self._find_coordinator, inst)

    def _find_coordinator(self, inst: Instance) -> None:
        """FindCoordinator to any broker (not the coordinator's connection: a network cut to
        the coordinator does not stop it). It is answered with COORDINATOR_NOT_AVAILABLE while
        no broker hosts the group (a failover's first phase), and the lookup is tried again
        after the client's delay; otherwise the coordinator is found."""
        if not inst.alive:
            return
        arrival = inst.lookup_conn.request_arrival(self.env.now)
        self._at(arrival, self._find_answered, inst)

    def _find_answered(self, inst: Instance) -> None:
        found = self.coordinator.status != co.UNAVAILABLE
        reply_us = inst.lookup_conn.response_arrival(self.env.now)
        if found:
            self._at(reply_us, self._coordinator_found, inst)
        else:
            self._at(reply_us, self._lookup_failed, inst)
            delay = inst.consumer.coordinator_lookup_delay_us()
            self._at(reply_us + delay, self._find_coordinator, inst)

    def _lookup_failed(self, inst: Instance) -> None:
        """The lookup's COORDINATOR_NOT_AVAILABLE reached the client: what waited for it may
        fail (Java's async commits made while the coordinator was unknown)."""
        if not inst.alive:
            return
        inst.consumer.now = self.env.now
        if inst.consumer.on_coordinator_lookup_failed():
            self._wake(inst)

    def _coordinator_found(self, inst: Instance) -> None:
        """The lookup succeeded: requests waiting for the coordinator go, and heartbeats resume
        when the heartbeat timer next fires (an interval after the last one sent: Heartbeat.
        shouldHeartbeat; librdkafka's rd_interval on rkcg_heartbeat_intvl), unless the
        coordinator is lost again before."""
        if not inst.alive:
            return
        now = self.env.now
        if inst.paused_until > now:  # a frozen process reads the answer when the pause ends
            self._at(inst.paused_until, self._coordinator_found, inst)
            return
        inst.looking_up = False
        consumer = inst.consumer
        consumer.now = now
        lookup = inst.lookups  # the consumer may lose it again at once (librdkafka's purge)
        self._carry_out(inst, consumer.on_coordinator_found())
        resume_us = max(now, inst.blocked_heartbeat_us + self.heartbeat_interval_us)
        self._at(resume_us, self._heartbeat_resumes, inst, lookup)
        self._wake(inst)

    def _heartbeat_resumes(self, inst: Instance, lookup: int) -> None:
        if not inst.alive or inst.looking_up or lookup != inst.lookups:
            return  # lost again before its first heartbeat: still blocked
        inst.no_coordinator = False
        self._unblock(inst)

    def _arm_client_session_check(self, inst: Instance) -> None:
        """librdkafka checks its own session (rd_kafka_cgrp_session_timeout_check): no
        successful heartbeat for session.timeout.ms and it resets its member id and loses its
        assignment. The Java client only marks the coordinator unknown then (it already is)."""
        at_us = inst.blocked_heartbeat_us + self.config.session_timeout_us
        self._at(max(at_us, self.env.now), self._client_session_check, inst, inst.lookups)

    def _client_session_check(self, inst: Instance, lookup: int) -> None:
        if not inst.alive or not inst.no_coordinator:
            return
        if lookup != inst.lookups and not inst.looking_up:
            return
        consumer = inst.consumer
        consumer.now = self.env.now
        self._carry_out(inst, consumer.on_client_session_timeout())
        self._wake(inst)

    def _frozen(self, inst: Instance):
        """A paused process resumes nothing before its pause ends."""
        while inst.paused_until > self.env.now:
            yield self.env.timeout(inst.paused_until - self.env.now)

    def _arm_poll_timer(self, inst: Instance, at_us: int) -> None:
        inst.poll_timer_at = at_us
        self._at(at_us, self._poll_timer, inst, at_us)

    def _poll_timer(self, inst: Instance, at_us: int | None) -> None:
        """The heartbeat thread's max.poll.interval.ms check: one timer per instance, re-armed
        lazily at the consumer's last poll + the interval (never an event per poll)."""
        if not inst.alive or at_us != inst.poll_timer_at or inst.paused_until > self.env.now:
            return  # stale, or frozen: `_unblock` checks when the pause ends
        now = self.env.now
        consumer = inst.consumer
        consumer.now = now
        member_id = consumer.member_id
        commands = consumer.on_poll_timeout()
        if commands is not None:
            self.ledger.fault(now, "poll-timeout", inst.number)
            self._carry_out(inst, commands)
            if self.consumer_protocol:
                # The Java client's leave heartbeat went; it goes on heartbeating when it rejoins
                # at its next poll (the application runs onPartitionsLost there). librdkafka
                # with a rebalance callback only stops heartbeating until then: the
                # coordinator's session runs out from its last heartbeat.
                if consumer.heartbeats_held():
                    last = self._last_heartbeat(inst)
                    self._apply(self.coordinator.heartbeats_stopped(now, member_id, last))
                self._wake(inst)
            else:
                # The reset generation stops the heartbeat thread (HeartbeatThread.run disables
                # itself once the member is UNJOINED; librdkafka skips heartbeats while
                # MAX_POLL_EXCEEDED): the coordinator hears nothing more from the old member
                # id. A dynamic member's LeaveGroup removes it first; a static one sends none
                # and expires one session after its last heartbeat, unless it rejoins before.
                last = self._last_heartbeat(inst)
                self._apply(self.coordinator.heartbeats_stopped(now, member_id, last))
        interval = self.config.rebalance_timeout_us
        due = consumer.last_poll_us + interval
        self._arm_poll_timer(inst, due if due > now else now + interval)

    def _member_removed(self, member_id: str) -> None:
        """The coordinator removed a member that may still be alive (its session expired, it did
        not rejoin or sync in time): it learns UNKNOWN_MEMBER_ID from its next heartbeat."""
        inst = self.by_member.get(member_id)
        if inst is None or not inst.alive or inst.heartbeat_phase_us is None:
            return
        reply_us = self._next_heartbeat_reply_us(inst)
        self._at(reply_us, self._heartbeat_reply, inst, member_id, "UNKNOWN_MEMBER_ID")

    def _heartbeat_reply(self, inst: Instance, member_id: str, error: str) -> None:
        """A heartbeat response with an error reaches the member, unless a pause or cut blocks
        it (`_unblock` heartbeats afresh) or the member already rejoined under a new id."""
        consumer = inst.consumer
        if not inst.alive or self._heartbeats_blocked(inst) or consumer.member_id != member_id:
            return
        consumer.now = self.env.now
        self._carry_out(inst, consumer.on_heartbeat_error(error))
        self._wake(inst)

    def _last_heartbeat(self, inst: Instance) -> int:
        if self._heartbeats_blocked(inst):
            return inst.blocked_heartbeat_us
        if self.consumer_protocol:  # every heartbeat is a request: the coordinator's own record
            return self.coordinator.last_heartbeat_us.get(inst.consumer.member_id, self.env.now)
        phase = inst.heartbeat_phase_us
        now = self.env.now
        if phase is None:
            return now
        return now - (now - phase) % self.heartbeat_interval_us
