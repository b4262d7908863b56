"""A consumer group member's heartbeats (KIP-848, `group.protocol = "consumer"`): the client's
background thread sending ConsumerGroupHeartbeat when its heartbeat manager says one is due.

Every heartbeat is a simulated request: assignments and epochs travel only in heartbeat
responses, and at the broker's interval (5 s by default) a member sends few of them. The timer is
one pending event per member, re-armed when the client's next heartbeat time moves earlier (a
join, an acknowledgement, a leave); a later one is found when the earlier event fires. A pause, a
network cut or an unknown coordinator holds heartbeats (`liveness`): the coordinator's session for
the member then runs from its last heartbeat, and the first heartbeat after the hold goes at once.
It never answers a heartbeat (the coordinator host does) and never decides when one is due (the
client model does).
"""

from __future__ import annotations

from .instance import Instance


class GroupHeartbeats:
    """The heartbeat timers of consumer group members, for `Simulation`."""

    def _heartbeat_check(self, inst: Instance) -> None:
        """The client's next heartbeat time may have moved: arm the timer if it is earlier than
        the one armed."""
        if not inst.alive or self._heartbeats_blocked(inst):
            return
        now = self.env.now
        due = inst.consumer.next_heartbeat_us(now)
        if due is None:
            return
        armed = inst.heartbeat_at
        if armed is not None and now <= armed <= due:
            return
        inst.heartbeat_at = due
        self._at(due, self._heartbeat_tick, inst, due)

    def _heartbeat_tick(self, inst: Instance, at_us: int) -> None:
        if at_us != inst.heartbeat_at:
            return  # a later arming replaced it
        inst.heartbeat_at = None
        if not inst.alive or self._heartbeats_blocked(inst):
            return
        consumer = inst.consumer
        consumer.now = self.env.now
        sent = consumer.send_heartbeat(self.env.now)
        if sent is not None:
            self._transmit(inst, *sent)
        self._heartbeat_check(inst)
        self._wake(inst)
