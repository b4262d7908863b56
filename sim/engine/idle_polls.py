"""Idle polls in bulk: one clock for every consumer whose poll() is waiting on an empty fetch.

An idle consumer (`Wait.idle`: nothing fetched, nothing owed, a strategy that asks for nothing
while idle) polls again at each poll timeout, and such a poll changes nothing anyone reads but
its own bookkeeping (`Consumer.repoll_idle`: the last poll's time, the next deadline). So the
idle waits are kept in one heap, served by one scheduled event at the earliest deadline; when it
fires, every wait due then repolls, and so does every later deadline before the next queued event
of the simulation (nothing can change before it: the bookkeeping of those polls is done at once,
at their own instants). The drain is checked at the first of them: the others change nothing
it looks at. A wait whose consumer was woken meanwhile is dropped when it comes up;
one whose poll must run the loop (a repoll that cannot stand in for it, a pause) opens its gate.

It never decides whether a poll is idle (the consumer model does), never wakes a consumer (the
poll loop's `_wake` does) and never ends the drain itself (`drain` checks at each repoll).
"""

from __future__ import annotations

from heapq import heappop, heappush

from .clock import Relay
from .instance import Instance


class IdlePolls:
    """The idle-poll clock's part of `Simulation` (its environment; the poll loop's drain
    check). State: `idle_waits`, a heap of (deadline, order, instance, relay); `idle_armed`, the
    instant the clock's event is scheduled for (None: not scheduled); `idle_term`, bumped when
    it is re-armed earlier, voiding the event scheduled before."""

    def _idle_wait(self, inst: Instance, relay: Relay, at_us: int) -> None:
        """An idle poll's wait starts: it ends at `at_us` unless the consumer is woken before."""
        self.idle_order += 1
        heappush(self.idle_waits, (at_us, self.idle_order, inst, relay))
        armed = self.idle_armed
        if armed is None or at_us < armed:
            self.idle_armed = at_us
            self.idle_term += 1
            self._at(at_us, self._idle_tick, self.idle_term)

    def _idle_tick(self, term: int) -> None:
        if term != self.idle_term:
            return  # re-armed earlier meanwhile
        self.idle_armed = None
        env = self.env
        now = env.now
        waits = self.idle_waits
        checked = False  # the drain was checked this tick: polls change nothing it looks at
        while waits:
            at_us = waits[0][0]
            if at_us > now and at_us >= env.peek():
                break  # the next queued event may change what a poll finds
            entry = heappop(waits)
            inst, relay = entry[2], entry[3]
            if relay.woken or not inst.alive:
                continue  # woken, or stopped: its wait is over
            if self._repoll(inst, relay, at_us):
                if not checked:
                    self._check_drained(inst)
                    checked = True
                continue
            if at_us > now:  # the loop must run this poll, at its own instant
                heappush(waits, entry)
                break
            relay(None)
        if waits:
            self.idle_armed = waits[0][0]
            self.idle_term += 1
            self._at(self.idle_armed, self._idle_tick, self.idle_term)

    def _repoll(self, inst: Instance, relay: Relay, at_us: int) -> bool:
        """The poll at `at_us` returns empty and the next one starts, without the loop (`False`:
        the loop must run that poll)."""
        if inst.paused_until > at_us:
            return False
        consumer = inst.consumer
        consumer.now = at_us
        until = consumer.repoll_idle()
        if until is None:
            return False
        self.idle_order += 1
        heappush(self.idle_waits, (until, self.idle_order, inst, relay))
        return True
