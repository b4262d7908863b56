"""The drain and the run's end: after the window, heal, restart and consume to quiescence.

It owns the drain's start (faults stop firing, stopped consumers restart), the restarts' bound
(a consumer that keeps stopping by itself ends the run), the quiescence test a member makes when
its wakeable wait starts (a stable group, every partition's owner idle at the log end, nothing
more to come), the reason a run that did not quiesce gives, and halting a run that cannot make
progress. It never moves a consumer on (the poll loops do) and never steps time (`simulation`
runs the events).
"""

from __future__ import annotations

from sim.model import coordinator as co
from sim.model.consumer import STABLE

from .instance import Instance

DRAIN_RESTARTS = 100  # a consumer the drain restarted this many times stops at once each time


class Drain:
    """The drain's part of `Simulation` (its coordinator, ledger, log and instances)."""

    def _restart_down(self) -> None:
        for slot in sorted(self.down):
            if self.down[slot] != "leave":
                self._restart_in_drain(slot)
        if not any(inst is not None for inst in self.slots):
            for slot in sorted(self.down):
                self._restart_in_drain(slot)

    def _restart_in_drain(self, slot: int) -> None:
        """The drain restarts a stopped consumer; one that keeps stopping by itself (a reset
        policy of `none` with nothing committed) ends the run instead of restarting forever."""
        if self.halted.triggered:
            return
        if self.drain_restarts[slot] >= DRAIN_RESTARTS:
            self._halt(
                f"consumer {slot} stopped {DRAIN_RESTARTS} times in the drain (it cannot "
                f'consume: e.g. auto_offset_reset = "none" with no committed offset)'
            )
            return
        self.drain_restarts[slot] += 1
        self._start(slot)

    def _start_drain(self) -> None:
        """Heal every fault, restart crashed consumers, and consume to the end."""
        self.draining = True
        self._restart_down()

    def _drain_blocker(self, waiting: Instance | None) -> str | None:
        """Why the group is not drained yet (None: drained, a stable group whose every
        partition's owner is idle at the log end, with nothing more to come: production over,
        and no live consumer outside the group about to join it). `waiting`: the instance whose
        wait is starting, idle though not yet waiting."""
        coordinator = self.coordinator
        if self.producing:
            return "records are still being produced"
        if coordinator.status != co.ACTIVE:
            return "no broker serves the group (a coordinator failover)"
        if coordinator.state != co.STABLE:
            return f"the group is {coordinator.state}"
        for inst in self.slots:
            if inst is not None and inst.consumer.member_id not in coordinator.members:
                return f"{inst.consumer.member_id} is not in the group yet"
        owned = 0
        for member_id in coordinator.members:
            inst = self.by_member.get(member_id)
            if inst is None or not inst.alive:
                return f"member {member_id} is not running"
            consumer = inst.consumer
            if inst is not waiting and inst.wake is None:
                return f"{member_id} is busy"
            if consumer.state != STABLE or consumer.rejoin_needed:
                return f"{member_id} is rejoining"
            if consumer.inflight_async and not self._commits_change_nothing(consumer):
                return f"{member_id} has a commit in flight"
            if not consumer.coordinator_known:
                return f"{member_id} is looking for the coordinator"
            if inst.worker is not None and inst.worker.unfinished:
                return f"{member_id}'s worker has records to finish"
            for p in consumer.assignment:
                if consumer.positions.get(p) != self.log.end_offsets[p]:
                    return f"{member_id} has not reached the end of partition {p}"
            owned += len(consumer.assignment)
        if owned != self.log.partitions:
            return f"{self.log.partitions - owned} partitions have no owner"
        if self.txn_coordinator is not None:
            return self._transactions_busy()
        return None

    def _commits_change_nothing(self, consumer) -> bool:
        """Every commit the consumer has in flight was sent without anyone waiting for it (an
        async or auto commit) and names only offsets already committed: landing it changes no
        offset, so the drain need not wait for it (a loop that commits on every empty poll, or
        an auto commit every few ms, always has one in flight). A synchronous one (librdkafka
        keeps its operations in the same table) holds the application."""
        committed = self.coordinator.committed
        commits = self.ledger.commits
        for request_id in consumer.inflight_async:
            commit = commits.get(request_id)  # a librdkafka operation not yet sent has none
            if commit is None or commit.kind == "sync":
                return False
            if any(committed[p] != o for p, o in commit.offsets):
                return False
        return True

    def _check_drained(self, inst: Instance) -> None:
        """A wakeable wait starts: the run ends if the group is drained."""
        if self.draining and not self.done.triggered and self._drain_blocker(inst) is None:
            # Several members can find the group drained at the same instant (their poll
            # timeouts end together): the first one ends the run.
            self.done.succeed()

    def _halt(self, reason: str) -> None:
        """End the run now: it cannot make progress (`not_quiesced_reason`)."""
        if not self.halted.triggered:
            self.not_quiesced_reason = reason
            self.halted.succeed()
