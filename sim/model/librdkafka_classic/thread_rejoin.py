"""A librdkafka consumer without a rebalance callback (`rebalance_callback = False`): the client's
thread unassigns as soon as it hears of the rebalance, mid-batch, and rejoins by itself, step by
step: JoinGroup, SyncGroup, then the new assignment's committed offsets or auto.offset.reset
(rdkafka_cgrp.c rd_kafka_rebalance_op, rd_kafka_cgrp_handle_JoinGroup, _SyncGroup;
rdkafka_assignment.c rd_kafka_assignment_serve).

It owns the thread's rejoin (`background_join`) and the revokes the application has not been told
of yet (`unreported_revoke`: their tenures end at the application's next poll). It never runs the
application's rebalance hooks: there is no callback."""

from __future__ import annotations

from ..commands import Later, Send
from ..java_classic.state import PREPARING_REBALANCE, STABLE
from ..messages import (
    COORDINATOR_ERRORS,
    JoinResponse,
    ListOffsets,
    ListOffsetsResponse,
    OffsetFetch,
    SyncResponse,
)


class ThreadRejoin:
    """The client thread's own unassign and rejoin (a part of
    `sim.model.librdkafka.LibrdkafkaConsumer`)."""

    def _thread_revoke(self, lost: bool, rejoin: bool = True) -> list:
        """No rebalance callback: the client's thread unassigns at once, mid-batch if the
        application is processing one: the removed partitions' stored offsets are committed
        (enable.auto.commit, not lost) and reset, and the thread rejoins once no commit is
        outstanding (rd_kafka_rebalance_op -> rd_kafka_cgrp_unassign; rd_kafka_assignment_serve;
        rd_kafka_cgrp_unassign_done). With a callback nothing happens here."""
        if self.config.rebalance_callback or self._closing:
            return []
        out: list = []
        if self.assignment:
            parts = self.assignment
            # The application, told nothing, goes on with the batch in hand: for the ledger
            # its tenure ends when it next polls (`poll`), like a zombie's.
            self.unreported_revoke.append((parts, lost))
            removed = tuple(sorted((p, o) for p, o in self.stored.items() if p in parts))
            self.stored, self.committed = {}, {}
            self.assignment, self.positions, self.processed, self.paused = (), {}, {}, set()
            self._purge(parts)
            self._tenure += 1
            for entry in self.worker_queue:
                entry[3] = -1
            if removed and not lost and self.strategy.auto_commit:
                send = self._start_op(removed, "auto")
                if send is not None:
                    out.append(send)
        self.background_join = rejoin
        self.needs_join_prepare = not rejoin
        return out + self._maybe_join() + self.take_laters()

    def _maybe_join(self) -> list:
        """The thread's rejoin: once no commit is outstanding and the coordinator is known
        (rd_kafka_assignment_serve signals the unassign done at wait_commit_cnt == 0)."""
        if (
            not self.background_join
            or self.group_request is not None
            or self.open_ops
            or not self.coordinator_known
            or self._closing
            or self.failed
        ):
            return []
        if self.now < self.retry_join_after_us:
            return [Later(self.retry_join_after_us, (None, "join"))]
        self.state = PREPARING_REBALANCE
        self.group_request = self._request_id()
        return [Send(self._join_request(), self.group_request)]

    def on_group_response(self, request_id: int, response) -> list:
        """The thread's rejoin, step by step: JoinGroup, SyncGroup, then the new assignment's
        committed offsets (OffsetFetch) or auto.offset.reset (ListOffsets), all without the
        application (rd_kafka_cgrp_handle_JoinGroup, _SyncGroup; rd_kafka_assignment_serve)."""
        if request_id != self.group_request:
            return []
        self.group_request = None
        if self._closing:
            return []
        kind = type(response)
        if kind is JoinResponse:
            if self._join_failed(response):
                return self._join_again()
            self.group_request = self._request_id()
            return [Send(self._sync_request(response), self.group_request)]
        if kind is SyncResponse:
            if response.error is not None:
                self._sync_failed(response)
                return self._join_again()
            self.state = STABLE
            self.rejoin_needed = False
            self.needs_join_prepare = True
            self.assignment = self.last_assignment = response.assignment
            self._fetch_from_last()
            self._report_revoke(again=True)
            self.observer.assigned(self.now, self.generation, self.assignment)
            return self._fetch_positions()
        if kind is ListOffsetsResponse:
            for p, offset in zip(self._resetting, response.offsets, strict=True):
                self._set_position(p, offset, "reset")
            self.background_join = False
            return []
        # OffsetFetchResponse
        if response.error in COORDINATOR_ERRORS:
            self._coordinator_lost(response.error)
            self.needs_offsets = not self.coordinator_known  # fetched again once found
            return [Later(self.retry_join_after_us, (None, "offsets"))]
        missing = []
        for p, offset in zip(self._fetching, response.offsets, strict=True):
            if offset is None:
                missing.append(p)
            else:
                self._set_position(p, offset, "committed")
        return self._reset_positions(tuple(missing))

    def _join_again(self) -> list:
        if self.failed:
            self.background_join = False
            return []
        return self._maybe_join()

    def _fetch_positions(self) -> list:
        self._fetching = tuple(p for p in self.assignment if p not in self.positions)
        if not self._fetching:
            self.background_join = False
            return []
        self.group_request = self._request_id()
        return [Send(OffsetFetch(self._fetching), self.group_request)]

    def _reset_positions(self, missing: tuple[int, ...]) -> list:
        if not missing:
            self.background_join = False
            return []
        reset = self.config.auto_offset_reset
        if reset == "none":
            self.failed = True  # the error reaches the application's next poll
            self.background_join = False
            return []
        if reset == "latest":
            self._resetting = missing
            self.group_request = self._request_id()
            return [Send(ListOffsets(missing), self.group_request)]
        for p in missing:
            self._set_position(p, 0, "reset")
        self.background_join = False
        return []

    def poll(self):
        """consume(): the application learns nothing of a revoke its thread made, but it has
        finished the batch it held: those tenures end here (unless assigned again)."""
        self._report_revoke()
        return (yield from super().poll())

    def _report_revoke(self, again: bool = False) -> None:
        """End the tenures of a revoke the thread made: at the application's next poll, or,
        for the partitions the thread got back (`again`), when it gets them (a new tenure)."""
        kept = []
        for parts, lost in self.unreported_revoke:
            ended = tuple(p for p in parts if (p in self.assignment) == again)
            if ended:
                self.observer.revoked(self.now, ended, lost)
            if again and len(ended) < len(parts):
                kept.append((tuple(p for p in parts if p not in ended), lost))
        self.unreported_revoke = kept

    def held_partitions(self) -> tuple[int, ...]:
        return self.assignment + tuple(
            p for parts, _ in self.unreported_revoke for p in parts if p not in self.assignment
        )
