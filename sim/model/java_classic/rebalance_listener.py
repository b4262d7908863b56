"""The Java classic consumer's rebalance listener handling (ConsumerCoordinator.onJoinPrepare,
onJoinComplete, and the revoke they and close() share): which partitions go to
onPartitionsRevoked or onPartitionsLost, and which come to onPartitionsAssigned
(docs/semantics.md §2, §8).

It owns what a revoke takes away (positions, processed offsets, pause state, the worker's tenure).
It never sends a group request: the join and sync are `membership`'s."""

from __future__ import annotations

from .state import NO_GENERATION


class RebalanceListener:
    """onJoinPrepare, onJoinComplete and the revoke (a part of `sim.model.consumer.Consumer`)."""

    def on_join_prepare(self):
        """ConsumerCoordinator.onJoinPrepare: auto commit (sync, awaited, errors logged); then,
        when the generation was reset, onPartitionsLost for everything. Eager: otherwise
        onPartitionsRevoked and the whole assignment goes. Cooperative: nothing is revoked here
        (docs/semantics.md §2, §8)."""
        if self.strategy.auto_commit and self.generation != NO_GENERATION:
            # maybeAutoCommitOffsetsAsync: an empty commit completes in the client at once,
            # without waiting for the commits in flight as an empty commitSync would.
            offsets = self.position_offsets()
            if offsets:
                deadline = self.now + self.config.rebalance_timeout_us
                yield from self.commit_sync(offsets, kind="auto", deadline_us=deadline)
        lost = self.generation == NO_GENERATION
        if self.assignment and (lost or not self.cooperative):
            yield from self.revoke(lost=lost)

    def on_join_complete(self, assigned: tuple[int, ...]):
        """ConsumerCoordinator.onJoinComplete, COOPERATIVE: onPartitionsRevoked for just the
        partitions no longer assigned (no auto commit first), and if there were any, a rejoin at
        once (the follow-up rebalance); onPartitionsAssigned for just the added ones; kept ones
        keep their positions."""
        revoked = tuple(p for p in self.assignment if p not in assigned)
        added = tuple(p for p in assigned if p not in self.assignment)
        if revoked:
            yield from self.revoke(lost=False, partitions=revoked)
            self.rejoin_needed = True
        return (yield from self._assignment_received(assigned, added))

    def revoke(self, lost: bool, partitions: tuple[int, ...] | None = None):
        """onPartitionsRevoked (or onPartitionsLost) for `partitions`, by default all owned;
        then they go, with their positions."""
        parts = self.assignment if partitions is None else partitions
        if lost:
            calls = self.strategy.on_lost(self, parts)
        else:
            calls = self.strategy.on_revoked(self, parts)
        yield from self.call(calls)
        self.observer.revoked(self.now, parts, lost)
        if partitions is None:
            self.assignment = ()
            self.positions = {}
            self.processed = {}
            self.paused = set()  # a rebalance does not keep the pause state
            self._tenure += 1  # the worker's progress on them no longer counts as processed
            return
        self.assignment = tuple(p for p in self.assignment if p not in parts)
        for p in parts:
            self.positions.pop(p, None)
            self.processed.pop(p, None)
            self.paused.discard(p)
        for entry in self.worker_queue:
            if entry[0] in parts:
                entry[3] = -1  # queued for the worker under a tenure that just ended
