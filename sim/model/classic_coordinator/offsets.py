"""The classic group's committed offsets: OffsetCommit fenced by member, generation and state
(docs/semantics.md §1, §5), transactional offset commits (KIP-447) and their markers, OffsetFetch,
and the offsets' expiry once the group is empty (offsets.retention.minutes).

It owns `committed` and the pending transactional offsets. It never changes the membership,
except that an accepted commit refreshes its member's session."""

from __future__ import annotations

from ..coordinator_outputs import STORED, CommitApplied, Reply, SetTimer
from ..messages import (
    CommitResponse,
    OffsetCommit,
    OffsetFetch,
    OffsetFetchResponse,
    TxnOffsetCommit,
)
from ..txn_offsets import MarkerTarget
from .group import COMPLETING_REBALANCE


class CommittedOffsets(MarkerTarget):
    """Commits, fetches and the offsets' expiry (a part of
    `sim.model.coordinator.GroupCoordinator`)."""

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

    def offset_fetch(self, now: int, request_id: int, req: OffsetFetch) -> list:
        if req.require_stable and self.txn_offsets.unstable(req.partitions):
            return [Reply(request_id, OffsetFetchResponse((), "UNSTABLE_OFFSET_COMMIT"))]
        offsets = tuple(self.committed[p] for p in req.partitions)
        return [Reply(request_id, OffsetFetchResponse(offsets))]

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
