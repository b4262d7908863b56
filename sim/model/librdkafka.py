"""One librdkafka consumer instance (classic protocol, eager rebalancing): what differs from the
Java classic consumer it subclasses (docs/semantics.md §3, §7; docs/model.md).

- Offsets are *stored* per partition: at hand-over to the application (enable.auto.offset.store,
  the default) or by the application after processing (`auto-store-after-process`).
- Auto commit is not inside poll(): a background timer (the driver calls `auto_commit_tick` every
  auto.commit.interval.ms) commits, while the group is steady, each stored offset above the
  committed one (rdkafka_cgrp.c rd_kafka_cgrp_offset_commit_tmr_cb;
  rdkafka_partition.c rd_kafka_topic_partition_list_set_offsets).
- Every commit, async ones too, is one operation: the request is retried up to twice on retriable
  errors, then a coordinator error defers it once until the coordinator is found again, and it is
  re-sent with the generation current *then* (rdkafka_request.c rd_kafka_handle_OffsetCommit;
  rdkafka_cgrp.c rd_kafka_cgrp_op_handle_OffsetCommit, rd_kafka_cgrp_defer_offset_commit).
- On revoke and close the stored offsets of the removed partitions are committed, unless the
  assignment was lost; the rejoin waits for every outstanding commit (rdkafka_assignment.c
  rd_kafka_assignment_serve_removals, rd_kafka_assignment_serve).

Sans-IO like its base: retries and deferrals come back to the driver as `Later` requests.
"""

from __future__ import annotations

from dataclasses import dataclass

from .commands import CommitResult, Later, Send, Wait
from .consumer import (
    COMPLETING_REBALANCE,
    NO_GENERATION,
    PREPARING_REBALANCE,
    STABLE,
    UNJOINED,
    Consumer,
)
from .messages import RETRIABLE_COMMIT_ERRORS, LeaveGroup, OffsetCommit, Offsets

REQUEST_RETRIES = 2  # RD_KAFKA_REQUEST_DEFAULT_RETRIES (rdkafka_proto.h)
# Errors after which the commit waits for the coordinator (rd_kafka_cgrp_op_handle_OffsetCommit).
DEFERRED_COMMIT_ERRORS = frozenset({"NOT_COORDINATOR", "COORDINATOR_NOT_AVAILABLE"})


@dataclass
class CommitOp:
    """One RD_KAFKA_OP_OFFSET_COMMIT: its offsets, its current request, and how far it got."""

    offsets: Offsets
    kind: str  # "auto" | "async" | "sync"
    sequence: int
    request: OffsetCommit | None = None
    retries: int = 0
    deferred: bool = False
    result: CommitResult | None = None


class LibrdkafkaConsumer(Consumer):
    auto_commit_on_timer = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stored: dict[int, int] = {}  # rktp_stored_pos: the next offset to commit
        self.committed: dict[int, int] = {}  # rktp_committed_pos, as the client last knew it
        self.open_ops = 0  # rk_consumer.wait_commit_cnt

    # ---- the offset store -----------------------------------------------------------------------
    def _take(self, ends):
        """consume(n) with n = max.poll.records (poll() is n = 1): with the default
        enable.auto.offset.store every offset handed over is stored at once."""
        slices = super()._take(ends)
        if self.strategy.auto_offset_store:
            for p, _, end in slices:
                self.stored[p] = end
        return slices

    def _mark_processed(self, piece, records: int) -> None:
        """rd_kafka_offsets_store(offset + 1) after each processed record, when the application
        stores its offsets itself."""
        super()._mark_processed(piece, records)
        if not self.strategy.auto_offset_store:
            for p, _, _ in piece:
                if p in self.processed:
                    self.stored[p] = self.processed[p]

    def _stored_now(self, progress) -> dict[int, int]:
        """The stored offsets now; `progress` = (slices, records finished) of a batch being
        processed, whose finished records the application has stored one by one."""
        if progress is None or self.strategy.auto_offset_store:
            return self.stored
        stored = dict(self.stored)
        slices, records = progress
        for p, start, end in slices:
            if records <= 0:
                break
            taken = min(records, end - start)
            stored[p] = start + taken
            records -= taken
        return stored

    def _set_position(self, partition: int, offset: int, source: str) -> None:
        if source == "committed":  # the OffsetFetch answer updates rktp_committed_pos
            self.committed[partition] = offset
        super()._set_position(partition, offset, source)

    def _commit_offsets(self, stored: dict[int, int]) -> Offsets:
        """The stored offsets above the committed ones (rd_kafka_topic_partition_list_set_offsets
        with from_rktp: others are left out of the commit)."""
        committed = self.committed
        return tuple(
            (p, stored[p])
            for p in sorted(self.assignment)
            if p in stored and stored[p] > committed.get(p, -1)
        )

    # ---- the background timer -------------------------------------------------------------------
    def auto_commit_tick(self, progress=None) -> Send | None:
        """rd_kafka_cgrp_offset_commit_tmr_cb: nothing unless auto commit is on and the member is
        steady with its assignment intact; else the stored offsets above the committed ones."""
        if not self.strategy.auto_commit or self.state != STABLE or self._rebalancing():
            return None
        if self.generation == NO_GENERATION:
            return None  # the assignment is lost: nothing is committed
        offsets = self._commit_offsets(self._stored_now(progress))
        if not offsets:
            return None
        return self._start_op(offsets, "auto")

    # ---- the commit operation -------------------------------------------------------------------
    def _start_op(self, offsets: Offsets, kind: str) -> Send:
        self.commit_sequence += 1
        self.open_ops += 1
        op = CommitOp(offsets, kind, self.commit_sequence)
        return self._send_op(op, fresh=True)

    def _send_op(self, op: CommitOp, fresh: bool) -> Send:
        """A fresh request carries the member id and generation current now; a request retry
        re-sends the same bytes (rd_kafka_buf_retry)."""
        if fresh:  # with group.instance.id for a static member (rd_kafka_OffsetCommitRequest)
            op.request = OffsetCommit(self.member_id, self.generation, op.offsets, self.instance_id)
        request_id = self._request_id()
        self.inflight_async[request_id] = op
        self.observer.commit_sent(self.now, request_id, op.request.generation, op.offsets, op.kind)
        return Send(op.request, request_id)

    def on_response(self, request_id: int, response) -> Later | None:
        """rd_kafka_handle_OffsetCommit, then rd_kafka_cgrp_op_handle_OffsetCommit."""
        op = self.inflight_async.pop(request_id)
        error = response.error
        self.observer.commit_completed(self.now, request_id, error or "ok")
        config = self.config
        if error in RETRIABLE_COMMIT_ERRORS and op.retries < REQUEST_RETRIES:
            op.retries += 1  # backoff retry.backoff.ms doubling per retry; jitter left out
            backoff = min(config.retry_backoff_us << (op.retries - 1), config.retry_backoff_max_us)
            return self._later(op, self.now + backoff, fresh=False)
        if error in DEFERRED_COMMIT_ERRORS and not op.deferred:
            # Wait for the coordinator: found again after one lookup (retry.backoff.ms here).
            op.deferred = True
            op.retries = 0
            return self._later(op, self.now + config.retry_backoff_us, fresh=True)
        if error is None:
            for p, offset in op.offsets:
                if p in self.assignment:
                    self.committed[p] = offset
        else:
            self._on_commit_error(error, op.request.generation)
        self._finish(op, error)
        return None

    def _on_commit_error(self, error: str, sent_generation: int) -> None:
        """rd_kafka_cgrp_op_handle_OffsetCommit: UNKNOWN_MEMBER_ID forgets the member id and
        rejoins with the assignment lost; ILLEGAL_GENERATION does the same keeping the member id,
        unless a rebalance is in progress (a new generation may be on its way). FENCED_INSTANCE_ID
        is fatal (rd_kafka_handle_OffsetCommit: ACTION_FATAL, the application's next poll gets the
        fatal error and closes). Other errors, REBALANCE_IN_PROGRESS included, only fail the
        commit."""
        if error == "FENCED_INSTANCE_ID":
            self.failed = True
        elif error == "UNKNOWN_MEMBER_ID":
            self._reset_generation(reset_member=True)
        elif error == "ILLEGAL_GENERATION" and not self._rebalancing():
            self._reset_generation(reset_member=False)

    def _rebalancing(self) -> bool:
        """RD_KAFKA_CGRP_REBALANCING: from the rebalance notice until the join completes."""
        return self.rejoin_needed or self.state in (PREPARING_REBALANCE, COMPLETING_REBALANCE)

    def _later(self, op: CommitOp, at_us: int, fresh: bool) -> Later:
        # Parked under a key no request id takes, so the driver still sees a commit pending.
        self.inflight_async[-op.sequence] = op
        return Later(at_us, (op, fresh))

    def on_timer(self, key) -> Send:
        """A `Later` came due: retry the request, or send the deferred commit anew."""
        op, fresh = key
        del self.inflight_async[-op.sequence]
        return self._send_op(op, fresh)

    def _finish(self, op: CommitOp, error: str | None) -> None:
        self.open_ops -= 1
        op.result = CommitResult(op.offsets, error, op.sequence)
        if op.kind == "async":  # offset_commit_cb, served by the application's next poll
            self.completed_async.append(op.result)

    def _await(self, done):
        """Block the application until `done()` (woken by each commit response)."""
        while not done():
            yield Wait(self.now + self.config.session_timeout_us)

    def _await_commits(self):
        yield from self._await(lambda: self.open_ops == 0)

    # ---- the application's commit calls ---------------------------------------------------------
    def commit_sync(self, offsets: Offsets | None, kind: str = "sync", deadline_us=None):
        """rd_kafka_commit(async=0): the same operation, awaited until its final result (no
        deadline: `deadline_us` only keeps the base signature). No offsets: the stored ones above
        the committed ones."""
        offsets = self._commit_offsets(self.stored) if offsets is None else offsets
        if not offsets:
            self.commit_sequence += 1
            return CommitResult(offsets, None, self.commit_sequence)
        send = self._start_op(offsets, kind)
        op = self.inflight_async[send.request_id]
        yield send
        yield from self._await(lambda: op.result is not None)
        return op.result

    def commit_async(self, offsets: Offsets | None, kind: str = "async"):
        """rd_kafka_commit(async=1): retried and deferred like any commit (unlike Java's
        commitAsync); the result reaches offset_commit_cb at a later poll."""
        offsets = self._commit_offsets(self.stored) if offsets is None else offsets
        if offsets:
            yield self._start_op(offsets, kind)
        else:
            self.commit_sequence += 1  # every call counts, as in the base

    # ---- rebalances and close -------------------------------------------------------------------
    def on_join_prepare(self):
        """rd_kafka_cgrp_revoke_all_rejoin: revoke (committing the removed partitions' stored
        offsets unless lost), then rejoin once no commit is outstanding."""
        if self.assignment:
            yield from self.revoke(lost=self.generation == NO_GENERATION)
        yield from self._await_commits()

    def revoke(self, lost: bool):
        """The rebalance callback, then the unassign: the stored offsets of the removed partitions
        are committed with enable.auto.commit, unless the assignment was lost, and then reset."""
        yield from super().revoke(lost)
        removed = tuple(sorted(self.stored.items()))
        self.stored = {}
        self.committed = {}
        if removed and not lost and self.strategy.auto_commit:
            yield from self.commit_sync(removed, kind="auto")

    def close(self):
        """rd_kafka_consumer_close: unassign (with its commit), wait for outstanding commits,
        then LeaveGroup, which a static member does not send (rd_kafka_cgrp_leave_maybe, KIP-345).
        Unlike the Java client, no commit of positions comes first."""
        if self.assignment:
            yield from self.revoke(lost=self.generation == NO_GENERATION)
        yield from self._await_commits()
        if self.instance_id is None:
            yield Send(LeaveGroup(self.member_id), self._request_id())
        self.state = UNJOINED
