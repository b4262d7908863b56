"""librdkafka's assignment operations in a consumer group (rdkafka_assignment.c): what the
consumer does with the membership's `Unassign` and `AddAssignment` commands, and when it tells
the membership that no operation is left (`assignment_done`).

- `Unassign`: the partitions stop; with `commit` their stored offsets are committed, as the
  classic revoke's (rd_kafka_assignment_serve_removals).
- `AddAssignment`: the partitions join the assignment and fetch nothing until their committed
  offsets are known: an OffsetFetch naming the member and its epoch, else auto.offset.reset
  (rd_kafka_assignment_serve_pending, rd_kafka_assignment_handle_OffsetFetch).
- No commit outstanding and no offsets being fetched: `assignment_done`
  (rd_kafka_assignment_serve).

It owns the offsets being fetched and the pending operation flag (set up by
`sim.model.consumer_group.librdkafka_consumer.LibrdkafkaGroupConsumer`); it never reads a clock.
"""

from __future__ import annotations

from ..commands import Send
from ..messages import COORDINATOR_ERRORS, ListOffsets
from .messages import MemberOffsetFetch

MEMBER_ERRORS = frozenset({"STALE_MEMBER_EPOCH", "UNKNOWN_MEMBER_ID"})


class AssignmentOps:
    """The assignment operations (a part of `LibrdkafkaGroupConsumer`)."""

    def _unassign(self, partitions: tuple[int, ...], commit: bool) -> list:
        """rd_kafka_assignment_subtract, then serve_removals: the partitions stop; with `commit`
        their stored offsets are committed (as the classic revoke's). Partitions the
        application still holds (the thread's own unassign) end their tenures at its next
        poll, as in the classic consumer."""
        held = tuple(p for p in partitions if p in self.assignment)
        if held:
            self.unreported_revoke.append((held, self.membership.assignment_lost))
            self.assignment = tuple(p for p in self.assignment if p not in held)
            for p in held:
                self.positions.pop(p, None)
                self.processed.pop(p, None)
                self.paused.discard(p)
            for entry in self.worker_queue:
                if entry[0] in held:
                    entry[3] = -1
        removed = tuple(sorted((p, o) for p, o in self.stored.items() if p in partitions))
        for p in partitions:
            self.stored.pop(p, None)
            self.committed.pop(p, None)
            self.awaiting_offsets.discard(p)
        self._purge(partitions)
        out: list = []
        if commit and removed:
            send = self._start_op(removed, "auto")
            if send is not None:
                out.append(send)
        self.op_pending = True
        return out + self._progress()

    def _add(self, partitions: tuple[int, ...]) -> None:
        """rd_kafka_assignment_add: the partitions join the assignment, fetching nothing until
        their offsets are known."""
        self.op_pending = True
        if not partitions:
            return
        self.assignment = tuple(sorted(set(self.assignment) | set(partitions)))
        self._report_revoke(again=True)
        self.awaiting_offsets.update(partitions)
        self.observer.assigned(self.now, self.membership.epoch, self.assignment)

    def _fetch_offsets(self, partitions: tuple[int, ...]) -> list:
        """rd_kafka_assignment_serve_pending: an OffsetFetch naming the member and its epoch for
        the partitions not positioned yet (a rebalance callback may have set some); it waits
        for the coordinator when it is unknown."""
        need = tuple(
            p for p in partitions if p in self.awaiting_offsets and p not in self.positions
        )
        for p in partitions:
            if p in self.positions:
                self.awaiting_offsets.discard(p)
        if not need:
            return self._progress()
        if not self.coordinator_known:
            self.refetch = tuple(sorted(set(self.refetch) | set(need)))
            return []
        request_id = self._request_id()
        self.fetches[request_id] = ("committed", need)
        self.inflight_async[request_id] = None  # routes the response to `on_response`
        request = MemberOffsetFetch(need, self.member_id, max(self.membership.epoch, 0))
        return [Send(request, request_id)]

    def _on_offsets(self, request_id: int, response) -> list:
        """rd_kafka_assignment_handle_OffsetFetch: committed offsets become positions, the
        others go to auto.offset.reset (ListOffsets for `latest`); a stale epoch or unknown
        member expedites the heartbeat and fetches again after its response; a coordinator
        error once the coordinator is found again."""
        kind, parts = self.fetches.pop(request_id)
        del self.inflight_async[request_id]
        if kind == "reset":
            for p, offset in zip(parts, response.offsets, strict=True):
                if p in self.awaiting_offsets:
                    self._positioned(p, offset, "reset")
            return self._progress()
        error = response.error
        if error in MEMBER_ERRORS or error in COORDINATOR_ERRORS:
            if error in MEMBER_ERRORS:
                self.membership._expedite(self.now)
            else:
                self._coordinator_lost(error)
            self.refetch = tuple(sorted(set(self.refetch) | set(parts)))
            return []
        missing = []
        for p, offset in zip(parts, response.offsets, strict=True):
            if p not in self.awaiting_offsets:
                continue  # unassigned meanwhile, or positioned by the application
            if offset is None:
                missing.append(p)
            else:
                self._positioned(p, offset, "committed")
        return self._reset(tuple(missing)) + self._progress()

    def _reset(self, missing: tuple[int, ...]) -> list:
        """auto.offset.reset for partitions without a committed offset."""
        if not missing:
            return []
        reset = self.config.auto_offset_reset
        if reset == "none":
            self.failed = True  # the error reaches the application's next poll
            return []
        if reset == "latest":
            request_id = self._request_id()
            self.fetches[request_id] = ("reset", missing)
            self.inflight_async[request_id] = None
            return [Send(ListOffsets(missing), request_id)]
        for p in missing:
            self._positioned(p, 0, "reset")
        return []

    def _positioned(self, partition: int, offset: int, source: str) -> None:
        self._set_position(partition, offset, source)
        self.awaiting_offsets.discard(partition)

    def _progress(self) -> list:
        """rd_kafka_assignment_serve: no commit outstanding and no offsets being fetched tells
        the membership its assignment operation is done."""
        if not self.op_pending or self.open_ops or self.fetches or self.awaiting_offsets:
            return []
        self.op_pending = False
        return self._apply(self.membership.assignment_done(self.now))
