"""What a consumer group keeps in __consumer_offsets, and how it survives a failover: commits
checked against the member's own epoch, transactional commits (KIP-447) and their markers,
OffsetFetch with a member epoch, and the failover's phases (only the timers are lost: every change
was written before it was answered).

It owns `committed`, the pending transactional offsets and the serving status. It never changes
a member's epoch or assignment."""

from __future__ import annotations

from ..coordinator_outputs import (
    ACTIVE,
    LOADING,
    NOT_SERVING_ERRORS,
    STORED,
    UNAVAILABLE,
    CancelTimers,
    CommitApplied,
    Reply,
)
from ..messages import CommitResponse, OffsetCommit, OffsetFetchResponse, TxnOffsetCommit
from ..txn_offsets import MarkerTarget
from .messages import ConsumerGroupHeartbeat, ConsumerGroupHeartbeatResponse, MemberOffsetFetch
from .reconciliation import UNREVOKED_PARTITIONS


class OffsetsAndFailover(MarkerTarget):
    """Commits, fetches and the failover (a part of
    `sim.model.consumer_group.coordinator.ConsumerGroupCoordinator`)."""

    def commit(self, now: int, request_id: int, req: OffsetCommit) -> list:
        """OffsetMetadataManager.commitOffset after ConsumerGroup.validateOffsetCommit: a known
        member with its own current epoch (STALE_MEMBER_EPOCH otherwise: another member's
        rebalance does not fence it, but its own epoch must be current). Last write wins; unlike
        the classic group, a commit does not refresh the member's session."""
        error = self._member_check(req.member_id, req.generation, empty_ok=True)
        if error is not None:
            return [Reply(request_id, CommitResponse(error))]
        for partition, offset in req.offsets:
            self.committed[partition] = offset
        if self.txn_offsets.pending:  # a later plain commit outranks a pending transactional one
            self.txn_offsets.plain_commit(req.offsets)
        return [CommitApplied(request_id, req.offsets), Reply(request_id, STORED)]

    def txn_offset_commit(self, now: int, request_id: int, req: TxnOffsetCommit) -> list:
        """OffsetMetadataManager.validateTransactionalOffsetCommit: ConsumerGroup.
        validateOffsetCommit with isTransactional (a known member, UNKNOWN_MEMBER_ID otherwise,
        with its own current epoch), a stale epoch answered ILLEGAL_GENERATION (the producer's
        TxnOffsetCommitHandler knows no STALE_MEMBER_EPOCH); then the producer's epoch. Pending
        until the transaction's marker (`txn_marker`)."""
        error = self._member_check(req.member_id, req.generation, empty_ok=True)
        if error == "STALE_MEMBER_EPOCH":
            error = "ILLEGAL_GENERATION"
        if error is None:
            error = self.txn_offsets.add(req.producer_id, req.epoch, req.offsets)
        return [Reply(request_id, CommitResponse(error))]

    def offset_fetch(self, now: int, request_id: int, req: MemberOffsetFetch) -> list:
        """ConsumerGroup.validateOffsetFetch, then the committed offsets; with requireStable,
        UNSTABLE_OFFSET_COMMIT while a transaction's offsets are pending (fetchOffsets)."""
        if req.member_id is not None or req.member_epoch >= 0:
            error = self._member_check(req.member_id, req.member_epoch, empty_ok=False)
            if error is not None:
                return [Reply(request_id, OffsetFetchResponse((), error))]
        if req.require_stable and self.txn_offsets.unstable(req.partitions):
            return [Reply(request_id, OffsetFetchResponse((), "UNSTABLE_OFFSET_COMMIT"))]
        offsets = tuple(self.committed[p] for p in req.partitions)
        return [Reply(request_id, OffsetFetchResponse(offsets))]

    def _member_check(self, member_id, epoch: int, empty_ok: bool) -> str | None:
        if empty_ok and epoch < 0 and not self.members:
            return None  # an admin or group-less commit to an empty group
        member = self.members.get(member_id)
        if member is None:
            return "UNKNOWN_MEMBER_ID"
        return None if epoch == member.epoch else "STALE_MEMBER_EPOCH"

    def failover(self, now: int) -> list:
        """The group's __consumer_offsets partition moves. Every change was written there before
        it was answered, so only the timers are lost (CoordinatorRuntime: timer.cancelAll)."""
        self.status = UNAVAILABLE
        return [CancelTimers()]

    def start_loading(self, now: int) -> list:
        self.status = LOADING
        return []

    def loaded(self, now: int) -> list:
        """GroupMetadataManager.onLoaded: every member's session starts again from now, and a
        member still revoking gets a fresh rebalance timer."""
        self.status = ACTIVE
        out: list = []
        for member_id in list(self._session):
            self._arm_session(member_id, now, out)
        for member in self.members.values():
            if member.state == UNREVOKED_PARTITIONS:
                self._arm_rebalance(now, member, out)
        return out

    def refuse(self, request_id: int, request) -> list | None:
        """The answer to any request while no broker serves the group, else None."""
        error = NOT_SERVING_ERRORS.get(self.status)
        if error is None:
            return None
        kind = type(request)
        if kind is ConsumerGroupHeartbeat:
            response = ConsumerGroupHeartbeatResponse(error)
        elif kind is MemberOffsetFetch:
            response = OffsetFetchResponse((), error)
        else:
            response = CommitResponse(error)
        return [Reply(request_id, response)]
