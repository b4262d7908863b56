"""KafkaConsumer.poll() of the Java classic consumer, and the positions it returns records from.

It owns poll()'s order (callbacks, the rejoin, the auto commit inside poll, then records or the
poll timeout: ConsumerCoordinator.poll, docs/semantics.md §2), the fetcher's rotation over the
partitions, the idle-poll speed-up (`repoll_idle`) and updateFetchPositions (committed offsets,
else auto.offset.reset). It never joins the group itself (`membership`) and never commits
(`commits`)."""

from __future__ import annotations

from ..commands import Batch, Call, ReadLog, Wait
from ..messages import COORDINATOR_ERRORS, ListOffsets, OffsetFetch
from .state import STABLE


def fetch_order(partitions: tuple[int, ...], topic_hash: int | None) -> tuple[int, ...]:
    """The indices of `partitions` in the order a fetch request lists them: a HashSet's
    (AbstractFetch.fetchablePartitions copies the fetchable partitions into `new HashSet<>`),
    so by bucket, `h ^ (h >>> 16)` masked to the table size (HashMap.hash; a table of
    max(n / 0.75 + 1, 16) rounded up to a power of two), of TopicPartition.hashCode,
    `31 * (31 + partition) + topic.hashCode()`; ties in insertion order. It depends on the
    topic's name: ascending, descending or mixed. By hand (no hash), partition order."""
    n = len(partitions)
    if topic_hash is None:
        return tuple(range(n))
    size = 16
    while size < int(n / 0.75) + 1:
        size *= 2

    def bucket(k: int) -> int:
        h = (31 * (31 + partitions[k]) + topic_hash) & 0xFFFFFFFF
        return (h ^ (h >> 16)) & (size - 1)

    return tuple(sorted(range(n), key=lambda k: (bucket(k), k)))


class PollAndPositions:
    """poll() and the fetch positions (a part of `sim.model.consumer.Consumer`)."""

    def poll(self):
        """Callbacks, rejoin if needed, auto commit if due, then records (or an empty batch when
        the poll timeout passes). Order of ConsumerCoordinator.poll() (docs/semantics.md §2)."""
        self.poll_deadline_us = self.now + self.config.poll_timeout_us
        # Whether the strategy's answer to the last empty batch still holds: no hook runs here.
        quiet = self.quiet
        while True:
            if self.completed_async:
                quiet = False
                yield from self.invoke_callbacks()
            rejoining = False
            if self.cooperative:
                if self.group_reply is not None or self.rejoin_needed or self.state != STABLE:
                    quiet = False
                joined = yield from self.cooperative_rejoin()
                if not joined or self.failed:
                    return Batch(0, (), 0)
                # ensureActiveGroup did not complete: no auto commit in this iteration
                rejoining = self.rejoin_needed or self.state != STABLE
            elif self.rejoin_needed or self.state != STABLE:
                quiet = False
                joined = yield from self.join_group()
                if not joined:
                    return Batch(0, (), 0)
            auto_commit = (
                self.strategy.auto_commit and not self.auto_commit_on_timer and not rejoining
            )
            if auto_commit and self.now >= self.next_auto_commit_us:
                # Java classic: auto commit at the start of poll(), async, not awaited
                self.next_auto_commit_us = self.now + self.config.auto_commit_interval_us
                yield from self.commit_async(None, kind="auto")
            if self.close_requested:
                # wakeup() from a shutdown hook: poll() throws WakeupException before returning
                # records, so positions stay at what was processed.
                return Batch(0, (), 0)
            batch = yield from self.fetched()
            if batch is not None:
                return batch
            if auto_commit:
                yield Wait(min(self.poll_deadline_us, max(self.next_auto_commit_us, self.now + 1)))
            else:
                yield Wait(self.poll_deadline_us, idle=quiet)

    def repoll_idle(self) -> int | None:
        """The driver, at the timeout of an idle wait (`Wait.idle`): the loop would return the
        empty batch, ask the strategy after it (which asked for nothing after the last one, and
        nothing it reads has changed: no hook ran, no record came, the worker is idle) and poll
        again, finding nothing. When nothing that poll() acts on has changed either, this does
        those steps' bookkeeping and returns the new poll's timeout; else None: the loop must
        run."""
        if (
            self.completed_async
            or self.rejoin_needed
            or self.state != STABLE
            or self.group_reply is not None
            or self.close_requested
            or self.failed
            or self.read_log is None
        ):
            return None
        ends = self.read_log(self.assignment)
        positions, paused = self.positions, self.paused
        for p, end in zip(self.assignment, ends, strict=True):
            if positions[p] < end and p not in paused:
                return None
        self._take(ends)  # the returning poll's read (it moves the fetch cursor on)
        self.last_poll_us = self.now
        self._take(ends)  # the next poll's first read
        self.poll_deadline_us = self.now + self.config.poll_timeout_us
        return self.poll_deadline_us

    def fetched(self):
        """The records fetched by now, as a batch, or None while there are none and the poll has
        time left: the step of every client's poll loop between its waits."""
        if self.read_log is not None:
            ends = self.read_log(self.assignment)
        else:
            ends = yield ReadLog(self.assignment)
        slices = self._take(ends)
        if slices or self.now >= self.poll_deadline_us:
            return Batch(0, slices, sum(end - start for _, start, end in slices))
        return None

    def _take(self, ends: tuple[int, ...]) -> tuple[tuple[int, int, int], ...]:
        """Fill up to max.poll.records, draining one partition's fetched data before moving to
        the next, and starting where the last poll stopped (the fetcher's completed-fetch queue).
        A new assignment's partitions come in the order its first fetch request lists them
        (`fetch_order`)."""
        budget = self.config.max_poll_records
        assignment, positions, paused = self.assignment, self.positions, self.paused
        cursor = self._cursor
        n = len(assignment)
        for_assignment, order = self._fetch_order
        if for_assignment != assignment:
            order = fetch_order(assignment, self.topic_hash)
            self._fetch_order = (assignment, order)
        slices = []
        for i in range(n):
            j = (cursor + i) % n  # the place in the fetch order
            k = order[j]
            p = assignment[k]
            if p in paused:
                continue
            start = positions[p]
            end = min(ends[k], start + budget)
            if end > start:
                slices.append((p, start, end))
                positions[p] = end
                self.observer.delivered(self.now, p, start, end)
                budget -= end - start
                if budget == 0:
                    self._cursor = j if end < ends[k] else (j + 1) % n
                    break
        else:
            self._cursor = (cursor + 1) % max(n, 1)
        return tuple(slices)

    def refresh_positions(self):
        """updateFetchPositions: committed offsets for partitions with no position, else
        auto.offset.reset. Returns False when the reset policy is `none` (an exception)."""
        need = tuple(p for p in self.assignment if p not in self.positions)
        if not need:
            return True
        response = yield from self._offset_fetch(need)
        missing = []
        for p, offset in zip(need, response.offsets, strict=True):
            if offset is None:
                missing.append(p)
            else:
                self._set_position(p, offset, "committed")
        if not missing:
            return True
        if self.config.auto_offset_reset == "none":
            self.failed = True  # NoOffsetForPartitionException out of poll()
            return False
        if self.config.auto_offset_reset == "latest":
            response = yield Call(ListOffsets(tuple(missing)), self._request_id())
            offsets = response.offsets
        else:
            offsets = (0,) * len(missing)
        for p, offset in zip(missing, offsets, strict=True):
            self._set_position(p, offset, "reset")
        return True

    def _offset_fetch(self, partitions: tuple[int, ...]):
        """OffsetFetch, retried after a coordinator error (fetchCommittedOffsets). It asks for
        stable offsets (`require_stable`; Java: ConsumerCoordinator.sendOffsetFetchRequest,
        always): while a transaction's offsets are pending, UNSTABLE_OFFSET_COMMIT, retried after
        retry.backoff.ms (a RetriableException; librdkafka: rd_kafka_handle_OffsetFetch's
        retry_unstable, rd_kafka_buf_retry)."""
        while True:
            response = yield Call(OffsetFetch(partitions, self.require_stable), self._request_id())
            if response.error == "UNSTABLE_OFFSET_COMMIT":
                yield Wait(self.now + self.config.retry_backoff_us, wakeable=False)
                continue
            if response.error not in COORDINATOR_ERRORS:
                return response
            self._coordinator_lost(response.error)
            yield from self._rediscover_coordinator()

    def _set_position(self, partition: int, offset: int, source: str) -> None:
        self.positions[partition] = offset
        self.observer.position(self.now, partition, offset, source)
